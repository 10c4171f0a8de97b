/*
 * audit — writing, verifying and exporting audit events.
 */
#include "audit.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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

/* The fields the hash covers, as one canonical JSON text. */
static json_t *event_json(const struct audit_event *ev)
{
	return json_pack("{sI sI ss sI ss ss ss ss? ss? ss}", "team_id", (json_int_t)ev->team_id,
	                 "at", (json_int_t)ev->at, "actor_type", ev->actor_type, "actor_id",
	                 (json_int_t)ev->actor_id, "action", ev->action, "object_type",
	                 ev->object_type, "object_id", ev->object_id, "before", ev->before, "after",
	                 ev->after, "request_id", ev->request_id);
}

static void chain_hash(const struct audit_event *ev, char out[65])
{
	json_t *fields = event_json(ev);
	char *text = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
	crypto_generichash_state st;
	unsigned char h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)ev->prev_hash, strlen(ev->prev_hash));
	crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
	crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, 65, h, sizeof(h));
	free(text);
	json_decref(fields);
}

enum store_rc audit_append(struct db *db, struct audit_event *ev)
{
	enum store_rc rc = store_audit_head(db, ev->prev_hash);

	if (rc != STORE_OK)
		return rc;
	ev->at = util_now();
	chain_hash(ev, ev->hash);
	return store_audit_insert(db, ev);
}

bool audit_record(struct req *r, const char *action, const char *object_type, const char *object_id,
                  json_t *before, json_t *after)
{
	char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct audit_event ev = {
	    .team_id = r->who.team_id,
	    .actor_type = actor_type(r->who.kind),
	    .actor_id = r->who.id,
	    .action = action,
	    .object_type = object_type,
	    .object_id = object_id,
	    .before = b,
	    .after = a,
	    .request_id = r->id,
	};
	enum store_rc rc = audit_append(r->db, &ev);

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

struct walk {
	char prev[65];
	int64_t count;
	int64_t broken_id;
	const char *why;
};

static bool check_one(void *ctx, const struct audit_event *ev)
{
	struct walk *w = ctx;
	char want[65];

	w->count++;
	if (strcmp(ev->prev_hash, w->prev) != 0) {
		w->why = "does not follow the event before it (one was removed or inserted)";
		w->broken_id = ev->id;
		return false;
	}
	chain_hash(ev, want);
	if (strlen(ev->hash) != 64 || sodium_memcmp(want, ev->hash, 64) != 0) {
		w->why = "does not match its hash (it was edited)";
		w->broken_id = ev->id;
		return false;
	}
	util_strlcpy(w->prev, ev->hash, sizeof(w->prev));
	return true;
}

bool audit_verify(struct db *db, int64_t *count, char *msg, size_t msglen)
{
	struct walk w = {.prev = ""};
	char head[65];

	if (store_audit_scan(db, 0, check_one, &w) != STORE_OK ||
	    store_audit_head(db, head) != STORE_OK) {
		snprintf(msg, msglen, "the audit log could not be read");
		return false;
	}
	*count = w.count;
	if (w.why) {
		snprintf(msg, msglen, "event %" PRId64 " %s", w.broken_id, w.why);
		return false;
	}
	if (strcmp(head, w.prev) != 0) {
		snprintf(msg, msglen, "the newest events are missing (the chain ends early)");
		return false;
	}
	return true;
}

static bool export_one(void *ctx, const struct audit_event *ev)
{
	FILE *out = ctx;
	json_t *o = event_json(ev);
	char when[24];

	util_time_format(ev->at, when);
	json_object_set_new(o, "id", json_integer(ev->id));
	json_object_set_new(o, "at", json_string(when));
	json_object_set_new(o, "before",
	                    ev->before ? json_loads(ev->before, 0, NULL) : json_null());
	json_object_set_new(o, "after", ev->after ? json_loads(ev->after, 0, NULL) : json_null());
	json_object_set_new(o, "prev_hash", json_string(ev->prev_hash));
	json_object_set_new(o, "hash", json_string(ev->hash));
	json_dumpf(o, out, JSON_COMPACT | JSON_SORT_KEYS);
	fputc('\n', out);
	json_decref(o);
	return true;
}

bool audit_export(struct db *db, int64_t team, FILE *out)
{
	return store_audit_scan(db, team, export_one, out) == STORE_OK;
}
