/*
 * err — filling the one failure type.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

bool err_set(struct err *e, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	/* A cut-off message must still be valid UTF-8 to go into JSON. */
	e->message[util_utf8_prefix(e->message, sizeof(e->message) - 1)] = '\0';
	return false;
}

bool err_storage(struct err *e)
{
	return err_set(e, 503, "storage_unavailable",
	               "The database could not complete the request; retry shortly.");
}

void err_clear(struct err *e)
{
	free(e->detail_json);
	e->detail_json = NULL;
	e->status = 0;
	e->code = NULL;
	e->message[0] = '\0';
}
