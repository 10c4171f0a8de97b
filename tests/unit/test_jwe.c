/*
 * Unit tests of jwe.c: round trip, the exact header, and refusal of
 * tampered, foreign-key and forged tokens. Forgeries are made either with
 * cjose itself (well-encrypted tokens with a header Visor does not write)
 * or by swapping in a hand-made protected header segment.
 */
#include <cjose/cjose.h>
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "jwe.h"

#define KID     "0f0e0d0c-0b0a-4908-8706-050403020100"
#define MAX_LEN 8192
#define B64_URL sodium_base64_VARIANT_URLSAFE_NO_PADDING

static unsigned char key[JWE_KEY_BYTES];

static void init(void)
{
	cr_assert(sodium_init() >= 0);
	randombytes_buf(key, sizeof(key));
}

TestSuite(jwe, .init = init);

static json_t *sample_claims(void)
{
	return json_pack("{s:s, s:s, s:I, s:I}", "cst", "acme", "dsh", "embed-1", "exp",
	                 (json_int_t)1900000000, "iat", (json_int_t)1800000000);
}

static char *seal_sample(void)
{
	json_t *claims = sample_claims();
	struct err e = {0};
	char *out = NULL;

	cr_assert(jwe_seal(key, KID, claims, &out, &e), "%s", e.message);
	json_decref(claims);
	return out;
}

/* A token encrypted by cjose under k with any header given as JSON text. */
static char *forge(const unsigned char *k, size_t k_len, const char *header_json,
                   const char *plaintext)
{
	json_t *header = json_loads(header_json, 0, NULL);
	cjose_jwk_t *jwk = cjose_jwk_create_oct_spec(k, k_len, NULL);
	cjose_jwe_t *jwe;
	char *compact, *copy;

	cr_assert(header && jwk);
	jwe = cjose_jwe_encrypt(jwk, header, (const uint8_t *)plaintext, strlen(plaintext), NULL);
	cr_assert(jwe, "cjose refused to forge %s", header_json);
	compact = cjose_jwe_export(jwe, NULL);
	copy = strdup(compact);
	cjose_get_dealloc()(compact);
	cjose_jwe_release(jwe);
	cjose_jwk_release(jwk);
	json_decref(header);
	return copy;
}

/* A valid token with its first segment replaced by base64url(header_json). */
static char *swap_header(const char *header_json)
{
	char *good = seal_sample();
	const char *rest = strchr(good, '.');
	size_t hlen = strlen(header_json);
	size_t b64_len = sodium_base64_ENCODED_LEN(hlen, B64_URL);
	char *b64 = malloc(b64_len);
	char *out;

	sodium_bin2base64(b64, b64_len, (const unsigned char *)header_json, hlen, B64_URL);
	cr_assert(asprintf(&out, "%s%s", b64, rest) > 0);
	free(b64);
	free(good);
	return out;
}

/* Start of the n-th (0-based) dot-separated segment of compact. */
static char *segment(char *compact, int n)
{
	char *s = compact;

	while (n-- > 0)
		s = strchr(s, '.') + 1;
	return s;
}

/* Change one base64url character in the middle of segment n. */
static void flip(char *compact, int n)
{
	char *s = segment(compact, n) + 3;

	*s = *s == 'A' ? 'B' : 'A';
}

static void expect_refused_by_open(const char *compact)
{
	struct err e = {0};
	json_t *claims = NULL;

	cr_expect_not(jwe_open(key, compact, &claims, &e), "opened %s", compact);
	cr_expect_eq(e.status, 401);
	cr_expect_str_eq(e.code, "invalid_embed_token");
	cr_expect_null(claims);
}

/* Refused before decryption, and again by jwe_open. */
static void expect_refused_early(const char *compact)
{
	struct err e = {0};
	char kid[JWE_KID_SIZE];

	cr_expect_not(jwe_header_kid(compact, MAX_LEN, kid, sizeof(kid), &e), "accepted %s",
	              compact);
	cr_expect_eq(e.status, 401);
	cr_expect_str_eq(e.code, "invalid_embed_token");
	cr_expect(strlen(e.message) > 0 && e.message[strlen(e.message) - 1] == '.');
	expect_refused_by_open(compact);
}

Test(jwe, sealed_token_opens_with_its_key_and_names_its_kid)
{
	char *t = seal_sample();
	json_t *want = sample_claims();
	json_t *got = NULL;
	struct err e = {0};
	char kid[JWE_KID_SIZE];

	cr_expect(jwe_header_kid(t, MAX_LEN, kid, sizeof(kid), &e), "%s", e.message);
	cr_expect_str_eq(kid, KID);
	cr_assert(jwe_open(key, t, &got, &e), "%s", e.message);
	cr_expect(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	free(t);
}

Test(jwe, header_is_exactly_dir_a256gcm_and_kid)
{
	char *t = seal_sample();
	unsigned char raw[256];
	size_t raw_len = 0;
	json_t *h;
	void *it;

	cr_assert_eq(
	    sodium_base642bin(raw, sizeof(raw), t, strcspn(t, "."), NULL, &raw_len, NULL, B64_URL),
	    0);
	h = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
	cr_assert(json_is_object(h));
	cr_expect_eq(json_object_size(h), 3);
	it = json_object_iter(h);
	cr_expect_str_eq(json_object_iter_key(it), "alg");
	cr_expect_str_eq(json_string_value(json_object_iter_value(it)), "dir");
	it = json_object_iter_next(h, it);
	cr_expect_str_eq(json_object_iter_key(it), "enc");
	cr_expect_str_eq(json_string_value(json_object_iter_value(it)), "A256GCM");
	it = json_object_iter_next(h, it);
	cr_expect_str_eq(json_object_iter_key(it), "kid");
	cr_expect_str_eq(json_string_value(json_object_iter_value(it)), KID);
	cr_expect_eq(segment(t, 1)[0], '.', "dir carries no encrypted key");
	json_decref(h);
	free(t);
}

Test(jwe, seal_refuses_a_kid_that_is_not_a_uuid)
{
	json_t *claims = sample_claims();
	struct err e = {0};
	char *out = NULL;

	cr_expect_not(jwe_seal(key, "../../etc/passwd", claims, &out, &e));
	cr_expect_eq(e.status, 500);
	cr_expect_null(out);
	json_decref(claims);
}

Test(jwe, another_key_cannot_open_it)
{
	char *t = seal_sample();
	unsigned char other[JWE_KEY_BYTES];
	struct err e = {0};
	json_t *claims = NULL;

	randombytes_buf(other, sizeof(other));
	cr_expect_not(jwe_open(other, t, &claims, &e));
	cr_expect_eq(e.status, 401);
	cr_expect_str_eq(e.code, "invalid_embed_token");
	free(t);
}

Test(jwe, each_tampered_part_is_refused)
{
	int parts[] = {0, 2, 3, 4}; /* header, iv, ciphertext, tag */
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		char *t = seal_sample();

		flip(t, parts[i]);
		expect_refused_by_open(t);
		free(t);
	}
}

Test(jwe, a_header_naming_another_valid_kid_fails_authentication)
{
	char *t = swap_header("{\"alg\":\"dir\",\"enc\":\"A256GCM\","
	                      "\"kid\":\"00000000-0000-4000-8000-000000000000\"}");
	struct err e = {0};
	char kid[JWE_KID_SIZE];

	cr_expect(jwe_header_kid(t, MAX_LEN, kid, sizeof(kid), &e), "%s", e.message);
	expect_refused_by_open(t);
	free(t);
}

Test(jwe, a_truncated_tag_is_refused)
{
	char *t = seal_sample();
	char *tag = segment(t, 4);

	tag[10] = '\0';
	expect_refused_early(t);
	free(t);
}

Test(jwe, other_algorithms_are_refused)
{
	unsigned char k16[16];
	char *none = swap_header("{\"alg\":\"none\",\"enc\":\"A256GCM\",\"kid\":\"" KID "\"}");
	char *oaep = swap_header("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\",\"kid\":\"" KID "\"}");
	char *a128;

	randombytes_buf(k16, sizeof(k16));
	a128 = forge(k16, sizeof(k16), "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"" KID "\"}",
	             "{}");
	expect_refused_early(none);
	expect_refused_early(oaep);
	expect_refused_early(a128);
	free(none);
	free(oaep);
	free(a128);
}

Test(jwe, a_real_rsa_oaep_token_is_refused)
{
	static const uint8_t exponent[] = {0x01, 0x00, 0x01};
	cjose_jwk_t *rsa = cjose_jwk_create_RSA_random(2048, exponent, sizeof(exponent), NULL);
	cjose_header_t *h = cjose_header_new(NULL);
	cjose_jwe_t *jwe;
	char *compact;

	cr_assert(rsa && h);
	cr_assert(cjose_header_set(h, CJOSE_HDR_ALG, CJOSE_HDR_ALG_RSA_OAEP, NULL));
	cr_assert(cjose_header_set(h, CJOSE_HDR_ENC, CJOSE_HDR_ENC_A256GCM, NULL));
	cr_assert(cjose_header_set(h, CJOSE_HDR_KID, KID, NULL));
	jwe = cjose_jwe_encrypt(rsa, h, (const uint8_t *)"{}", 2, NULL);
	cr_assert(jwe);
	compact = cjose_jwe_export(jwe, NULL);
	expect_refused_early(compact);
	cjose_get_dealloc()(compact);
	cjose_jwe_release(jwe);
	cjose_header_release(h);
	cjose_jwk_release(rsa);
}

Test(jwe, key_steering_headers_are_refused_even_when_well_encrypted)
{
	static const char *const headers[] = {
	    "\"jku\":\"https://evil.example/keys\"",
	    "\"x5u\":\"https://evil.example/cert\"",
	    "\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"}",
	    "\"x5c\":[\"MIIB\"]",
	    "\"crit\":[\"exp\"]",
	    "\"zip\":\"DEF\"",
	};
	size_t i;

	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		char *json, *t;

		cr_assert(asprintf(&json, "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"%s\",%s}",
		                   KID, headers[i]) > 0);
		t = forge(key, sizeof(key), json, "{}");
		expect_refused_early(t);
		free(t);
		free(json);
	}
}

Test(jwe, missing_and_hostile_kids_are_refused)
{
	static const char *const headers[] = {
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\"}",
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"\"}",
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":42}",
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"../../etc/passwd\"}",
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"' OR 1=1 --\"}",
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"0F0E0D0C-0B0A-4908-8706-"
	    "050403020100\"}",
	    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"" KID KID "\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		char *t = forge(key, sizeof(key), headers[i], "{}");

		expect_refused_early(t);
		free(t);
	}
}

Test(jwe, duplicate_and_malformed_headers_are_refused)
{
	static const char *const headers[] = {
	    "{\"alg\":\"dir\",\"alg\":\"none\",\"enc\":\"A256GCM\",\"kid\":\"" KID "\"}",
	    "[\"dir\"]",
	    "{\"alg\":\"dir\"",
	    "",
	};
	size_t i;
	char *t;

	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		t = swap_header(headers[i]);
		expect_refused_early(t);
		free(t);
	}
	t = seal_sample();
	segment(t, 0)[2] = '*';
	expect_refused_early(t);
	free(t);
}

Test(jwe, wrong_segment_counts_and_lengths_are_refused)
{
	char *t = seal_sample();
	char *six, *four, *with_key;
	struct err e = {0};
	char kid[JWE_KID_SIZE];

	cr_assert(asprintf(&six, "%s.AAAA", t) > 0);
	four = strdup(t);
	*strrchr(four, '.') = '\0';
	cr_assert(asprintf(&with_key, "%.*sAAAA%s", (int)(segment(t, 1) - t), t, segment(t, 1)) >
	          0);
	expect_refused_early(six);
	expect_refused_early(four);
	expect_refused_early(with_key);
	expect_refused_early("");
	expect_refused_early("....");

	cr_expect_not(jwe_header_kid(t, strlen(t) - 1, kid, sizeof(kid), &e));
	cr_expect_str_eq(e.code, "invalid_embed_token");
	cr_expect(jwe_header_kid(t, strlen(t), kid, sizeof(kid), &e));
	free(six);
	free(four);
	free(with_key);
	free(t);
}

Test(jwe, an_over_long_input_is_refused_without_reading_it_all)
{
	size_t n = JWE_COMPACT_MAX + 10;
	char *big = malloc(n + 1);

	memset(big, 'A', n);
	big[n] = '\0';
	expect_refused_early(big);
	free(big);
}

Test(jwe, plaintext_that_is_not_an_object_is_refused)
{
	char *t = forge(key, sizeof(key),
	                "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"" KID "\"}", "[1,2]");
	struct err e = {0};
	char kid[JWE_KID_SIZE];

	cr_expect(jwe_header_kid(t, MAX_LEN, kid, sizeof(kid), &e), "%s", e.message);
	expect_refused_by_open(t);
	free(t);
}

Test(jwe, a_kid_buffer_too_small_is_an_internal_error)
{
	char *t = seal_sample();
	struct err e = {0};
	char kid[8];

	cr_expect_not(jwe_header_kid(t, MAX_LEN, kid, sizeof(kid), &e));
	cr_expect_eq(e.status, 500);
	free(t);
}
