/*
 * test_audit_chain — the audit log as a record to rely on: each write names
 * its actor (token or admin key), action and object, carries the request id
 * the client saw in X-Request-Id, and holds no secret; `visor audit verify`
 * says intact on an untouched log and exits 1 naming the event when a row
 * is edited, removed (in the middle or the newest) or inserted; `visor
 * audit export` prints one JSON object per line; and GET /admin/api/audit
 * filters by actor, object and time and pages newest first.
 */
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbsnap.h"
#include "embedkit.h"
#include "harness.h"
#include "world.h"

static struct world w;

static json_t *all_events(int t)
{
	struct resp *r = adm_t(t, "GET", "/admin/api/audit?page_size=1000", NULL);

	expect_status(r, 200);
	return jget(r->json, "items");
}

/* The one event written by the request whose answer is r. */
static json_t *event_of(const struct resp *r)
{
	const char *rid = resp_header(r, "X-Request-Id");
	json_t *items = all_events(0), *it, *found = NULL;
	size_t i;

	cr_assert(rid && *rid, "%s %s answered without X-Request-Id", r->method, r->path);
	json_array_foreach (items, i, it) {
		const char *q = jstr(it, "request_id");
		if (q && strcmp(q, rid) == 0) {
			cr_assert_null(found, "two events for one request %s", rid);
			found = it;
		}
	}
	cr_assert_not_null(found, "%s %s (request %s) left no event with its request id", r->method,
	                   r->path, rid);
	return found;
}

static json_int_t admin_key_id(void)
{
	struct resp *r = adm("GET", "/admin/api/admin_keys", NULL);

	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "total_count"), 1, "%s", r->body);
	return jint(r->json, "items.0.id");
}

VTEST(audit_chain, events_name_actor_action_object_and_request)
{
	struct resp *r;
	json_t *ev;

	world_tour(&w);
	r = adm("POST", "/admin/api/groups", J("{s:s}", "name", "Audited"));
	expect_status(r, 201);
	ev = event_of(r);
	cr_assert_str_eq(jstr(ev, "actor_type"), "admin_key", "%s", jdump(ev));
	cr_assert_eq(jint(ev, "actor_id"), admin_key_id(), "%s", jdump(ev));
	cr_assert_str_eq(jstr(ev, "action"), "group.create", "%s", jdump(ev));
	cr_assert_str_eq(jstr(ev, "object_type"), "group", "%s", jdump(ev));
	cr_assert(id_eq(jget(ev, "object_id"), jint(r->json, "id")), "%s", jdump(ev));
	cr_assert_not_null(strstr(jdump(jget(ev, "after")), "Audited"), "%s", jdump(ev));

	r = api(w.tok_test, "POST", "/api/create_customer/",
	        J("{s:s, s:s}", "provided_id", "acme", "name", "Acme"));
	ev = event_of(r);
	cr_assert_str_eq(jstr(ev, "actor_type"), "token", "%s", jdump(ev));
	cr_assert_eq(jint(ev, "actor_id"), w.tok_test_id, "%s", jdump(ev));
	cr_assert_str_eq(jstr(ev, "object_type"), "customer", "%s", jdump(ev));

	r = api(w.tok_test, "POST", "/api/update_customer/",
	        J("{s:s, s:s}", "provided_id", "acme", "name", "Acme 2"));
	ev = event_of(r);
	cr_assert_not_null(strstr(jdump(jget(ev, "before")), "\"Acme\""), "%s", jdump(ev));
	cr_assert_not_null(strstr(jdump(jget(ev, "after")), "Acme 2"), "%s", jdump(ev));

	r = adm("POST", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT "/refresh", w.ro_test_id),
	        NULL);
	ev = event_of(r);
	cr_assert_str_eq(jstr(ev, "object_type"), "token", "%s", jdump(ev));
	cr_assert_null(strstr(jdump(ev), jstr(r->json, "token") + 8), "the event holds the secret");
	ev = event_of(adm("POST", keys_path(w.grp_test), json_object()));
	cr_assert_str_eq(jstr(ev, "object_type"), "signing_key", "%s", jdump(ev));
}

VTEST(audit_chain, no_secret_in_any_event)
{
	const char *secrets[8], *stored, *exported;
	struct resp *r;
	char *out = NULL;
	int n = 0;

	world_tour(&w);
	secrets[n++] = w.tok_test;
	secrets[n++] = w.ro_prod;
	secrets[n++] = DS_PASSWORD;
	r = adm("POST", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT "/refresh", w.tok_prod_id),
	        J("{s:i}", "grace_seconds", 60));
	secrets[n++] = jstr(r->json, "token");
	secrets[n++] =
	    jstr(adm("POST", "/admin/api/admin_keys", J("{s:s}", "name", "k"))->json, "key");
	secrets[n++] = jstr(adm("POST", "/admin/api/members",
	                        J("{s:s, s:s}", "email", "v@acme.test", "role", "viewer"))
	                        ->json,
	                    "password");
	expect_status(adm("PATCH", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, w.ds_prod),
	                  J("{s:{s:s}}", "config", "password", "pw-rotated-Qz81-audit")),
	              200);
	secrets[n++] = "pw-rotated-Qz81-audit";
	mk_key(w.grp_prod);

	stored = db_texts("SELECT COALESCE(before, '') || COALESCE(after, '') || object_id "
	                  "FROM audit_events");
	cr_assert_eq(visor_run((const char *[]){"audit", "export", "--db",
	                                        fmt("sqlite:%s", S.db_path), NULL},
	                       &out),
	             0, "visor audit export failed: %s", out);
	exported = out;
	for (int i = 0; i < n; i++) {
		cr_assert(secrets[i] != NULL, "a secret is missing from an answer");
		const char *core = strlen(secrets[i]) > 16 ? secrets[i] + 8 : secrets[i];
		cr_expect_null(strstr(stored, core), "audit rows hold secret %d (%.6s…)", i,
		               secrets[i]);
		cr_expect_null(strstr(exported, core), "the export holds secret %d", i);
	}
}

static void stop(void)
{
	cr_assert_neq(srv_signal_and_wait(SIGTERM), -1, "visor serve ignored SIGTERM");
}

/* `visor audit verify`: its exit status; stdout and stderr into *text. */
static int verify(const char **text)
{
	char *out = NULL, *err = NULL;
	int rc = visor_run_full(
	    (const char *[]){"audit", "verify", "--db", fmt("sqlite:%s", S.db_path), NULL}, 10000,
	    &out, &err);

	*text = fmt("%s%s", out, err);
	return rc;
}

/* A world's worth of events, then the server stopped: the newest event id. */
static long events_then_stop(void)
{
	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "acme"));
	stop();
	return db_scalar("SELECT MAX(id) FROM audit_events");
}

VTEST(audit_chain, verify_says_intact_on_an_untouched_log)
{
	const char *text;
	long newest = events_then_stop();

	cr_assert_eq(verify(&text), 0, "verify fails an untouched log: %s", text);
	cr_assert_not_null(strcasestr(text, "intact"), "verify does not say intact: %s", text);
	cr_assert_not_null(strstr(text, fmt("%ld", newest)), "verify does not count events: %s",
	                   text);
	srv_restart();
	expect_status(adm("POST", "/admin/api/group_tags", J("{s:s}", "name", "after")), 201);
	cr_assert_eq(verify(&text), 0, "verify fails after a restart and a write: %s", text);
}

VTEST(audit_chain, an_edited_event_is_named)
{
	static const char *const edits[][2] = {
	    {"action = action || 'x'", "action = substr(action, 1, length(action) - 1)"},
	    {"actor_id = actor_id + 1", "actor_id = actor_id - 1"},
	    {"actor_type = 'member'", NULL},
	    {"object_id = object_id || 'x'",
	     "object_id = substr(object_id, 1, length(object_id) - 1)"},
	    {"after = after || ' '", "after = substr(after, 1, length(after) - 1)"},
	    {"at = at - 3600", "at = at + 3600"},
	    {"request_id = 'forged'", NULL},
	    {"team_id = team_id + 1", "team_id = team_id - 1"},
	};
	long newest = events_then_stop();
	long victim = db_scalar(fmt("SELECT MAX(id) FROM audit_events WHERE after IS NOT NULL "
	                            "AND id < %ld",
	                            newest - 2));
	const char *text, *where = fmt(" WHERE id = %ld", victim);

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *saved = db_texts(fmt("SELECT quote(actor_type) || ',' || "
		                                 "quote(request_id) FROM audit_events%s",
		                                 where));
		int rc;

		db_write(fmt("UPDATE audit_events SET %s%s", edits[i][0], where));
		rc = verify(&text);
		cr_expect_eq(rc, 1, "verify missed an edit (%s): %d %s", edits[i][0], rc, text);
		cr_expect_not_null(strstr(text, fmt("%ld", victim)),
		                   "verify does not name event %ld after %s: %s", victim,
		                   edits[i][0], text);
		if (edits[i][1])
			db_write(fmt("UPDATE audit_events SET %s%s", edits[i][1], where));
		else
			db_write(fmt("UPDATE audit_events SET (actor_type, request_id) = (%.*s)%s",
			             (int)strcspn(saved, "\n"), saved, where));
		cr_assert_eq(verify(&text), 0, "the log did not come back intact after %s: %s",
		             edits[i][0], text);
	}
	srv_restart();
}

VTEST(audit_chain, a_removed_middle_event_is_found)
{
	long newest = events_then_stop();
	const char *text;
	int rc;

	db_write(fmt("DELETE FROM audit_events WHERE id = %ld", newest / 2));
	rc = verify(&text);
	cr_assert_eq(rc, 1, "verify missed a removed event: %d %s", rc, text);
	cr_assert_not_null(strstr(text, "event"), "verify names no event: %s", text);
	srv_restart();
}

VTEST(audit_chain, a_removed_newest_event_is_found)
{
	long newest = events_then_stop();
	const char *text;
	int rc;

	db_write(fmt("DELETE FROM audit_events WHERE id = %ld", newest));
	rc = verify(&text);
	cr_assert_eq(rc, 1, "verify missed the removal of the newest event: %d %s", rc, text);
	srv_restart();
}

VTEST(audit_chain, a_removed_oldest_event_is_found)
{
	const char *text;
	int rc;

	events_then_stop();
	db_write("DELETE FROM audit_events WHERE id = (SELECT MIN(id) FROM audit_events)");
	rc = verify(&text);
	cr_assert_eq(rc, 1, "verify missed the removal of the first event: %d %s", rc, text);
	srv_restart();
}

VTEST(audit_chain, an_inserted_event_is_found)
{
	long newest = events_then_stop();
	const char *text;
	int rc;

	db_write(fmt("INSERT INTO audit_events (id, team_id, at, actor_type, actor_id, action, "
	             "object_type, object_id, before, after, request_id, prev_hash, hash) "
	             "SELECT %ld, team_id, at, actor_type, actor_id, 'group.delete', object_type, "
	             "object_id, before, after, request_id, prev_hash, hash FROM audit_events "
	             "WHERE id = %ld",
	             newest + 1, newest));
	rc = verify(&text);
	cr_assert_eq(rc, 1, "verify missed an inserted event: %d %s", rc, text);
	srv_restart();
}

/* One event's hash as an unkeyed chain makes it: BLAKE2b-256 over the hash
 * before, a newline and the event's fields as sorted compact JSON. */
static const char *unkeyed_hash(sqlite3_stmt *st, const char *prev)
{
	json_t *f = json_pack(
	    "{sI sI ss sI ss ss ss ss? ss? ss}", "team_id", (json_int_t)sqlite3_column_int64(st, 1),
	    "at", (json_int_t)sqlite3_column_int64(st, 2), "actor_type", sqlite3_column_text(st, 3),
	    "actor_id", (json_int_t)sqlite3_column_int64(st, 4), "action",
	    sqlite3_column_text(st, 5), "object_type", sqlite3_column_text(st, 6), "object_id",
	    sqlite3_column_text(st, 7), "before", sqlite3_column_text(st, 8), "after",
	    sqlite3_column_text(st, 9), "request_id", sqlite3_column_text(st, 10));
	char *text = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	const char *msg = fmt("%s\n%s", prev, text);
	unsigned char h[32];
	char hex[65];

	crypto_generichash(h, sizeof(h), (const unsigned char *)msg, strlen(msg), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	free(text);
	json_decref(f);
	return fmt("%s", hex);
}

/* Recompute the whole chain and its head, as anyone who can write the file can. */
static void rechain(void)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	const char *prev = "", *sql = "";

	cr_assert_eq(sodium_init() >= 0, 1);
	cr_assert_eq(sqlite3_open(S.db_path, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h,
	                                "SELECT id, team_id, at, actor_type, actor_id, action, "
	                                "object_type, object_id, before, after, request_id "
	                                "FROM audit_events ORDER BY id",
	                                -1, &st, NULL),
	             SQLITE_OK, "%s", sqlite3_errmsg(h));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *hash = unkeyed_hash(st, prev);
		sql =
		    fmt("%sUPDATE audit_events SET prev_hash = '%s', hash = '%s' WHERE id = %lld;",
		        sql, prev, hash, (long long)sqlite3_column_int64(st, 0));
		prev = hash;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	db_write(fmt("%sUPDATE settings SET value = '%s' WHERE name = 'audit_head';", sql, prev));
}

/*
 * The chain must hold against someone who knows how it is made: an event
 * rewritten and every hash after it recomputed (with the head moved along)
 * is still found. An unkeyed hash cannot do that; one keyed with a secret
 * the file does not hold can.
 */
VTEST(audit_chain, a_rewritten_chain_is_found)
{
	long newest = events_then_stop();
	const char *text;
	int rc;

	db_write(fmt("UPDATE audit_events SET actor_type = 'member', actor_id = 42, "
	             "after = '{\"name\":\"innocent\"}' WHERE id = %ld",
	             newest / 2));
	rechain();
	rc = verify(&text);
	cr_assert_eq(rc, 1, "an event rewritten with its chain recomputed passes verify: %d %s", rc,
	             text);
	srv_restart();
}

/* Cutting events off the end and moving the head to the new last event, or
 * wiping the log and its head, needs no key and no hashing at all. */
VTEST(audit_chain, a_truncated_log_is_found)
{
	long newest = events_then_stop();
	const char *text;
	int rc;

	db_write(fmt("UPDATE settings SET value = (SELECT hash FROM audit_events WHERE id = %ld) "
	             "WHERE name = 'audit_head'; DELETE FROM audit_events WHERE id > %ld;",
	             newest - 3, newest - 3));
	rc = verify(&text);
	cr_expect_eq(rc, 1, "the newest 3 events cut off with the head moved pass verify: %d %s",
	             rc, text);
	db_write("DELETE FROM audit_events; DELETE FROM settings WHERE name = 'audit_head';");
	rc = verify(&text);
	cr_expect_eq(rc, 1, "a wiped log (a team exists, not one event) passes verify: %d %s", rc,
	             text);
	srv_restart();
}

VTEST2(audit_chain, export_prints_one_json_object_per_line)
{
	const char *db = fmt("sqlite:%s", S.db_path);
	char *out = NULL;
	long lines = 0, last = 0;

	world_tour(&w);
	expect_status(adm_t(1, "POST", "/admin/api/groups", J("{s:s}", "name", "Globex G")), 201);
	cr_assert_eq(visor_run((const char *[]){"audit", "export", "--db", db, NULL}, &out), 0,
	             "export failed: %s", out);
	for (const char *p = out; *p; p += strcspn(p, "\n") + 1) {
		json_t *o = jkeep(json_loadb(p, strcspn(p, "\n"), JSON_REJECT_DUPLICATES, NULL));

		cr_assert(json_is_object(o), "line %ld is not a JSON object: %.*s", lines + 1,
		          (int)strcspn(p, "\n"), p);
		for (const char *f = "id\0at\0actor_type\0action\0object_type\0hash\0"; *f;
		     f += strlen(f) + 1)
			cr_assert_not_null(jget(o, f), "an exported event lacks %s: %s", f,
			                   jdump(o));
		cr_assert_gt(jint(o, "id"), last, "export is not in id order");
		last = jint(o, "id");
		lines++;
	}
	cr_assert_eq(lines, db_count("audit_events"), "export printed %ld of %ld events", lines,
	             db_count("audit_events"));

	cr_assert_eq(visor_run((const char *[]){"audit", "export", "--db", db, "--team",
	                                        fmt("%" JSON_INTEGER_FORMAT, S.team[1].id), NULL},
	                       &out),
	             0, "export --team failed: %s", out);
	cr_assert_null(strstr(out, "Testing"), "team 2's export shows team 1's events: %s", out);
	cr_assert_not_null(strstr(out, "Globex G"), "team 2's export lacks its event: %s", out);
}

VTEST2(audit_chain, a_team_sees_only_its_own_events)
{
	struct resp *r;

	world_tour(&w);
	r = adm_t(1, "GET", "/admin/api/audit?page_size=1000", NULL);
	expect_status(r, 200);
	cr_assert_null(strstr(r->body, "Testing"), "team 2 sees team 1's events: %s", r->body);
	cr_assert_eq(
	    jint(r->json, "total_count"),
	    db_scalar(fmt("SELECT COUNT(*) FROM audit_events WHERE team_id = %" JSON_INTEGER_FORMAT,
	                  S.team[1].id)));
}

static struct resp *audit_query(const char *query)
{
	struct resp *r = adm("GET", fmt("/admin/api/audit?page_size=1000&%s", query), NULL);

	expect_status(r, 200);
	return r;
}

VTEST(audit_chain, filters_by_actor_object_and_time)
{
	struct resp *r;
	json_t *it;
	size_t i;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "acme"));
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "other"));
	api(w.tok_test, "POST", "/api/update_customer/",
	    J("{s:s, s:s}", "provided_id", "acme", "name", "A"));
	mk_customer(w.tok_prod, J("{s:s}", "provided_id", "prod"));

	r = audit_query(fmt("actor=token:%" JSON_INTEGER_FORMAT, w.tok_test_id));
	cr_assert_eq(jint(r->json, "total_count"), 3, "%s", r->body);
	json_array_foreach (jget(r->json, "items"), i, it)
		cr_assert(strcmp(jstr(it, "actor_type"), "token") == 0 &&
		              jint(it, "actor_id") == w.tok_test_id,
		          "actor filter lets through %s", jdump(it));

	/* A customer is named by its provided_id or by its admin id. */
	r = audit_query("object=customer:acme");
	if (jint(r->json, "total_count") == 0)
		r = audit_query(fmt("object=customer:%" JSON_INTEGER_FORMAT,
		                    customer_admin_id(w.grp_test, "acme")));
	cr_assert_eq(jint(r->json, "total_count"), 2, "%s", r->body);
	json_array_foreach (jget(r->json, "items"), i, it)
		cr_assert(strcmp(jstr(it, "object_type"), "customer") == 0, "%s", jdump(it));

	r = audit_query("since=2999-01-01T00:00:00Z");
	cr_assert_eq(jint(r->json, "total_count"), 0, "%s", r->body);
	r = audit_query("since=2001-01-01T00:00:00Z");
	cr_assert_eq(jint(r->json, "total_count"), db_count("audit_events"), "%s", r->body);
	r = audit_query(fmt("since=2001-01-01T00:00:00Z&actor=token:%" JSON_INTEGER_FORMAT
	                    "&object=customer:other",
	                    w.tok_test_id));
	if (jint(r->json, "total_count") == 0)
		r = audit_query(fmt("since=2001-01-01T00:00:00Z&actor=token:%" JSON_INTEGER_FORMAT
		                    "&object=customer:%" JSON_INTEGER_FORMAT,
		                    w.tok_test_id, customer_admin_id(w.grp_test, "other")));
	cr_assert_eq(jint(r->json, "total_count"), 1, "%s", r->body);
}

VTEST(audit_chain, bad_filters_are_refused)
{
	static const char *const bad[] = {"actor=token",
	                                  "actor=token:abc",
	                                  "actor=:5",
	                                  "object=customer",
	                                  "object=:acme",
	                                  "since=yesterday",
	                                  "since=2026-13-01T00:00:00Z",
	                                  NULL};

	for (int i = 0; bad[i]; i++)
		expect_error(adm("GET", fmt("/admin/api/audit?%s", bad[i]), NULL), 400,
		             "invalid_filter");
}

VTEST(audit_chain, pages_are_newest_first_and_disjoint)
{
	struct resp *p1, *p2;
	json_int_t total;

	world_tour(&w);
	p1 = adm("GET", "/admin/api/audit?page=1&page_size=3", NULL);
	p2 = adm("GET", "/admin/api/audit?page=2&page_size=3", NULL);
	expect_status(p1, 200);
	expect_status(p2, 200);
	total = jint(p1->json, "total_count");
	cr_assert_eq(jint(p2->json, "total_count"), total);
	cr_assert_eq(json_array_size(jget(p1->json, "items")), 3);
	cr_assert_eq(json_array_size(jget(p2->json, "items")), 3);
	cr_assert_eq(jint(p1->json, "items.0.id"), db_scalar("SELECT MAX(id) FROM audit_events"),
	             "the first page does not start with the newest: %s", p1->body);
	cr_assert_gt(jint(p1->json, "items.0.id"), jint(p1->json, "items.2.id"));
	cr_assert_gt(jint(p1->json, "items.2.id"), jint(p2->json, "items.0.id"),
	             "pages overlap or are out of order");
	expect_error(adm("GET", "/admin/api/audit?page=0", NULL), 400, "invalid_page");
}

/* Whichever API changed it, one object filter gives a customer's history. */
VTEST(audit_chain, one_filter_finds_every_change_of_a_customer)
{
	json_int_t id;
	const char *by_pid, *by_id;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s, s:s}", "provided_id", "acme", "name", "Acme"));
	id = customer_admin_id(w.grp_test, "acme");
	expect_ok(adm("PATCH", fmt("/admin/api/customers/%" JSON_INTEGER_FORMAT, id),
	              J("{s:s}", "name", "Renamed by an admin")));
	expect_ok(api(w.tok_test, "POST", "/api/update_customer/",
	              J("{s:s, s:s}", "provided_id", "acme", "name", "Renamed by a token")));
	by_pid = audit_query("object=customer:acme")->body;
	by_id = audit_query(fmt("object=customer:%" JSON_INTEGER_FORMAT, id))->body;
	cr_assert(jint(audit_query("object=customer:acme")->json, "total_count") == 3 ||
	              jint(audit_query(fmt("object=customer:%" JSON_INTEGER_FORMAT, id))->json,
	                   "total_count") == 3,
	          "neither object=customer:acme nor object=customer:%" JSON_INTEGER_FORMAT
	          " finds the 3 changes of one customer:\n%s\n%s",
	          id, by_pid, by_id);
}
