/*
 * test_token_life — API tokens over their whole life: the team's longest
 * lifetime caps expires_at and gives the default; an expired token is 401;
 * last_used_at is written on first use and then at most once a minute (a
 * read writes nothing else); a refresh hands out a new secret at once and
 * keeps the old one only for the grace asked for; deletion revokes every
 * secret; and no token can reach the admin API, another team's tokens, or
 * any route that would make or widen a credential.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;

static const char *token_path(json_int_t id, const char *rest)
{
	return fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT "%s", id, rest);
}

static const char *tokens_path(json_int_t group)
{
	return fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", group);
}

/* RFC 3339 UTC text of now + seconds. */
static const char *iso_in(long long seconds)
{
	time_t at = time(NULL) + (time_t)seconds;
	char buf[32];
	struct tm tm;

	gmtime_r(&at, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return fmt("%s", buf);
}

/* Seconds from now to an RFC 3339 UTC time the server wrote. */
static long long seconds_until(const char *iso)
{
	struct tm tm = {0};

	cr_assert(iso && strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm), "not a time: %s",
	          iso ? iso : "(null)");
	return (long long)(timegm(&tm) - time(NULL));
}

static struct resp *new_token(json_t *extra)
{
	json_t *body = J("{s:s, s:s}", "name", "t", "permission", "read_write");

	json_object_update(body, extra);
	json_decref(extra);
	return adm("POST", tokens_path(w.grp_test), body);
}

static struct resp *customers(const char *token)
{
	return api(token, "GET", "/api/customers/", NULL);
}

VTEST(token_life, team_reads_its_policy)
{
	struct resp *r = adm("GET", "/admin/api/team", NULL);

	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "id"), S.team[0].id, "%s", r->body);
	cr_assert_str_eq(jstr(r->json, "name"), "Acme", "%s", r->body);
	cr_assert(json_is_null(jget(r->json, "token_max_lifetime_days")),
	          "a new team has no token lifetime limit: %s", r->body);
	cr_assert_not_null(jstr(r->json, "created_at"), "%s", r->body);
}

VTEST(token_life, team_policy_caps_and_defaults_expiry)
{
	struct resp *r;
	const char *before;

	world_tour(&w);
	r = adm("PATCH", "/admin/api/team", J("{s:i}", "token_max_lifetime_days", 7));
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "token_max_lifetime_days"), 7, "%s", r->body);
	cr_assert_eq(jint(adm("GET", "/admin/api/team", NULL)->json, "token_max_lifetime_days"), 7);

	r = new_token(json_object());
	expect_status(r, 201);
	cr_assert_geq(seconds_until(jstr(r->json, "expires_at")), 7 * 86400 - 60,
	              "the default expiry is not the team's limit: %s", r->body);
	cr_assert_leq(seconds_until(jstr(r->json, "expires_at")), 7 * 86400 + 60, "%s", r->body);
	expect_status(customers(jstr(r->json, "token")), 200);

	expect_status(new_token(J("{s:s}", "expires_at", iso_in(6 * 86400))), 201);
	expect_status(new_token(J("{s:s}", "expires_at", iso_in(7 * 86400 - 120))), 201);
	before = db_dump();
	expect_error(new_token(J("{s:s}", "expires_at", iso_in(7 * 86400 + 120))), 400,
	             "invalid_expiry");
	expect_error(new_token(J("{s:s}", "expires_at", "2999-01-01T00:00:00Z")), 400,
	             "invalid_expiry");
	expect_db_unchanged(before, "tokens beyond the team's limit");

	r = adm("PATCH", "/admin/api/team", J("{s:n}", "token_max_lifetime_days"));
	expect_status(r, 200);
	cr_assert(json_is_null(jget(r->json, "token_max_lifetime_days")), "%s", r->body);
	r = new_token(json_object());
	expect_status(r, 201);
	cr_assert(json_is_null(jget(r->json, "expires_at")), "no limit, no default: %s", r->body);
	expect_status(new_token(J("{s:s}", "expires_at", "2999-01-01T00:00:00Z")), 201);
}

VTEST(token_life, team_policy_is_validated)
{
	static const char *const bad[] = {"{\"token_max_lifetime_days\":0}",
	                                  "{\"token_max_lifetime_days\":-1}",
	                                  "{\"token_max_lifetime_days\":3651}",
	                                  "{\"token_max_lifetime_days\":\"7\"}",
	                                  "{\"token_max_lifetime_days\":1.5}",
	                                  "{\"token_max_lifetime_days\":true}",
	                                  "{\"token_max_lifetime_days\":[7]}",
	                                  "{\"token_lifetime\":7}",
	                                  NULL};
	const char *hdrs[] = {fmt("Authorization: Bearer %s", S.team[0].admin_key), NULL};
	const char *before = db_dump();

	for (int i = 0; bad[i]; i++) {
		struct resp *r = http("PATCH", "/admin/api/team", hdrs, bad[i], strlen(bad[i]));
		cr_expect_eq(r->status, 400, "%s: %ld %s", bad[i], r->status, r->body);
	}
	expect_db_unchanged(before, "refused team policies");
	expect_status(adm("PATCH", "/admin/api/team", J("{s:i}", "token_max_lifetime_days", 1)),
	              200);
	expect_status(adm("PATCH", "/admin/api/team", J("{s:i}", "token_max_lifetime_days", 3650)),
	              200);
}

VTEST(token_life, expires_at_must_be_a_future_time)
{
	static const char *const bad[] = {
	    "2001-01-01T00:00:00Z", "garbage",    "",
	    "2030-13-01T00:00:00Z", "2030-01-01", "2030-01-01T00:00:00",
	    "2030-01-01T25:00:00Z", "tomorrow",   NULL};
	const char *before;
	struct resp *r;

	world_tour(&w);
	before = db_dump();
	for (int i = 0; bad[i]; i++) {
		r = new_token(J("{s:s}", "expires_at", bad[i]));
		cr_expect(r->status == 400 && (strcmp(resp_code(r), "invalid_expiry") == 0 ||
		                               strcmp(resp_code(r), "missing_field") == 0),
		          "expires_at \"%s\": %ld %s", bad[i], r->status, r->body);
	}
	r = new_token(J("{s:s}", "expires_at", iso_in(-5)));
	expect_error(r, 400, "invalid_expiry");
	r = new_token(J("{s:I}", "expires_at", (json_int_t)time(NULL) + 3600));
	cr_assert_eq(r->status, 400, "expires_at as a number: %s", r->body);
	expect_db_unchanged(before, "refused expiry times");

	r = new_token(J("{s:s}", "expires_at", "2030-01-01T00:00:00Z"));
	expect_status(r, 201);
	cr_assert_str_eq(jstr(r->json, "expires_at"), "2030-01-01T00:00:00Z", "%s", r->body);
	r = new_token(J("{s:s}", "expires_at", "2030-01-01T00:00:00.250Z"));
	expect_status(r, 201);
}

/* RFC 3339 times may carry an offset; the same instant is meant. */
VTEST(token_life, expires_at_takes_rfc3339_offsets)
{
	struct resp *r;

	world_tour(&w);
	r = new_token(J("{s:s}", "expires_at", "2030-01-01T02:00:00+02:00"));
	expect_status(r, 201);
	cr_assert_str_eq(jstr(r->json, "expires_at"), "2030-01-01T00:00:00Z", "%s", r->body);
	r = new_token(J("{s:s}", "expires_at", "2029-12-31T19:00:00-05:00"));
	expect_status(r, 201);
	cr_assert_str_eq(jstr(r->json, "expires_at"), "2030-01-01T00:00:00Z", "%s", r->body);
}

/* A date that does not exist is not a time, rather than some other day. */
VTEST(token_life, expires_at_refuses_impossible_dates)
{
	static const char *const bad[] = {"2030-02-30T00:00:00Z", "2030-04-31T00:00:00Z",
	                                  "2030-02-29T00:00:00Z", NULL};
	const char *before;

	world_tour(&w);
	before = db_dump();
	for (int i = 0; bad[i]; i++) {
		struct resp *r = new_token(J("{s:s}", "expires_at", bad[i]));
		cr_expect_eq(r->status, 400, "expires_at \"%s\" (no such day) answered %ld: %s",
		             bad[i], r->status, r->body);
	}
	expect_db_unchanged(before, "impossible dates");
}

VTEST(token_life, an_expired_token_is_401)
{
	struct resp *r;
	const char *t, *fresh;
	json_int_t id;

	world_tour(&w);
	r = new_token(J("{s:s}", "expires_at", iso_in(3600)));
	expect_status(r, 201);
	t = jstr(r->json, "token");
	id = jint(r->json, "id");
	expect_status(customers(t), 200);
	r = adm("POST", token_path(id, "/refresh"), J("{s:i}", "grace_seconds", 600));
	expect_status(r, 200);
	fresh = jstr(r->json, "token");
	expect_status(customers(t), 200);

	db_write(fmt("UPDATE api_tokens SET expires_at = %lld WHERE id = %" JSON_INTEGER_FORMAT,
	             (long long)time(NULL) - 1, id));
	expect_error(customers(fresh), 401, "unauthorized");
	expect_error(customers(t), 401, "unauthorized");
	expect_error(api(fresh, "POST", "/api/create_customer/", J("{s:s}", "provided_id", "x")),
	             401, "unauthorized");
	expect_status(customers(w.tok_test), 200);
}

static json_t *token_json(json_int_t id)
{
	struct resp *r = adm("GET", token_path(id, ""), NULL);

	expect_status(r, 200);
	return r->json;
}

VTEST(token_life, last_used_at_is_written_at_most_once_a_minute)
{
	const char *first, *wal_before, *wal_after, *wal = fmt("%s-wal", S.db_path);
	size_t n_before = 0, n_after = 0;

	world_tour(&w);
	expect_error(customers(fmt("%sx", w.tok_test)), 401, "unauthorized");
	cr_assert(json_is_null(jget(token_json(w.tok_test_id), "last_used_at")),
	          "a failed attempt counted as a use");
	expect_status(customers(w.tok_test), 200);
	first = jstr(token_json(w.tok_test_id), "last_used_at");
	cr_assert_not_null(first, "the first use is not recorded: %s",
	                   jdump(token_json(w.tok_test_id)));
	cr_assert_leq(seconds_until(first), 1);
	cr_assert_geq(seconds_until(first), -61, "last_used_at is not about now: %s", first);

	sleep(1);
	wal_before = file_bytes(wal, &n_before);
	for (int i = 0; i < 30; i++)
		expect_status(customers(w.tok_test), 200);
	wal_after = file_bytes(wal, &n_after);
	cr_assert(n_before == n_after && memcmp(wal_before, wal_after, n_before) == 0,
	          "30 reads with one token wrote to the database (WAL %zu -> %zu bytes)", n_before,
	          n_after);
	cr_assert_str_eq(jstr(token_json(w.tok_test_id), "last_used_at"), first,
	                 "last_used_at moved within the minute");

	db_write(fmt("UPDATE api_tokens SET last_used_at = %lld WHERE id = %" JSON_INTEGER_FORMAT,
	             (long long)time(NULL) - 120, w.tok_test_id));
	expect_status(customers(w.tok_test), 200);
	cr_assert_geq(seconds_until(jstr(token_json(w.tok_test_id), "last_used_at")), -61,
	              "a use after a minute is not recorded: %s", jdump(token_json(w.tok_test_id)));
}

VTEST(token_life, refresh_without_grace_drops_the_old_secret_at_once)
{
	struct resp *r;
	const char *fresh;

	world_tour(&w);
	r = adm("POST", token_path(w.tok_test_id, "/refresh"), J("{s:i}", "grace_seconds", 0));
	expect_status(r, 200);
	fresh = jstr(r->json, "token");
	cr_assert(json_is_null(jget(r->json, "grace_ends_at")), "no grace asked: %s", r->body);
	expect_error(customers(w.tok_test), 401, "unauthorized");
	expect_status(customers(fresh), 200);
}

VTEST(token_life, refresh_with_grace_keeps_the_old_secret_until_it_ends)
{
	struct resp *r;
	const char *fresh;

	world_tour(&w);
	r = adm("POST", token_path(w.tok_test_id, "/refresh"), J("{s:i}", "grace_seconds", 2));
	expect_status(r, 200);
	fresh = jstr(r->json, "token");
	cr_assert_not_null(fresh, "%s", r->body);
	cr_assert_null(strstr(r->body, w.tok_test), "the answer shows the old secret: %s", r->body);
	cr_assert_leq(seconds_until(jstr(r->json, "grace_ends_at")), 3, "%s", r->body);
	cr_assert_geq(seconds_until(jstr(r->json, "grace_ends_at")), 0, "%s", r->body);
	cr_assert_not_null(jstr(token_json(w.tok_test_id), "grace_ends_at"));

	expect_status(customers(fresh), 200);
	expect_status(customers(w.tok_test), 200);
	expect_ok(api(w.tok_test, "POST", "/api/create_customer/",
	              J("{s:s}", "provided_id", "in-grace")));
	sleep(3);
	expect_error(customers(w.tok_test), 401, "unauthorized");
	expect_status(customers(fresh), 200);
}

VTEST(token_life, a_second_refresh_ends_the_first_grace)
{
	struct resp *r;
	const char *second, *third;

	world_tour(&w);
	r = adm("POST", token_path(w.tok_test_id, "/refresh"), J("{s:i}", "grace_seconds", 600));
	second = jstr(r->json, "token");
	expect_status(customers(w.tok_test), 200);
	r = adm("POST", token_path(w.tok_test_id, "/refresh"), NULL);
	expect_status(r, 200);
	third = jstr(r->json, "token");
	expect_error(customers(w.tok_test), 401, "unauthorized");
	expect_error(customers(second), 401, "unauthorized");
	expect_status(customers(third), 200);
}

VTEST(token_life, delete_during_grace_revokes_every_secret)
{
	struct resp *r;
	const char *fresh;

	world_tour(&w);
	r = adm("POST", token_path(w.tok_test_id, "/refresh"), J("{s:i}", "grace_seconds", 600));
	fresh = jstr(r->json, "token");
	expect_ok(adm("DELETE", token_path(w.tok_test_id, ""), NULL));
	expect_error(customers(fresh), 401, "unauthorized");
	expect_error(customers(w.tok_test), 401, "unauthorized");
	expect_error(adm("POST", token_path(w.tok_test_id, "/refresh"), NULL), 404, "not_found");
}

VTEST(token_life, grace_is_validated)
{
	static const char *const bad[] = {"{\"grace_seconds\":-1}",
	                                  "{\"grace_seconds\":604801}",
	                                  "{\"grace_seconds\":\"10\"}",
	                                  "{\"grace_seconds\":1.5}",
	                                  "{\"grace_seconds\":true}",
	                                  "{\"grace_seconds\":[10]}",
	                                  "{\"grace_seconds\":1e3}",
	                                  "{\"grace_seconds\":99999999999999999999}",
	                                  NULL};
	const char *hdrs[] = {fmt("Authorization: Bearer %s", S.team[0].admin_key), NULL};
	const char *before;
	struct resp *r;

	world_tour(&w);
	before = db_dump();
	for (int i = 0; bad[i]; i++) {
		r = http("POST", token_path(w.tok_test_id, "/refresh"), hdrs, bad[i],
		         strlen(bad[i]));
		cr_expect(r->status == 400 && (strcmp(resp_code(r), "invalid_grace") == 0 ||
		                               strcmp(resp_code(r), "invalid_json") == 0),
		          "%s: expected 400 invalid_grace, got %ld %s", bad[i], r->status, r->body);
	}
	expect_error(adm("POST", token_path(w.tok_test_id, "/refresh"),
	                 J("{s:i, s:b}", "grace_seconds", 5, "keep_old", 1)),
	             400, "unknown_field");
	expect_db_unchanged(before, "refused refreshes");
	expect_status(customers(w.tok_test), 200);
	r = adm("POST", token_path(w.tok_test_id, "/refresh"), J("{s:i}", "grace_seconds", 604800));
	expect_status(r, 200);
	cr_assert_geq(seconds_until(jstr(r->json, "grace_ends_at")), 604800 - 60, "%s", r->body);
}

VTEST(token_life, lists_show_prefix_and_last_four_of_the_current_secret)
{
	struct resp *r;
	const char *fresh, *listed;

	world_tour(&w);
	r = adm("POST", token_path(w.tok_test_id, "/refresh"), J("{s:i}", "grace_seconds", 60));
	fresh = jstr(r->json, "token");
	cr_assert_str_eq(jstr(r->json, "last_four"), fresh + strlen(fresh) - 4, "%s", r->body);
	cr_assert(strncmp(fresh, jstr(r->json, "prefix"), strlen(jstr(r->json, "prefix"))) == 0,
	          "%s", r->body);
	listed = adm("GET", fmt("%s?page_size=1000", tokens_path(w.grp_test)), NULL)->body;
	cr_assert_null(strstr(listed, fresh + 8), "the list shows the new secret: %s", listed);
	cr_assert_null(strstr(listed, w.tok_test + 8), "the list shows the old secret: %s", listed);
	cr_assert_not_null(strstr(listed, fmt("\"last_four\":\"%s\"", fresh + strlen(fresh) - 4)),
	                   "the list does not show the new last four: %s", listed);
	cr_assert_null(strstr(jdump(token_json(w.tok_test_id)), fresh + 8), "GET shows the secret");
}

VTEST2(token_life, another_teams_tokens_are_out_of_reach)
{
	static const char *const rests[] = {"", "/refresh", NULL};
	const char *before;

	world_tour(&w);
	before = db_dump();
	for (int i = 0; rests[i]; i++) {
		const char *m = *rests[i] ? "POST" : "GET";
		expect_hidden(adm_t(1, m, token_path(w.tok_test_id, rests[i]), NULL),
		              adm_t(1, m, token_path(999999, rests[i]), NULL), ids(w.tok_test_id),
		              "999999");
	}
	expect_hidden(
	    adm_t(1, "PATCH", token_path(w.ro_test_id, ""), J("{s:s}", "permission", "read_write")),
	    adm_t(1, "PATCH", token_path(999999, ""), J("{s:s}", "permission", "read_write")),
	    ids(w.ro_test_id), "999999");
	expect_hidden(adm_t(1, "DELETE", token_path(w.tok_test_id, ""), NULL),
	              adm_t(1, "DELETE", token_path(999999, ""), NULL), ids(w.tok_test_id),
	              "999999");
	expect_error(adm_t(1, "POST", tokens_path(w.grp_test),
	                   J("{s:s, s:s}", "name", "x", "permission", "read_write")),
	             404, "not_found");
	expect_db_unchanged(before, "another team's token requests");
	expect_status(customers(w.tok_test), 200);
}

/* Admin routes that would make, widen or keep a credential alive. */
static const char *const credential_routes[][3] = {
    {"POST", "/admin/api/groups/{G}/tokens", "{\"name\":\"x\",\"permission\":\"read_write\"}"},
    {"POST", "/admin/api/admin_keys", "{\"name\":\"x\"}"},
    {"POST", "/admin/api/members", "{\"email\":\"x@x.test\",\"role\":\"admin\"}"},
    {"PATCH", "/admin/api/tokens/{T}", "{\"permission\":\"read_write\"}"},
    {"POST", "/admin/api/tokens/{T}/refresh", "{\"grace_seconds\":604800}"},
    {"POST", "/admin/api/groups/{G}/keys", "{}"},
    {"PATCH", "/admin/api/team", "{\"token_max_lifetime_days\":null}"},
    {NULL, NULL, NULL},
};

VTEST(token_life, a_token_cannot_make_or_widen_credentials)
{
	static const char *const customer_routes[] = {"/api/tokens",
	                                              "/api/create_token",
	                                              "/api/admin_keys",
	                                              "/api/refresh_token",
	                                              "/api/keys",
	                                              "/api/members",
	                                              NULL};
	const char *before;

	world_tour(&w);
	before = db_dump();
	for (int i = 0; credential_routes[i][0]; i++) {
		const char *path =
		    replace_all(replace_all(credential_routes[i][1], "{G}", ids(w.grp_test)), "{T}",
		                ids(w.ro_test_id));
		const char *body = credential_routes[i][2];
		const char *bearer[] = {fmt("Authorization: Bearer %s", w.tok_test), NULL};
		const char *explo[] = {fmt("Explo-Authorization: Token %s", w.ro_test), NULL};

		expect_error(http(credential_routes[i][0], path, bearer, body, strlen(body)), 401,
		             "unauthorized");
		expect_error(http(credential_routes[i][0], path, explo, body, strlen(body)), 401,
		             "unauthorized");
	}
	for (int i = 0; customer_routes[i]; i++)
		expect_error(api(w.tok_test, "POST", customer_routes[i],
		                 J("{s:s, s:s}", "name", "x", "permission", "read_write")),
		             404, "no_such_route");
	expect_db_unchanged(before, "credential requests made with API tokens");
	expect_status(customers(w.ro_test), 200);
	expect_error(
	    api(w.ro_test, "POST", "/api/create_customer/", J("{s:s}", "provided_id", "x")), 403,
	    "read_only_token");
}
