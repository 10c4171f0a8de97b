/*
 * test_tokens — the API token lifecycle through the admin API: the secret is
 * shown once at creation and never again, a refresh replaces it (the old
 * one gets 401 at once), deletion and expiry revoke it, and a permission
 * change takes effect on the next request.
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

VTEST(tokens, created_object_shows_the_secret_once)
{
	struct resp *r;
	const char *secret, *prefix, *last4;

	world_tour(&w);
	r = adm("POST", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", w.grp_test),
	        J("{s:s, s:s}", "name", "CI", "permission", "read_only"));
	expect_status(r, 201);
	secret = jstr(r->json, "token");
	prefix = jstr(r->json, "prefix");
	last4 = jstr(r->json, "last_four");
	cr_assert(secret && strncmp(secret, "vis_", 4) == 0, "%s", r->body);
	cr_assert_eq(jint(r->json, "group_id"), w.grp_test);
	cr_assert_str_eq(jstr(r->json, "name"), "CI");
	cr_assert_str_eq(jstr(r->json, "permission"), "read_only");
	cr_assert(prefix && strncmp(secret, prefix, strlen(prefix)) == 0, "prefix: %s", r->body);
	cr_assert(last4 && strlen(last4) == 4, "last_four: %s", r->body);
	cr_assert_str_eq(secret + strlen(secret) - 4, last4);
	cr_assert_lt(strlen(prefix), strlen(secret) - 8, "the prefix gives away the secret");
	for (const char *f = "created_at\0expires_at\0last_used_at\0"; *f; f += strlen(f) + 1)
		cr_assert_not_null(jget(r->json, f), "token object lacks %s: %s", f, r->body);

	r = adm("GET", token_path(jint(r->json, "id"), ""), NULL);
	expect_status(r, 200);
	cr_assert_null(jget(r->json, "token"), "GET shows the secret: %s", r->body);
	cr_assert_null(strstr(r->body, secret), "GET shows the secret: %s", r->body);
	r = adm("GET", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", w.grp_test), NULL);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "total_count"), 3, "%s", r->body);
	cr_assert_null(jget(r->json, "items.0.token"), "the list shows secrets: %s", r->body);
	cr_assert_null(strstr(r->body, secret), "the list shows the secret");
}

VTEST(tokens, refresh_replaces_the_secret)
{
	struct resp *r;
	const char *fresh;

	world_tour(&w);
	r = adm("POST", token_path(w.tok_test_id, "/refresh"), NULL);
	expect_status(r, 200);
	fresh = jstr(r->json, "token");
	cr_assert(fresh && strncmp(fresh, "vis_", 4) == 0, "%s", r->body);
	cr_assert_str_neq(fresh, w.tok_test);
	cr_assert_eq(jint(r->json, "id"), w.tok_test_id);
	expect_error(api(w.tok_test, "GET", "/api/customers/", NULL), 401, "unauthorized");
	expect_status(api(fresh, "GET", "/api/customers/", NULL), 200);
	expect_ok(api(fresh, "POST", "/api/create_customer/", J("{s:s}", "provided_id", "ok")));
	cr_assert_str_eq(jstr(get_customer(fresh, "ok"), "access_group"), "Testing");
}

VTEST(tokens, delete_revokes)
{
	world_tour(&w);
	expect_ok(adm("DELETE", token_path(w.tok_test_id, ""), NULL));
	expect_error(api(w.tok_test, "GET", "/api/customers/", NULL), 401, "unauthorized");
	expect_error(adm("GET", token_path(w.tok_test_id, ""), NULL), 404, "not_found");
	expect_status(api(w.ro_test, "GET", "/api/customers/", NULL), 200);
}

VTEST(tokens, rename)
{
	struct resp *r;

	world_tour(&w);
	r = adm("PATCH", token_path(w.tok_test_id, ""), J("{s:s}", "name", "Deploy bot"));
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "name"), "Deploy bot");
	cr_assert_null(jget(r->json, "token"), "PATCH shows the secret");
	expect_status(api(w.tok_test, "GET", "/api/customers/", NULL), 200);
}

VTEST(tokens, bad_permission_is_refused)
{
	const char *before;

	world_tour(&w);
	before = db_dump();
	expect_status(adm("POST",
	                  fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", w.grp_test),
	                  J("{s:s, s:s}", "name", "x", "permission", "admin")),
	              400);
	expect_status(adm("PATCH", token_path(w.tok_test_id, ""), J("{s:s}", "permission", "root")),
	              400);
	expect_db_unchanged(before, "bad permissions");
}

/* expires_at a few seconds ahead, as ISO 8601 (or, failing that, epoch seconds). */
static const char *token_expiring_in(int seconds)
{
	time_t at = time(NULL) + seconds;
	char iso[32];
	struct tm tm;
	struct resp *r;
	const char *path = fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", w.grp_test);

	gmtime_r(&at, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	r = adm(
	    "POST", path,
	    J("{s:s, s:s, s:s}", "name", "short", "permission", "read_write", "expires_at", iso));
	if (r->status == 400) {
		cr_log_warn("expires_at as ISO 8601 refused (%s); trying epoch seconds", r->body);
		r = adm("POST", path,
		        J("{s:s, s:s, s:I}", "name", "short", "permission", "read_write",
		          "expires_at", (json_int_t)at));
	}
	expect_status(r, 201);
	cr_assert(!json_is_null(jget(r->json, "expires_at")), "expires_at not kept: %s", r->body);
	return jstr(r->json, "token");
}

VTEST(tokens, expired_token_gets_401)
{
	const char *t;

	world_tour(&w);
	t = token_expiring_in(2);
	expect_status(api(t, "GET", "/api/customers/", NULL), 200);
	sleep(3);
	expect_error(api(t, "GET", "/api/customers/", NULL), 401, "unauthorized");
}

VTEST(tokens, last_used_at_is_recorded)
{
	struct resp *r;

	world_tour(&w);
	r = adm("GET", token_path(w.tok_test_id, ""), NULL);
	cr_assert(json_is_null(jget(r->json, "last_used_at")), "used before use: %s", r->body);
	expect_status(api(w.tok_test, "GET", "/api/customers/", NULL), 200);
	r = adm("GET", token_path(w.tok_test_id, ""), NULL);
	cr_assert(!json_is_null(jget(r->json, "last_used_at")), "use not recorded: %s", r->body);
}
