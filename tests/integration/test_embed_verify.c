/*
 * test_embed_verify — verify_jwt under attack. A genuine embed token
 * verifies for its own group only; every byte flipped, every re-encoding,
 * every header other than exactly {alg dir, enc A256GCM, kid} and every
 * claim set out of shape is refused with 401 invalid_embed_token — the
 * forged ones are sealed here with the real key (read from the database),
 * so that only the server's own checks stand between them and success.
 * Expiry, key rotation and retirement, and a customer's deletion, renaming
 * or move revoke exactly the tokens they should.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbsnap.h"
#include "embedkit.h"
#include "harness.h"
#include "sealkit.h"
#include "world.h"

static struct embed_world e;

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const char *with_part(const char *jwt, int which, const char *value)
{
	const char *p[8];
	int n = jwt_split(jwt, p);

	p[which] = value;
	return jwt_join(p, n);
}

static const char *part(const char *jwt, int which)
{
	const char *p[8];

	return which < jwt_split(jwt, p) ? p[which] : "";
}

/* A part with bit 0 of byte i flipped (i < 0 counts from the end). */
static const char *flip(const char *seg, int i)
{
	size_t n = 0;
	unsigned char *b = b64url_decode(seg, strlen(seg), &n);

	cr_assert(b != NULL && n > 0, "cannot decode %s", seg);
	b[i < 0 ? (int)n + i : i] ^= 1;
	return b64url(b, n);
}

/* A part whose last character has its unused low bit set: the same bytes to a
 * decoder that ignores those bits. NULL when the part has no unused bits. */
static const char *lax_tail(const char *seg)
{
	size_t len = strlen(seg);
	char *s;
	long idx;

	if (len % 4 != 2 && len % 4 != 3)
		return NULL;
	s = fmt("%s", seg);
	idx = strchr(b64_alphabet, s[len - 1]) - b64_alphabet;
	s[len - 1] = b64_alphabet[idx | 1];
	return s;
}

/* A part with its first '-' or '_' written in standard base64; NULL without one. */
static const char *std_alphabet(const char *seg)
{
	char *s = fmt("%s", seg);
	char *at = strpbrk(s, "-_");

	if (at == NULL)
		return NULL;
	*at = *at == '-' ? '+' : '/';
	return s;
}

/* Some token of acme whose ciphertext length leaves unused bits in its last character. */
static const char *jwt_with_spare_bits(void)
{
	for (int i = 1; i < 4; i++) {
		const char *jwt = mk_jwt(e.w.tok_test, "acme", fmt("%0*d", i, 0), NULL);
		if (lax_tail(part(jwt, 3)) != NULL)
			return jwt;
	}
	cr_assert_fail("no ciphertext length with spare bits");
	return NULL;
}

struct bad_jwt {
	const char *what;
	const char *jwt;
};

/* Each is refused with 401 invalid_embed_token; every case is reported. */
static void expect_all_refused(const char *token, const struct bad_jwt *cases, int n)
{
	for (int i = 0; i < n; i++) {
		struct resp *r;

		if (cases[i].jwt == NULL)
			continue;
		r = verify_jwt(token, cases[i].jwt);
		cr_expect(r->status == 401 && strcmp(resp_code(r), "invalid_embed_token") == 0,
		          "%s: expected 401 invalid_embed_token, got %ld: %s", cases[i].what,
		          r->status, r->body);
	}
}

static const char *upper(const char *s)
{
	char *u = fmt("%s", s);

	for (char *p = u; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return u;
}

static const char *header_for(const char *kid)
{
	return fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", kid);
}

/* The claims of a fresh token the server made for acme, opened with the
 * group's key: forgeries start from them, so they keep whatever else the
 * server puts there. */
static const char *genuine_claims(const char *token, const char *key_id)
{
	unsigned char key[KIT_KEY_BYTES];
	const char *plain;

	kit_signing_key(key_id, key, NULL);
	plain = kit_jwe_open(key, mk_jwt(token, "acme", "forged", NULL));
	cr_assert_not_null(plain, "a genuine token does not open with its key");
	return plain;
}

/* claims with field set to value (stolen), or removed when value is NULL. */
static const char *with_claim(const char *claims, const char *field, json_t *value)
{
	json_t *o = json_loads(claims, 0, NULL);
	char *text;

	cr_assert(json_is_object(o), "claims are not an object: %s", claims);
	if (value)
		json_object_set_new(o, field, value);
	else
		json_object_del(o, field);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return keep(text);
}

VTEST(embed_verify, answers_whose_token_it_is)
{
	const char *jwt;
	struct resp *r;
	json_t *c;
	long long now = (long long)time(NULL);
	char when[32];
	time_t exp = (time_t)(now + 7200);
	struct tm tm;

	embed_world(&e);
	jwt = mk_jwt(e.w.tok_test, "acme", "dash-1", J("{s:s}", "expiration", "PT2H"));
	r = verify_jwt(e.w.tok_test, jwt);
	expect_verified(r, "acme");
	cr_assert_eq(jint(r->json, "success"), 1, "%s", r->body);
	cr_assert_str_eq(jstr(r->json, "embed_id"), "dash-1", "%s", r->body);
	c = get_customer(e.w.tok_test, "acme");
	cr_assert_str_eq(jdump(jget(r->json, "customer")), jdump(c),
	                 "verify_jwt answers another view of the customer");
	cr_assert_str_eq(jstr(r->json, "customer.access_group"), "Testing");
	gmtime_r(&exp, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M", &tm);
	cr_assert(jstr(r->json, "expires_at") &&
	              strncmp(jstr(r->json, "expires_at"), when, 13) == 0,
	          "expires_at is not about two hours ahead (%s): %s", when, r->body);
	expect_verified(api(e.w.tok_test, "POST", "/api/verify_jwt", J("{s:s}", "jwt", jwt)),
	                "acme");
}

VTEST2(embed_verify, other_groups_and_teams_cannot_verify)
{
	const char *jwt, *t2;
	json_int_t g2;

	embed_world(&e);
	jwt = mk_jwt(e.w.tok_test, "acme", "d", NULL);
	/* Production has its own "acme" and its own key: the kid is foreign there. */
	expect_refused(verify_jwt(e.w.tok_prod, jwt));
	expect_refused(verify_jwt(e.w.ro_prod, jwt));
	/* The same token claiming Production's kid opens with neither key. */
	expect_refused(verify_jwt(
	    e.w.tok_prod,
	    with_part(jwt, 0, b64url(header_for(e.key_prod), strlen(header_for(e.key_prod))))));

	g2 = jint(adm_t(1, "POST", "/admin/api/groups", J("{s:s}", "name", "Testing"))->json, "id");
	expect_status(adm_t(1, "POST", keys_path(g2), json_object()), 201);
	t2 = jstr(adm_t(1, "POST", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", g2),
	                J("{s:s, s:s}", "name", "x", "permission", "read_write"))
	              ->json,
	          "token");
	mk_customer(t2, J("{s:s}", "provided_id", "acme"));
	expect_refused(verify_jwt(t2, jwt));
	expect_verified(verify_jwt(e.w.tok_test, jwt), "acme");
}

VTEST(embed_verify, tampered_bytes_are_refused)
{
	const char *jwt;

	embed_world(&e);
	jwt = mk_jwt(e.w.tok_test, "acme", "dash-1", J("{s:s}", "embed_origin", "https://a.test"));
	const struct bad_jwt cases[] = {
	    {"header byte flipped", with_part(jwt, 0, flip(part(jwt, 0), 5))},
	    {"header re-encoded with a space",
	     with_part(jwt, 0,
	               b64url(fmt("%s ", kit_jwe_header(jwt)), strlen(kit_jwe_header(jwt)) + 1))},
	    {"IV first byte flipped", with_part(jwt, 2, flip(part(jwt, 2), 0))},
	    {"IV last byte flipped", with_part(jwt, 2, flip(part(jwt, 2), -1))},
	    {"ciphertext first byte flipped", with_part(jwt, 3, flip(part(jwt, 3), 0))},
	    {"ciphertext last byte flipped", with_part(jwt, 3, flip(part(jwt, 3), -1))},
	    {"tag first byte flipped", with_part(jwt, 4, flip(part(jwt, 4), 0))},
	    {"tag last byte flipped", with_part(jwt, 4, flip(part(jwt, 4), -1))},
	    {"ciphertext of another token",
	     with_part(jwt, 3, part(mk_jwt(e.w.tok_test, "acme", "dash-1", NULL), 3))},
	    {"tag of another token",
	     with_part(jwt, 4, part(mk_jwt(e.w.tok_test, "acme", "dash-1", NULL), 4))},
	    {"IV of another token",
	     with_part(jwt, 2, part(mk_jwt(e.w.tok_test, "acme", "dash-1", NULL), 2))},
	    {"ciphertext cut short",
	     with_part(jwt, 3, fmt("%.*s", (int)strlen(part(jwt, 3)) - 4, part(jwt, 3)))},
	    {"ciphertext extended", with_part(jwt, 3, fmt("%sAAAA", part(jwt, 3)))},
	};

	expect_all_refused(e.w.tok_test, cases, sizeof(cases) / sizeof(cases[0]));
	expect_verified(verify_jwt(e.w.tok_test, jwt), "acme");
}

/* Another text for the same bytes is another token: a verifier must not let
 * a token be rewritten (say, past a deny-list of token texts). */
VTEST(embed_verify, non_canonical_encodings_are_refused)
{
	const char *jwt, *tagged = NULL, *ct_std = NULL;

	embed_world(&e);
	jwt = jwt_with_spare_bits();
	for (int i = 0; i < 30 && (!tagged || !ct_std); i++) {
		const char *t = mk_jwt(e.w.tok_test, "acme", "d", NULL);
		if (!tagged && std_alphabet(part(t, 4)))
			tagged = t;
		if (!ct_std && std_alphabet(part(t, 3)))
			ct_std = t;
	}
	const struct bad_jwt cases[] = {
	    {"tag with unused bits set", with_part(jwt, 4, lax_tail(part(jwt, 4)))},
	    {"ciphertext with unused bits set", with_part(jwt, 3, lax_tail(part(jwt, 3)))},
	    {"header with unused bits set",
	     lax_tail(part(jwt, 0)) ? with_part(jwt, 0, lax_tail(part(jwt, 0))) : NULL},
	    {"tag padded with =", with_part(jwt, 4, fmt("%s==", part(jwt, 4)))},
	    {"ciphertext padded with =", with_part(jwt, 3, fmt("%s=", part(jwt, 3)))},
	    {"IV padded with =", with_part(jwt, 2, fmt("%s==", part(jwt, 2)))},
	    {"header padded with =", with_part(jwt, 0, fmt("%s=", part(jwt, 0)))},
	    {"tag in standard base64",
	     tagged ? with_part(tagged, 4, std_alphabet(part(tagged, 4))) : NULL},
	    {"ciphertext in standard base64",
	     ct_std ? with_part(ct_std, 3, std_alphabet(part(ct_std, 3))) : NULL},
	    {"a newline inside the ciphertext",
	     with_part(jwt, 3, fmt("%.4s\n%s", part(jwt, 3), part(jwt, 3) + 4))},
	    {"a space inside the tag",
	     with_part(jwt, 4, fmt("%.4s %s", part(jwt, 4), part(jwt, 4) + 4))},
	    {"a trailing newline", fmt("%s\n", jwt)},
	    {"a leading space", fmt(" %s", jwt)},
	};

	expect_all_refused(e.w.tok_test, cases, sizeof(cases) / sizeof(cases[0]));
	expect_verified(verify_jwt(e.w.tok_test, jwt), "acme");
}

VTEST(embed_verify, malformed_shapes_are_refused)
{
	const char *jwt;

	embed_world(&e);
	jwt = mk_jwt(e.w.tok_test, "acme", "d", NULL);
	const char *k = b64url("0123456789abcdef0123456789abcdef", 32);
	const char *jws_claims = "{\"cst\":\"acme\",\"dsh\":\"d\"}";
	const struct bad_jwt cases[] = {
	    {"four parts", fmt("%.*s", (int)(strrchr(jwt, '.') - jwt), jwt)},
	    {"six parts", fmt("%s.%s", jwt, part(jwt, 4))},
	    {"a trailing dot", fmt("%s.", jwt)},
	    {"a leading dot", fmt(".%s", jwt)},
	    {"an encrypted key where dir has none", with_part(jwt, 1, k)},
	    {"no IV", with_part(jwt, 2, "")},
	    {"a 16-byte IV", with_part(jwt, 2, b64url("0123456789abcdef", 16))},
	    {"no tag", with_part(jwt, 4, "")},
	    {"a 15-byte tag", with_part(jwt, 4, b64url("0123456789abcde", 15))},
	    {"no ciphertext", with_part(jwt, 3, "")},
	    {"no header", with_part(jwt, 0, "")},
	    {"only dots", "...."},
	    {"five letters", "a.b.c.d.e"},
	    {"a JWS with alg none", "eyJhbGciOiJub25lIn0.eyJjc3QiOiJhY21lIiwiZHNoIjoiZCJ9."},
	    {"a JWS with alg none and a kid",
	     fmt("%s.%s.",
	         b64url(fmt("{\"alg\":\"none\",\"kid\":\"%s\"}", e.key_test),
	                strlen(fmt("{\"alg\":\"none\",\"kid\":\"%s\"}", e.key_test))),
	         b64url(jws_claims, strlen(jws_claims)))},
	    {"the JSON serialization",
	     fmt("{\"protected\":\"%s\",\"iv\":\"%s\",\"ciphertext\":\"%s\",\"tag\":\"%s\"}",
	         part(jwt, 0), part(jwt, 2), part(jwt, 3), part(jwt, 4))},
	    {"the token twice", fmt("%s%s", jwt, jwt)},
	    {"a token of Bearer form", fmt("Bearer %s", jwt)},
	};

	expect_all_refused(e.w.tok_test, cases, sizeof(cases) / sizeof(cases[0]));
}

VTEST(embed_verify, bodies_out_of_shape_are_refused)
{
	static const struct {
		const char *body;
		const char *code;
	} cases[] = {
	    {"{}", "missing_field"},
	    {"{\"jwt\":\"\"}", "missing_field"},
	    {"{\"jwt\":5}", "wrong_type"},
	    {"{\"jwt\":[\"a\"]}", "wrong_type"},
	    {"{\"jwt\":\"a.b.c.d.e\",\"kid\":\"x\"}", "unknown_field"},
	    {"{\"token\":\"a.b.c.d.e\"}", "unknown_field"},
	    {NULL, NULL},
	};
	const char *jwt, *huge;
	struct resp *r;

	embed_world(&e);
	for (int i = 0; cases[i].body; i++) {
		r = api_raw(e.w.tok_test, "POST", "/api/verify_jwt/", cases[i].body,
		            strlen(cases[i].body));
		cr_expect(r->status == 400 && strcmp(resp_code(r), cases[i].code) == 0,
		          "%s: expected 400 %s, got %ld: %s", cases[i].body, cases[i].code,
		          r->status, r->body);
	}
	jwt = mk_jwt(e.w.tok_test, "acme", "d", NULL);
	huge = with_part(jwt, 3, fmt("%s%0*d", part(jwt, 3), 9000, 0));
	r = verify_jwt(e.w.tok_test, huge);
	cr_assert((r->status == 400 && strcmp(resp_code(r), "too_long") == 0) ||
	              (r->status == 401 && strcmp(resp_code(r), "invalid_embed_token") == 0),
	          "a 9 KiB embed token: %ld %s", r->status, r->body);
	huge = with_part(jwt, 0, fmt("%s%0*d", part(jwt, 0), 200000, 0));
	r = verify_jwt(e.w.tok_test, huge);
	cr_assert(r->status == 400 || r->status == 401, "a 200 KB embed token: %ld %s", r->status,
	          r->body);
}

VTEST(embed_verify, forged_headers_are_refused)
{
	unsigned char key[KIT_KEY_BYTES];
	const char *K, *C;

	embed_world(&e);
	K = e.key_test;
	C = genuine_claims(e.w.tok_test, K);
	kit_signing_key(K, key, NULL);
	/* The control: sealed here with the real key and the right header, it verifies. */
	expect_verified(verify_jwt(e.w.tok_test, kit_jwe(key, header_for(K), C)), "acme");

	const char *const headers[] = {
	    fmt("{\"alg\":\"none\",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"A256KW\",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"HS256\",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"DIR\",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"dir \",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":[\"dir\"],\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":null,\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"dir\",\"enc\":\"A256CBC-HS512\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"dir\",\"enc\":\"a256gcm\",\"kid\":\"%s\"}", K),
	    fmt("{\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"dir\",\"kid\":\"%s\"}", K),
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\"}",
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"\"}",
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":null}",
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":5}",
	    fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":[\"%s\"]}", K),
	    header_for(upper(K)),
	    header_for(fmt("%s ", K)),
	    header_for(fmt("%sx", K)),
	    header_for(fmt("%s\\u0000", K)),
	    header_for("' OR '1'='1"),
	    header_for(fmt("%s' OR '1'='1", K)),
	    header_for("../../../../etc/passwd"),
	    header_for("%"),
	    header_for("0b5a7c1e-3f2d-4c6b-9a8e-1d2c3b4a5f60"),
	    header_for(e.key_prod),
	    fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\",\"jku\":\"https://evil.test/"
	        "k\"}",
	        K),
	    fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\",\"x5u\":\"https://evil.test/"
	        "c\"}",
	        K),
	    fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\",\"jwk\":{\"kty\":\"oct\","
	        "\"k\":\"%s\"}}",
	        K, b64url(key, sizeof(key))),
	    fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\",\"x5c\":[\"MIIB\"]}", K),
	    fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\",\"zip\":\"DEF\"}", K),
	    fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\",\"crit\":[\"exp\"]}", K),
	    fmt("{\"alg\":\"dir\",\"alg\":\"none\",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"none\",\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	    fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\",\"kid\":\"%s\"}", e.key_prod,
	        K),
	    "[]",
	    "null",
	    "\"dir\"",
	    fmt("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\"", K),
	    fmt("\xef\xbb\xbf{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\"}", K),
	};
	const size_t n = sizeof(headers) / sizeof(headers[0]);
	struct bad_jwt *cases = keep(xzalloc(n * sizeof(*cases)));

	for (size_t i = 0; i < n; i++) {
		cases[i].what = fmt("header %s", headers[i]);
		cases[i].jwt = kit_jwe(key, headers[i], C);
	}
	expect_all_refused(e.w.tok_test, cases, (int)n);
}

VTEST(embed_verify, forged_claims_are_refused)
{
	unsigned char key[KIT_KEY_BYTES];
	json_int_t now = (json_int_t)time(NULL);
	const char *H, *C;

	embed_world(&e);
	mk_customer(e.w.tok_prod, J("{s:s}", "provided_id", "prod-only"));
	kit_signing_key(e.key_test, key, NULL);
	H = header_for(e.key_test);
	C = genuine_claims(e.w.tok_test, e.key_test);
	/* The control: the server's own claims, sealed here, verify. */
	expect_verified(verify_jwt(e.w.tok_test, kit_jwe(key, H, C)), "acme");

	const char *past = with_claim(with_claim(C, "iat", json_integer(now - 700)), "exp",
	                              json_integer(now - 10));
	const char *future = with_claim(with_claim(C, "iat", json_integer(now + 3600)), "exp",
	                                json_integer(now + 7200));
	const char *const claims[] = {
	    with_claim(C, "exp", NULL),
	    with_claim(C, "exp", json_string(fmt("%" JSON_INTEGER_FORMAT, now + 600))),
	    with_claim(C, "exp", json_real((double)now + 600.5)),
	    with_claim(C, "exp", json_null()),
	    with_claim(C, "exp", json_integer(now)),
	    past,
	    with_claim(C, "iat", NULL),
	    future,
	    with_claim(C, "iat", json_string(fmt("%" JSON_INTEGER_FORMAT, now))),
	    with_claim(C, "cst", NULL),
	    with_claim(C, "cst", json_integer(5)),
	    with_claim(C, "cst", J("[s]", "acme")),
	    with_claim(C, "cst", json_string("")),
	    with_claim(C, "cst", json_string("nobody")),
	    with_claim(C, "cst", json_string("prod-only")),
	    with_claim(C, "cst", json_string("ACME")),
	    with_claim(C, "cst", json_string("acme ")),
	    with_claim(C, "cst", json_string("acme' OR '1'='1")),
	    with_claim(C, "dsh", NULL),
	    with_claim(C, "dsh", json_integer(5)),
	    fmt("{\"cst\":\"nobody\",%s", C + 1),
	    fmt("%.*s,\"cst\":\"nobody\"}", (int)strlen(C) - 1, C),
	    fmt("%.*s", (int)strlen(C) - 1, C),
	    "[]",
	    "null",
	    "\"acme\"",
	    "",
	};
	const size_t n = sizeof(claims) / sizeof(claims[0]);
	struct bad_jwt *cases = keep(xzalloc(n * sizeof(*cases)));

	for (size_t i = 0; i < n; i++) {
		cases[i].what = fmt("claims %s", claims[i]);
		cases[i].jwt = kit_jwe(key, H, claims[i]);
	}
	expect_all_refused(e.w.tok_test, cases, (int)n);
}

/* Sealed with one group's key: refused by the other whatever kid it claims. */
VTEST(embed_verify, another_groups_key_does_not_open)
{
	unsigned char prod[KIT_KEY_BYTES];
	const char *C;

	embed_world(&e);
	kit_signing_key(e.key_prod, prod, NULL);
	C = genuine_claims(e.w.tok_prod, e.key_prod);
	expect_refused(verify_jwt(e.w.tok_test, kit_jwe(prod, header_for(e.key_test), C)));
	expect_refused(verify_jwt(e.w.tok_test, kit_jwe(prod, header_for(e.key_prod), C)));
	expect_refused(verify_jwt(e.w.tok_test, kit_jwe(prod, header_for(e.key_test),
	                                                genuine_claims(e.w.tok_test, e.key_test))));
	expect_verified(verify_jwt(e.w.tok_prod, kit_jwe(prod, header_for(e.key_prod), C)), "acme");
}

VTEST(embed_verify, rotation_keeps_old_tokens_until_their_key_goes)
{
	const char *a, *b, *jwt1, *jwt2, *jwt3;

	world_tour(&e.w);
	mk_customer(e.w.tok_test, J("{s:s}", "provided_id", "acme"));
	a = mk_key(e.w.grp_test);
	jwt1 = mk_jwt(e.w.tok_test, "acme", "d", NULL);
	b = mk_key(e.w.grp_test);
	jwt2 = mk_jwt(e.w.tok_test, "acme", "d", NULL);
	jwt3 = mk_jwt(e.w.tok_test, "acme", "d", J("{s:s}", "key_id", a));
	cr_assert_not_null(strstr(kit_jwe_header(jwt1), a), "jwt1 is not A's: %s",
	                   kit_jwe_header(jwt1));
	cr_assert_not_null(strstr(kit_jwe_header(jwt2), b), "the newest key does not sign: %s",
	                   kit_jwe_header(jwt2));
	cr_assert_not_null(strstr(kit_jwe_header(jwt3), a), "key_id is ignored: %s",
	                   kit_jwe_header(jwt3));
	expect_verified(verify_jwt(e.w.tok_test, jwt1), "acme");
	expect_verified(verify_jwt(e.w.tok_test, jwt2), "acme");

	expect_status(adm("DELETE", key_path(a), NULL), 200);
	expect_refused(verify_jwt(e.w.tok_test, jwt1));
	expect_refused(verify_jwt(e.w.tok_test, jwt3));
	expect_verified(verify_jwt(e.w.tok_test, jwt2), "acme");
	expect_error(gen_jwt(e.w.tok_test, J("{s:s, s:s, s:s}", "provided_id", "acme", "embed_id",
	                                     "d", "key_id", a)),
	             404, "not_found");
	cr_assert_not_null(strstr(kit_jwe_header(mk_jwt(e.w.tok_test, "acme", "d", NULL)), b));

	expect_status(adm("DELETE", key_path(b), NULL), 200);
	expect_refused(verify_jwt(e.w.tok_test, jwt2));
	expect_error(gen_jwt(e.w.tok_test, J("{s:s, s:s}", "provided_id", "acme", "embed_id", "d")),
	             409, "no_signing_key");
}

VTEST(embed_verify, expired_tokens_are_refused)
{
	const char *short_lived, *long_lived;

	embed_world(&e);
	short_lived = mk_jwt(e.w.tok_test, "acme", "d", J("{s:s}", "expiration", "PT1S"));
	long_lived = mk_jwt(e.w.tok_test, "acme", "d", J("{s:s}", "expiration", "PT1H"));
	sleep(2);
	expect_refused(verify_jwt(e.w.tok_test, short_lived));
	expect_verified(verify_jwt(e.w.tok_test, long_lived), "acme");
}

VTEST(embed_verify, deleting_the_customer_revokes)
{
	const char *jwt, *other;

	embed_world(&e);
	mk_customer(e.w.tok_test, J("{s:s}", "provided_id", "other"));
	jwt = mk_jwt(e.w.tok_test, "acme", "d", NULL);
	other = mk_jwt(e.w.tok_test, "other", "d", NULL);
	expect_ok(
	    api(e.w.tok_test, "POST", "/api/delete_customer/", J("{s:s}", "provided_id", "acme")));
	expect_refused(verify_jwt(e.w.tok_test, jwt));
	expect_verified(verify_jwt(e.w.tok_test, other), "other");
}

VTEST(embed_verify, moving_the_customer_revokes)
{
	const char *jwt;
	json_int_t id;

	world_tour(&e.w);
	mk_customer(e.w.tok_test, J("{s:s}", "provided_id", "mover"));
	mk_key(e.w.grp_test);
	mk_key(e.w.grp_prod);
	jwt = mk_jwt(e.w.tok_test, "mover", "d", NULL);
	id = customer_admin_id(e.w.grp_test, "mover");
	expect_ok(adm("PATCH", fmt("/admin/api/customers/%" JSON_INTEGER_FORMAT, id),
	              J("{s:I}", "group_id", e.w.grp_prod)));
	expect_refused(verify_jwt(e.w.tok_test, jwt));
	expect_refused(verify_jwt(e.w.tok_prod, jwt));
}

/* A token names its customer by provided_id; a deleted customer's tokens
 * must not come back to life when the id is used again. */
VTEST(embed_verify, a_recreated_customer_does_not_inherit_tokens)
{
	const char *jwt;

	embed_world(&e);
	jwt = mk_jwt(e.w.tok_test, "acme", "d", NULL);
	expect_ok(
	    api(e.w.tok_test, "POST", "/api/delete_customer/", J("{s:s}", "provided_id", "acme")));
	expect_refused(verify_jwt(e.w.tok_test, jwt));
	mk_customer(e.w.tok_test, J("{s:s, s:s}", "provided_id", "acme", "name", "A new company"));
	expect_refused(verify_jwt(e.w.tok_test, jwt));
}

/* After a rename, the old id may go to another company: the old token must
 * not open that company's dashboards. */
VTEST(embed_verify, a_renamed_id_does_not_pass_tokens_to_another_customer)
{
	const char *jwt;
	struct resp *r;

	embed_world(&e);
	jwt = mk_jwt(e.w.tok_test, "acme", "d", NULL);
	expect_ok(api(e.w.tok_test, "POST", "/api/update_customer/",
	              J("{s:s, s:s}", "provided_id", "acme", "new_provided_id", "acme-renamed")));
	mk_customer(e.w.tok_test, J("{s:s, s:s}", "provided_id", "acme", "name", "Impostor Inc"));
	r = verify_jwt(e.w.tok_test, jwt);
	cr_assert(r->status == 401 ||
	              (r->status == 200 &&
	               strcmp(jstr(r->json, "customer.provided_id"), "acme-renamed") == 0),
	          "a token made for the company once called acme opens another company: %ld %s",
	          r->status, r->body);
}
