/*
 * audit — writing, verifying and exporting audit events.
 */
#include "audit.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyring.h"
#include "mem.h"
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

/* A keyed BLAKE2b over the previous hash and the event's fields: the key
 * comes from the master key, so a chain cannot be rebuilt without it. */
static void chain_hash(const struct audit_event *ev, const unsigned char key[32], char out[65])
{
	json_t *fields = event_json(ev);
	char *text = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
	crypto_generichash_state st;
	unsigned char h[32];

	crypto_generichash_init(&st, key, 32, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)ev->prev_hash, strlen(ev->prev_hash));
	crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
	crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, 65, h, sizeof(h));
	free(text);
	json_decref(fields);
}

/* The head names the newest hash under the key too, so that cutting off
 * the newest events and pointing the head at an older one shows. */
static void head_mac(const char *last_hash, const unsigned char key[32], char out[65])
{
	crypto_generichash_state st;
	unsigned char h[32];

	crypto_generichash_init(&st, key, 32, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)"head\n", 5);
	crypto_generichash_update(&st, (const unsigned char *)last_hash, strlen(last_hash));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, 65, h, sizeof(h));
}

enum store_rc audit_append(struct db *db, struct audit_event *ev)
{
	enum store_rc rc = store_audit_last_hash(db, ev->prev_hash);
	unsigned char key[32];
	char head[65];

	if (rc != STORE_OK)
		return rc;
	ev->at = util_now();
	keyring_audit_key(key);
	chain_hash(ev, key, ev->hash);
	head_mac(ev->hash, key, head);
	sodium_memzero(key, sizeof(key));
	return store_audit_insert(db, ev, head);
}

/* The object as the log keeps it: a credential it carries (a customer's
 * embed token) is cut to its last four characters. */
static char *redacted(json_t *obj)
{
	json_t *copy, *token;
	char *text;

	if (!obj)
		return NULL;
	copy = json_deep_copy(obj);
	token = json_object_get(copy, "token");
	if (json_is_string(token) && json_string_length(token) > 4) {
		char *masked =
		    xasprintf("…%s", json_string_value(token) + json_string_length(token) - 4);

		json_object_set_new(copy, "token", json_string(masked));
		free(masked);
	}
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	return text;
}

bool audit_record(struct req *r, const char *action, const char *object_type, const char *object_id,
                  json_t *before, json_t *after)
{
	char *b = redacted(before);
	char *a = redacted(after);
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

#define SCAN_BATCH 1000

/* Run fn over every event of a team (0: all), a batch at a time, so that
 * no cursor stays open across the batches (rechain writes between them).
 * after is called between batches when not NULL. */
static bool scan_all(struct db *db, int64_t team, bool (*fn)(void *, const struct audit_event *),
                     bool (*after)(void *), void *ctx, int64_t *last_id)
{
	int64_t seen = SCAN_BATCH;

	*last_id = 0;
	while (seen == SCAN_BATCH) {
		if (store_audit_scan(db, team, *last_id, SCAN_BATCH, fn, ctx, &seen) != STORE_OK ||
		    (after && !after(ctx)))
			return false;
	}
	return true;
}

struct walk {
	unsigned char key[32];
	char prev[65];
	int64_t count;
	int64_t *last_id;
	int64_t broken_id;
	const char *why;
};

static bool check_one(void *ctx, const struct audit_event *ev)
{
	struct walk *w = ctx;
	char want[65];

	w->count++;
	*w->last_id = ev->id;
	if (strcmp(ev->prev_hash, w->prev) != 0) {
		w->why = "does not follow the event before it (one was removed or inserted)";
		w->broken_id = ev->id;
		return false;
	}
	chain_hash(ev, w->key, want);
	if (strlen(ev->hash) != 64 || sodium_memcmp(want, ev->hash, 64) != 0) {
		w->why = "does not match its hash (it was edited)";
		w->broken_id = ev->id;
		return false;
	}
	util_strlcpy(w->prev, ev->hash, sizeof(w->prev));
	return true;
}

/* Every team begins with an event: an empty log with teams lost its events. */
static bool emptiness_ok(struct db *db, int64_t count)
{
	int64_t teams = 0;

	return count > 0 || (store_team_count(db, &teams) == STORE_OK && teams == 0);
}

bool audit_verify(struct db *db, int64_t *count, char *msg, size_t msglen)
{
	struct walk w = {.prev = ""};
	int64_t last = 0;
	char head[65], want_head[65];
	bool read;

	w.last_id = &last;
	keyring_audit_key(w.key);
	read = scan_all(db, 0, check_one, NULL, &w, &last) || w.why;
	head_mac(w.prev, w.key, want_head);
	sodium_memzero(w.key, sizeof(w.key));
	*count = w.count;
	if (!read || store_audit_head(db, head) != STORE_OK) {
		snprintf(msg, msglen, "the audit log could not be read");
		return false;
	}
	if (w.why)
		snprintf(msg, msglen, "event %" PRId64 " %s", w.broken_id, w.why);
	else if ((w.count > 0 || head[0]) && strcmp(head, want_head) != 0)
		snprintf(msg, msglen, "the newest events are missing (the chain ends early)");
	else if (!emptiness_ok(db, w.count))
		snprintf(msg, msglen,
		         "the log is empty, yet teams exist (its events were removed)");
	else
		return true;
	return false;
}

/* Re-link every event under a new key, batch by batch. */
struct rechain {
	struct db *db;
	unsigned char key[32];
	char prev[65];
	int64_t *last_id;
	int64_t ids[SCAN_BATCH];
	char hashes[SCAN_BATCH][65];
	char prevs[SCAN_BATCH][65];
	int n;
};

static bool rechain_one(void *ctx, const struct audit_event *ev)
{
	struct rechain *rc = ctx;
	struct audit_event copy = *ev;

	*rc->last_id = ev->id;
	util_strlcpy(copy.prev_hash, rc->prev, sizeof(copy.prev_hash));
	chain_hash(&copy, rc->key, rc->hashes[rc->n]);
	util_strlcpy(rc->prevs[rc->n], rc->prev, 65);
	util_strlcpy(rc->prev, rc->hashes[rc->n], sizeof(rc->prev));
	rc->ids[rc->n++] = ev->id;
	return true;
}

static bool rechain_write(void *ctx)
{
	struct rechain *rc = ctx;
	bool ok = true;

	for (int i = 0; ok && i < rc->n; i++)
		ok = store_audit_set_chain(rc->db, rc->ids[i], rc->prevs[i], rc->hashes[i]) ==
		     STORE_OK;
	rc->n = 0;
	return ok;
}

bool audit_rechain(struct db *db, const unsigned char key[32])
{
	struct rechain *rc = xcalloc(1, sizeof(*rc));
	int64_t last = 0;
	char head[65];
	bool ok;

	memcpy(rc->key, key, sizeof(rc->key));
	rc->db = db;
	rc->last_id = &last;
	ok = scan_all(db, 0, rechain_one, rechain_write, rc, &last);
	head_mac(rc->prev, rc->key, head);
	ok = ok && (last == 0 || store_setting_set(db, "audit_head", head) == STORE_OK);
	sodium_memzero(rc->key, sizeof(rc->key));
	free(rc);
	return ok;
}

struct export
{
	FILE *out;
	int64_t *last_id;
};

static bool export_one(void *ctx, const struct audit_event *ev)
{
	struct export *x = ctx;
	FILE *out = x->out;
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
	*x->last_id = ev->id;
	return true;
}

bool audit_export(struct db *db, int64_t team, FILE *out)
{
	int64_t last = 0;
	struct export x = {out, &last};

	return scan_all(db, team, export_one, NULL, &x, &last);
}
