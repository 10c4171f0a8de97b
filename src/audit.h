/*
 * audit — records one event per accepted write, inside the write's own
 * transaction (rule 10): who (member, admin key or token), what action on
 * which object, the object before and after, and the request id. Callers
 * pass the objects as the API reads them, which never carry a secret.
 */
#ifndef VISOR_AUDIT_H
#define VISOR_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "req.h"

/* before and after may be NULL; they are borrowed, not stolen. */
bool audit_record(struct req *r, const char *action, const char *object_type, const char *object_id,
                  json_t *before, json_t *after) MUST_CHECK;

/* The same with a numeric object id. */
bool audit_record_id(struct req *r, const char *action, const char *object_type, int64_t object_id,
                     json_t *before, json_t *after) MUST_CHECK;

/* Record an event whose only content is a detail object (stolen). */
bool audit_note(struct req *r, const char *action, const char *object_type, int64_t object_id,
                json_t *detail) MUST_CHECK;

#endif
