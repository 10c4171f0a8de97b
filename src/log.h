/*
 * log — the two logs. The event log takes levelled lines (start, ready,
 * errors) with a millisecond timestamp, the pid and, inside a request, the
 * request id. The access log takes one line per finished request. Neither
 * ever receives a secret: callers pass token ids, never token text.
 */
#ifndef VISOR_LOG_H
#define VISOR_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

extern enum log_level log_min_level;

/* Configure where lines go. NULL paths mean standard error. */
int log_open(const char *event_path, const char *access_path, bool access_json);

/* Parse "debug", "info", "warn" or "error"; returns false on anything else. */
bool log_parse_level(const char *s, enum log_level *out);

/* Set the request id of the calling thread (NULL clears it). */
void log_set_request_id(const char *id);

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The level check happens before any argument is formatted. */
#define log_at(lvl, ...)                                                                           \
	do {                                                                                       \
		if ((lvl) >= log_min_level)                                                        \
			log_write((lvl), __VA_ARGS__);                                             \
	} while (0)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_at(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)

struct access_entry {
	const char *request_id;
	const char *method;
	const char *path;
	const char *client;
	unsigned status;
	double duration_ms;
	const char *actor; /* "token:12", "admin_key:3" or "-" */
};

void log_access(const struct access_entry *e);

#endif
