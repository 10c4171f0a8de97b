/*
 * err — the one failure type. A function that can fail returns bool
 * (marked must-check) and, on failure, fills a struct err with the HTTP
 * status, a stable snake_case code and a sentence a person can act on.
 * The HTTP layer turns it into {"success": 0, "error": …, "code": …}.
 */
#ifndef VISOR_ERR_H
#define VISOR_ERR_H

#include <stdbool.h>

struct err {
	unsigned status;
	const char *code;
	char message[384];
	char *detail_json; /* optional extra fields as a JSON object text; owned */
};

#define MUST_CHECK __attribute__((warn_unused_result))

/* Fill e and return false, so that callers can write `return err_set(…);`. */
bool err_set(struct err *e, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The storage layer failed; the message never leaks SQL or paths. */
bool err_storage(struct err *e);

/* Release detail_json and reset. */
void err_clear(struct err *e);

#endif
