/*
 * test_embed_keys — signing keys and generate_jwt: a key is a lowercase
 * UUID and a date, never its material (not in any answer, audit event or
 * log line); keys are fenced by group and team; generate_jwt makes a
 * compact JWE with exactly alg dir, enc A256GCM and the key's kid whose
 * claims (opened here with the key read from the database) carry cst, dsh,
 * iat, exp and origin; and every bad request is refused with its code.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "dbsnap.h"
#include "embedkit.h"
#include "harness.h"
#include "sealkit.h"
#include "world.h"

static struct embed_world e;

static bool is_lower_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-'
		         : !(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* The key's material, as hex and as base64url, appears nowhere in text. */
static void expect_no_key_in(const char *what, const char *text, const char *key_id)
{
	unsigned char key[KIT_KEY_BYTES];
	char hex[65];

	kit_signing_key(key_id, key, hex);
	cr_assert_null(strcasestr(text, hex), "%s shows signing key %s", what, key_id);
	cr_assert_null(strstr(text, b64url(key, sizeof(key))), "%s shows signing key %s", what,
	               key_id);
}

VTEST(embed_keys, create_answers_id_group_and_date_only)
{
	struct resp *r;
	json_t *v;
	const char *f;

	world_tour(&e.w);
	r = adm("POST", keys_path(e.w.grp_test), json_object());
	expect_status(r, 201);
	cr_assert(is_lower_uuid(jstr(r->json, "key_id")), "key_id is not a lowercase UUID: %s",
	          r->body);
	cr_assert(json_is_integer(jget(r->json, "group_id")) &&
	              jint(r->json, "group_id") == e.w.grp_test,
	          "%s", r->body);
	cr_assert_not_null(jstr(r->json, "created_at"), "%s", r->body);
	json_object_foreach (r->json, f, v)
		cr_expect(strcmp(f, "key_id") == 0 || strcmp(f, "group_id") == 0 ||
		              strcmp(f, "created_at") == 0 || strcmp(f, "retired_at") == 0,
		          "a signing key answers an unexpected field \"%s\": %s", f, r->body);
	expect_no_key_in("POST keys", r->body, jstr(r->json, "key_id"));

	/* An empty body works too. */
	expect_status(
	    http("POST", keys_path(e.w.grp_test),
	         (const char *[]){fmt("Authorization: Bearer %s", S.team[0].admin_key), NULL}, NULL,
	         0),
	    201);
}

VTEST(embed_keys, list_is_newest_first_and_delete_retires)
{
	const char *a, *b, *c;
	struct resp *r;

	world_tour(&e.w);
	a = mk_key(e.w.grp_test);
	b = mk_key(e.w.grp_test);
	c = mk_key(e.w.grp_prod);
	r = adm("GET", keys_path(e.w.grp_test), NULL);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "total_count"), 2, "%s", r->body);
	cr_assert_str_eq(jstr(r->json, "items.0.key_id"), b, "newest first: %s", r->body);
	cr_assert_str_eq(jstr(r->json, "items.1.key_id"), a, "%s", r->body);
	cr_assert_null(strstr(r->body, c), "another group's key is listed: %s", r->body);
	for (const char *k = a; k; k = k == a ? b : NULL)
		expect_no_key_in("GET keys", r->body, k);

	expect_status(adm("DELETE", key_path(a), NULL), 200);
	r = adm("GET", keys_path(e.w.grp_test), NULL);
	cr_assert_eq(jint(r->json, "total_count"), 1, "%s", r->body);
	cr_assert_null(strstr(r->body, a), "a deleted key is still listed: %s", r->body);
	expect_error(adm("DELETE", key_path(a), NULL), 404, "not_found");
	expect_error(adm("GET", keys_path(999999), NULL), 404, "not_found");
	expect_error(adm("POST", keys_path(999999), json_object()), 404, "not_found");
}

VTEST(embed_keys, material_cannot_be_supplied_or_read_back)
{
	const char *before, *k, *everything;

	world_tour(&e.w);
	before = db_dump();
	expect_error(adm("POST", keys_path(e.w.grp_test),
	                 J("{s:s}", "key",
	                   "00112233445566778899aabbccddeeff00112233445566778899"
	                   "aabbccddeeff")),
	             400, "unknown_field");
	expect_error(adm("POST", keys_path(e.w.grp_test), J("{s:s}", "key_id", "mine")), 400,
	             "unknown_field");
	expect_db_unchanged(before, "a key creation with material or id supplied");

	k = mk_key(e.w.grp_test);
	mk_customer(e.w.tok_test, J("{s:s}", "provided_id", "acme"));
	mk_jwt(e.w.tok_test, "acme", "d1", NULL);
	everything = fmt(
	    "%s%s%s%s%s", adm("GET", keys_path(e.w.grp_test), NULL)->body,
	    adm("GET", "/admin/api/audit?page_size=1000", NULL)->body,
	    adm("GET", "/admin/api/groups", NULL)->body,
	    adm("GET", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, e.w.grp_test), NULL)->body,
	    srv_log());
	expect_no_key_in("the admin reads, audit and log", everything, k);
	cr_assert(
	    strncmp(db_texts(fmt("SELECT sealed_key FROM signing_keys WHERE key_id = '%s'", k)),
	            "v1:", 3) == 0,
	    "the signing key is not sealed in the database");
}

VTEST2(embed_keys, keys_are_fenced_by_team)
{
	const char *k, *before, *ghost = "0b5a7c1e-3f2d-4c6b-9a8e-1d2c3b4a5f60";

	world_tour(&e.w);
	k = mk_key(e.w.grp_test);
	before = db_dump();
	expect_hidden(adm_t(1, "DELETE", key_path(k), NULL),
	              adm_t(1, "DELETE", key_path(ghost), NULL), k, ghost);
	expect_error(adm_t(1, "GET", keys_path(e.w.grp_test), NULL), 404, "not_found");
	expect_error(adm_t(1, "POST", keys_path(e.w.grp_test), json_object()), 404, "not_found");
	expect_db_unchanged(before, "another team's key requests");
	cr_assert_eq(jint(adm("GET", keys_path(e.w.grp_test), NULL)->json, "total_count"), 1);
}

VTEST(embed_keys, deleting_a_group_drops_its_keys)
{
	json_int_t g;

	world_tour(&e.w);
	g = mk_group("Short-lived");
	mk_key(g);
	mk_key(g);
	expect_ok(adm("DELETE", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, g), NULL));
	cr_assert_eq(
	    db_scalar(
	        fmt("SELECT COUNT(*) FROM signing_keys WHERE group_id = %" JSON_INTEGER_FORMAT, g)),
	    0, "a deleted group's signing keys are still stored (rule 8)");
}

/* The claims of a token made by the server, opened with the key it names. */
static json_t *claims_of(const char *jwt, const char *key_id)
{
	unsigned char key[KIT_KEY_BYTES];
	const char *plain;
	json_t *c;

	kit_signing_key(key_id, key, NULL);
	plain = kit_jwe_open(key, jwt);
	cr_assert_not_null(plain, "the embed token does not open with key %s: %s", key_id, jwt);
	c = jkeep(json_loads(plain, JSON_REJECT_DUPLICATES, NULL));
	cr_assert(json_is_object(c), "the claims are not a JSON object: %s", plain);
	return c;
}

VTEST(embed_keys, generate_makes_a_dir_a256gcm_jwe)
{
	const char *jwt, *parts[8];
	json_t *h, *c;
	long long now = (long long)time(NULL);

	embed_world(&e);
	jwt = mk_jwt(e.w.tok_test, "acme", "dash-1",
	             J("{s:s}", "embed_origin", "https://app.acme.test"));
	cr_assert_eq(jwt_split(jwt, parts), 5, "not a compact JWE (five parts): %s", jwt);
	cr_assert_str_eq(parts[1], "", "dir carries no encrypted key: %s", jwt);
	h = jkeep(json_loads(kit_jwe_header(jwt), JSON_REJECT_DUPLICATES, NULL));
	cr_assert_str_eq(jdump(h),
	                 fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", e.key_test),
	                 "protected header: %s", jdump(h));

	c = claims_of(jwt, e.key_test);
	cr_assert_str_eq(jstr(c, "cst"), "acme", "%s", jdump(c));
	cr_assert_str_eq(jstr(c, "dsh"), "dash-1", "%s", jdump(c));
	cr_assert_str_eq(jstr(c, "iss"), "https://app.acme.test", "%s", jdump(c));
	cr_assert(jint(c, "iat") >= now - 5 && jint(c, "iat") <= now + 5, "iat: %s", jdump(c));
	cr_assert_eq(jint(c, "exp") - jint(c, "iat"), 86400, "the default life is 24 h: %s",
	             jdump(c));

	c = claims_of(mk_jwt(e.w.tok_test, "acme", "dash-2", NULL), e.key_test);
	cr_assert_null(jget(c, "iss"), "origin without embed_origin: %s", jdump(c));
}

/* Explo's other generate_jwt fields are taken, as Explo's claims. */
VTEST(embed_keys, explo_report_builder_fields_become_claims)
{
	json_t *c;

	embed_world(&e);
	c = claims_of(mk_jwt(e.w.tok_test, "acme", "rb-1",
	                     J("{s:[s,s], s:b, s:s}", "rb_allowed_features", "flt", "srt",
	                       "disable_editable_section_editing", 1, "chart_id", "chart-7")),
	              e.key_test);
	cr_assert_eq(json_array_size(jget(c, "rbc")), 2, "rbc: %s", jdump(c));
	cr_assert(json_is_true(jget(c, "des")), "des: %s", jdump(c));
	cr_assert_str_eq(jstr(c, "cht"), "chart-7", "%s", jdump(c));
}

VTEST(embed_keys, expiration_sets_the_life)
{
	static const struct {
		const char *iso;
		long long seconds;
	} cases[] = {
	    {"PT2H", 7200},          {"PT90S", 90},      {"P1W", 604800},     {"P1DT12H", 129600},
	    {"P30D", 2592000},       {"P4W2D", 2592000}, {"PT720H", 2592000}, {"PT1S", 1},
	    {"PT2592000S", 2592000}, {NULL, 0}};

	embed_world(&e);
	for (int i = 0; cases[i].iso; i++) {
		struct resp *r =
		    gen_jwt(e.w.tok_test, J("{s:s, s:s, s:s}", "provided_id", "acme", "embed_id",
		                            "d", "expiration", cases[i].iso));
		json_t *c;

		cr_expect_eq(r->status, 200, "expiration %s: %s", cases[i].iso, r->body);
		if (r->status != 200)
			continue;
		c = claims_of(jstr(r->json, "jwt"), e.key_test);
		cr_expect_eq(jint(c, "exp") - jint(c, "iat"), cases[i].seconds, "expiration %s: %s",
		             cases[i].iso, jdump(c));
	}
}

VTEST(embed_keys, bad_expirations_are_refused)
{
	static const char *const bad[] = {"",
	                                  "-PT1H",
	                                  "+PT1H",
	                                  "PT-1H",
	                                  "P",
	                                  "PT",
	                                  "P1DT",
	                                  "1H",
	                                  "PT1.5H",
	                                  "PT1,5H",
	                                  "P31D",
	                                  "PT2592001S",
	                                  "P4W2DT1S",
	                                  "P5W",
	                                  "P1Y",
	                                  "P1M",
	                                  "pt1h",
	                                  " PT1H",
	                                  "PT1H ",
	                                  "PT0S",
	                                  "P0D",
	                                  "PT1H1H",
	                                  "PT1M1H",
	                                  "P1DT1H1D",
	                                  "PTH",
	                                  "PT99999999999999999999S",
	                                  "P1D\n",
	                                  "PT1HZ",
	                                  "P1DT1H\u00a0",
	                                  NULL};
	const char *before;

	embed_world(&e);
	before = db_dump();
	for (int i = 0; bad[i]; i++) {
		struct resp *r = gen_jwt(e.w.tok_test, J("{s:s, s:s, s:s}", "provided_id", "acme",
		                                         "embed_id", "d", "expiration", bad[i]));
		cr_expect(r->status == 400 && strcmp(resp_code(r), "invalid_expiration") == 0,
		          "expiration \"%s\": expected 400 invalid_expiration, got %ld: %s", bad[i],
		          r->status, r->body);
	}
	expect_error(gen_jwt(e.w.tok_test, J("{s:s, s:s, s:i}", "provided_id", "acme", "embed_id",
	                                     "d", "expiration", 3600)),
	             400, "invalid_expiration");
	expect_db_unchanged(before, "bad expirations");
}

VTEST(embed_keys, generate_without_a_key_is_409)
{
	world_tour(&e.w);
	mk_customer(e.w.tok_test, J("{s:s}", "provided_id", "acme"));
	mk_key(e.w.grp_prod);
	expect_error(gen_jwt(e.w.tok_test, J("{s:s, s:s}", "provided_id", "acme", "embed_id", "d")),
	             409, "no_signing_key");
}

VTEST(embed_keys, generate_refuses_foreign_keys_and_customers)
{
	const char *ghost = "0b5a7c1e-3f2d-4c6b-9a8e-1d2c3b4a5f60";

	embed_world(&e);
	mk_customer(e.w.tok_prod, J("{s:s}", "provided_id", "prod-only"));
	expect_hidden(gen_jwt(e.w.tok_test, J("{s:s, s:s, s:s}", "provided_id", "acme", "embed_id",
	                                      "d", "key_id", e.key_prod)),
	              gen_jwt(e.w.tok_test, J("{s:s, s:s, s:s}", "provided_id", "acme", "embed_id",
	                                      "d", "key_id", ghost)),
	              e.key_prod, ghost);
	expect_error(gen_jwt(e.w.tok_test, J("{s:s, s:s, s:s}", "provided_id", "acme", "embed_id",
	                                     "d", "key_id", e.key_prod)),
	             404, "not_found");
	expect_hidden(
	    gen_jwt(e.w.tok_test, J("{s:s, s:s}", "provided_id", "prod-only", "embed_id", "d")),
	    gen_jwt(e.w.tok_test, J("{s:s, s:s}", "provided_id", "nobody", "embed_id", "d")),
	    "prod-only", "nobody");
	expect_error(
	    gen_jwt(e.w.tok_test, J("{s:s, s:s}", "provided_id", "nobody", "embed_id", "d")), 404,
	    "not_found");
}

VTEST(embed_keys, generate_refuses_bad_bodies)
{
	static const struct {
		const char *body;
		const char *code;
	} cases[] = {
	    {"{\"embed_id\":\"d\"}", "missing_field"},
	    {"{\"provided_id\":\"acme\"}", "missing_field"},
	    {"{\"provided_id\":\"\",\"embed_id\":\"d\"}", "missing_field"},
	    {"{\"provided_id\":\"acme\",\"embed_id\":\"\"}", "missing_field"},
	    {"{\"provided_id\":5,\"embed_id\":\"d\"}", "wrong_type"},
	    {"{\"provided_id\":\"acme\",\"embed_id\":[]}", "wrong_type"},
	    {"{\"provided_id\":\"acme\",\"embed_id\":\"d\",\"key_id\":7}", "wrong_type"},
	    {"{\"provided_id\":\"acme\",\"embed_id\":\"d\",\"embed_origin\":{}}", "wrong_type"},
	    {"{\"provided_id\":\"acme\",\"embed_id\":\"d\",\"exp\":1}", "unknown_field"},
	    {"{\"provided_id\":\"acme\",\"embed_id\":\"d\",\"alg\":\"none\"}", "unknown_field"},
	    {"{\"provided_id\":\"acme\",\"embed_id\":\"d\",\"claims\":{\"cst\":\"x\"}}",
	     "unknown_field"},
	    {NULL, NULL},
	};

	embed_world(&e);
	for (int i = 0; cases[i].body; i++) {
		struct resp *r = api_raw(e.w.tok_test, "POST", "/api/generate_jwt/", cases[i].body,
		                         strlen(cases[i].body));
		cr_expect(r->status == 400 && strcmp(resp_code(r), cases[i].code) == 0,
		          "%s: expected 400 %s, got %ld: %s", cases[i].body, cases[i].code,
		          r->status, r->body);
	}
	expect_error(gen_jwt(e.w.tok_test,
	                     J("{s:s, s:s}", "provided_id", "acme", "embed_id", fmt("%0300d", 1))),
	             400, "too_long");
}

/* key_id "" names no key: it must not quietly mean "the newest". */
VTEST(embed_keys, empty_key_id_is_not_the_newest_key)
{
	struct resp *r;

	embed_world(&e);
	r = gen_jwt(e.w.tok_test,
	            J("{s:s, s:s, s:s}", "provided_id", "acme", "embed_id", "d", "key_id", ""));
	cr_assert(r->status == 400 || r->status == 404,
	          "generate_jwt with key_id \"\" answered %ld (expected 400 or 404): %s", r->status,
	          r->body);
}

VTEST(embed_keys, read_only_tokens_may_generate_and_verify)
{
	const char *jwt;

	embed_world(&e);
	jwt = mk_jwt(e.w.ro_test, "acme", "d", NULL);
	expect_verified(verify_jwt(e.w.ro_test, jwt), "acme");
	expect_verified(verify_jwt(e.w.tok_test, jwt), "acme");
}

VTEST(embed_keys, generate_does_not_write)
{
	const char *before;

	embed_world(&e);
	before = db_dump();
	mk_jwt(e.w.tok_test, "acme", "d", NULL);
	verify_jwt(e.w.tok_test, mk_jwt(e.w.tok_test, "acme", "d", NULL));
	expect_db_unchanged(before, "generate_jwt and verify_jwt");
}

/* Whatever generate_jwt accepts, the token it answers must pass verify_jwt's
 * own limits: a request at every field's limit, in characters that JSON
 * writes six bytes long, is refused or makes a token that verifies. */
VTEST(embed_keys, every_generated_token_verifies)
{
	char embed[256], origin[1025];
	struct resp *r;

	embed_world(&e);
	memset(embed, '\x01', sizeof(embed) - 1);
	embed[sizeof(embed) - 1] = '\0';
	memset(origin, '\x01', sizeof(origin) - 1);
	origin[sizeof(origin) - 1] = '\0';
	r = gen_jwt(e.w.tok_test, J("{s:s, s:s, s:s}", "provided_id", "acme", "embed_id", embed,
	                            "embed_origin", origin));
	if (r->status == 400)
		return;
	expect_status(r, 200);
	expect_verified(verify_jwt(e.w.tok_test, jstr(r->json, "jwt")), "acme");
}
