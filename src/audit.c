/*
 * audit — writing audit events.
 */
#include "audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "store.h"

static const char *actor_type(enum actor_kind kind)
{
	switch (kind) {
	case ACTOR_MEMBER:
		return "member";
	case ACTOR_ADMIN_KEY:
		return "admin_key";
	case ACTOR_TOKEN:
		return "token";
	default:
		return "system";
	}
}

bool audit_record(struct req *r, const char *action, const char *object_type, const char *object_id,
                  json_t *before, json_t *after)
{
	char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	enum store_rc rc;

	rc = store_audit_insert(r->db, r->who.team_id, actor_type(r->who.kind), r->who.id, action,
	                        object_type, object_id, b, a, r->id);
	free(b);
	free(a);
	if (rc != STORE_OK)
		return err_storage(&r->err);
	return true;
}

bool audit_record_id(struct req *r, const char *action, const char *object_type, int64_t object_id,
                     json_t *before, json_t *after)
{
	char id[24];

	snprintf(id, sizeof(id), "%" PRId64, object_id);
	return audit_record(r, action, object_type, id, before, after);
}

bool audit_note(struct req *r, const char *action, const char *object_type, int64_t object_id,
                json_t *detail)
{
	bool ok = audit_record_id(r, action, object_type, object_id, NULL, detail);

	json_decref(detail);
	return ok;
}
