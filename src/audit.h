/*
 * audit — records one event per accepted write, inside the write's own
 * transaction (rule 10): who (member, admin key or token), what action on
 * which object, the object before and after, and the request id. Callers
 * pass the objects as the API reads them, which never carry a secret.
 *
 * Events form a hash chain: each stores the previous event's hash and a
 * BLAKE2b hash, keyed from the master key, over that and its own fields;
 * the newest hash is kept apart as the head. `visor audit verify` recomputes the chain, so an
 * edited, inserted or deleted event shows.
 */
#ifndef VISOR_AUDIT_H
#define VISOR_AUDIT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "req.h"
#include "store.h"

/* before and after may be NULL; they are borrowed, not stolen. */
bool audit_record(struct req *r, const char *action, const char *object_type, const char *object_id,
                  json_t *before, json_t *after) MUST_CHECK;

/* The same with a numeric object id. */
bool audit_record_id(struct req *r, const char *action, const char *object_type, int64_t object_id,
                     json_t *before, json_t *after) MUST_CHECK;

/* Record an event whose only content is a detail object (stolen). */
bool audit_note(struct req *r, const char *action, const char *object_type, int64_t object_id,
                json_t *detail) MUST_CHECK;

/* Link ev into the chain (fills at, prev_hash and hash) and store it. */
enum store_rc audit_append(struct db *db, struct audit_event *ev);

/* Walk the whole chain. Returns true when intact; otherwise false with the
 * first broken event's id and a reason in msg. *count gets the events read. */
bool audit_verify(struct db *db, int64_t *count, char *msg, size_t msglen);

/* Re-link the whole chain under key (inside `visor rekey`'s transaction). */
bool audit_rechain(struct db *db, const unsigned char key[32]) MUST_CHECK;

/* Write a team's events (0: all) as JSON lines. */
bool audit_export(struct db *db, int64_t team, FILE *out);

#endif
