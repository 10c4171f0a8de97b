/*
 * jwe — sealing and opening embed tokens with cjose, behind a strict check
 * of the compact form: five base64url segments, an empty encrypted key (the
 * key is used directly), a 96-bit IV, a 128-bit tag, and a protected header
 * of exactly alg "dir", enc "A256GCM" and a UUID kid. Segments are decoded
 * with libsodium, which refuses padding, whitespace and non-canonical
 * trailing bits; the header is parsed by jansson with duplicate keys
 * refused, so that no second "alg" can hide behind the first.
 */
#include "jwe.h"

#include <cjose/cjose.h>
#include <sodium.h>
#include <string.h>

#include "mem.h"
#include "util.h"

#define SEGMENTS   5
#define IV_BYTES   12
#define TAG_BYTES  16
#define HEADER_MAX 1024 /* characters of the encoded protected header */
#define B64_URL    sodium_base64_VARIANT_URLSAFE_NO_PADDING

enum segment { SEG_HEADER, SEG_KEY, SEG_IV, SEG_CIPHERTEXT, SEG_TAG };

struct segments {
	const char *at[SEGMENTS];
	size_t len[SEGMENTS];
};

static bool refuse(struct err *e, const char *why)
{
	return err_set(e, 401, "invalid_embed_token",
	               "The embed token is not valid (%s); request a new one.", why);
}

static bool failed_to_seal(struct err *e)
{
	return err_set(e, 500, "internal_error",
	               "The embed token could not be created; retry shortly.");
}

/* Lowercase 8-4-4-4-12 hexadecimal, nothing else. */
static bool is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != JWE_KID_SIZE - 1)
		return false;
	for (i = 0; i < JWE_KID_SIZE - 1; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-'
		         : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* Cut compact at its dots; false unless there are exactly five segments. */
static bool split(const char *compact, struct segments *seg)
{
	const char *s = compact;
	size_t n = 0;

	for (;;) {
		const char *dot = strchr(s, '.');

		if (n == SEGMENTS)
			return false;
		seg->at[n] = s;
		seg->len[n] = dot ? (size_t)(dot - s) : strlen(s);
		n++;
		if (!dot)
			break;
		s = dot + 1;
	}
	return n == SEGMENTS;
}

/* Decode exactly one whole base64url segment into bin; false if malformed or too long. */
static bool decode(const char *text, size_t len, unsigned char *bin, size_t cap, size_t *out_len)
{
	const char *end = NULL;

	return sodium_base642bin(bin, cap, text, len, NULL, out_len, &end, B64_URL) == 0 &&
	       end == text + len;
}

/* A segment that must decode to exactly want bytes. */
static bool fixed_size(const struct segments *seg, enum segment which, size_t want)
{
	unsigned char bin[TAG_BYTES];
	size_t got = 0;

	return decode(seg->at[which], seg->len[which], bin, sizeof(bin), &got) && got == want;
}

/* A segment of any length that decodes strictly (no padding, no stray
 * bits), so that one token has exactly one spelling. */
static bool canonical(const struct segments *seg, enum segment which)
{
	size_t cap = seg->len[which] * 3 / 4 + 1, got = 0;
	unsigned char *bin = xmalloc(cap);
	bool ok = decode(seg->at[which], seg->len[which], bin, cap, &got);

	free(bin);
	return ok;
}

static bool parse_header(const struct segments *seg, json_t **out, struct err *e)
{
	size_t len = seg->len[SEG_HEADER];
	unsigned char *raw = NULL;
	size_t raw_len = 0;
	bool ok = false;

	if (len == 0 || len > HEADER_MAX) {
		refuse(e, "its header is missing or too long");
		goto out;
	}
	raw = xmalloc(len);
	if (!decode(seg->at[SEG_HEADER], len, raw, len, &raw_len)) {
		refuse(e, "its header is not base64url");
		goto out;
	}
	*out = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		refuse(e, "its header is not a valid JSON object");
		goto out;
	}
	ok = true;
out:
	free(raw);
	return ok;
}

/*
 * Only the three parameters jwe_seal writes. Anything else (jku, x5u, jwk
 * and x5c to fetch or carry a key, crit to demand an extension, zip to
 * inflate the plaintext) is a token Visor did not make.
 */
static bool check_params(json_t *header, struct err *e)
{
	const char *name;
	json_t *value;

	json_object_foreach (header, name, value) {
		if (strcmp(name, "alg") != 0 && strcmp(name, "enc") != 0 &&
		    strcmp(name, "kid") != 0)
			return refuse(e, "its header carries a parameter Visor does not accept");
	}
	return true;
}

static bool check_header(json_t *header, struct err *e)
{
	const char *alg = json_string_value(json_object_get(header, "alg"));
	const char *enc = json_string_value(json_object_get(header, "enc"));
	const char *kid = json_string_value(json_object_get(header, "kid"));

	if (!alg || strcmp(alg, CJOSE_HDR_ALG_DIR) != 0)
		return refuse(e, "its algorithm must be \"dir\"");
	if (!enc || strcmp(enc, CJOSE_HDR_ENC_A256GCM) != 0)
		return refuse(e, "its encryption must be \"A256GCM\"");
	if (!kid || !*kid)
		return refuse(e, "its header names no key id");
	if (!is_uuid(kid))
		return refuse(e, "its key id is not a UUID");
	return check_params(header, e);
}

static bool check_body(const struct segments *seg, struct err *e)
{
	if (seg->len[SEG_KEY] != 0)
		return refuse(e, "it carries an encrypted key, which \"dir\" does not use");
	if (!fixed_size(seg, SEG_IV, IV_BYTES))
		return refuse(e, "its IV is malformed");
	if (!fixed_size(seg, SEG_TAG, TAG_BYTES))
		return refuse(e, "its authentication tag is malformed");
	if (seg->len[SEG_CIPHERTEXT] == 0)
		return refuse(e, "it has no content");
	if (!canonical(seg, SEG_CIPHERTEXT))
		return refuse(e, "its content is not canonical base64url");
	return true;
}

/* Every check short of decryption; on success *header is a new reference. */
static bool inspect(const char *compact, size_t max_len, json_t **header, struct err *e)
{
	struct segments seg;
	json_t *h = NULL;

	if (!compact || !*compact)
		return refuse(e, "it is empty");
	if (strnlen(compact, max_len) == max_len && compact[max_len] != '\0')
		return refuse(e, "it is too long");
	if (!split(compact, &seg))
		return refuse(e, "it does not have five dot-separated parts");
	if (!parse_header(&seg, &h, e))
		return false;
	if (!check_header(h, e) || !check_body(&seg, e)) {
		json_decref(h);
		return false;
	}
	*header = h;
	return true;
}

static cjose_header_t *make_header(const char *kid)
{
	cjose_header_t *h = cjose_header_new(NULL);

	if (h && cjose_header_set(h, CJOSE_HDR_ALG, CJOSE_HDR_ALG_DIR, NULL) &&
	    cjose_header_set(h, CJOSE_HDR_ENC, CJOSE_HDR_ENC_A256GCM, NULL) &&
	    cjose_header_set(h, CJOSE_HDR_KID, kid, NULL))
		return h;
	cjose_header_release(h);
	return NULL;
}

bool jwe_seal(const unsigned char key[JWE_KEY_BYTES], const char *kid, json_t *claims, char **out,
              struct err *e)
{
	cjose_header_t *header = NULL;
	cjose_jwk_t *jwk = NULL;
	cjose_jwe_t *jwe = NULL;
	char *plain = NULL;
	char *compact = NULL;
	bool ok = false;

	if (!kid || !is_uuid(kid) || !json_is_object(claims)) {
		failed_to_seal(e);
		goto out;
	}
	plain = json_dumps(claims, JSON_COMPACT);
	header = make_header(kid);
	jwk = cjose_jwk_create_oct_spec(key, JWE_KEY_BYTES, NULL);
	if (!plain || !header || !jwk) {
		failed_to_seal(e);
		goto out;
	}
	jwe = cjose_jwe_encrypt(jwk, header, (const uint8_t *)plain, strlen(plain), NULL);
	compact = jwe ? cjose_jwe_export(jwe, NULL) : NULL;
	if (!compact) {
		failed_to_seal(e);
		goto out;
	}
	*out = xstrdup(compact);
	ok = true;
out:
	cjose_get_dealloc()(compact);
	cjose_jwe_release(jwe);
	cjose_jwk_release(jwk);
	cjose_header_release(header);
	if (plain) {
		sodium_memzero(plain, strlen(plain));
		free(plain);
	}
	return ok;
}

bool jwe_header_kid(const char *compact, size_t max_len, char *kid_out, size_t kid_cap,
                    struct err *e)
{
	json_t *header = NULL;
	bool ok = false;

	if (!inspect(compact, max_len, &header, e))
		goto out;
	if (!util_strlcpy(kid_out, json_string_value(json_object_get(header, "kid")), kid_cap)) {
		err_set(e, 500, "internal_error", "The embed token's key id could not be read.");
		goto out;
	}
	ok = true;
out:
	json_decref(header);
	return ok;
}

/* Decrypt a compact JWE already inspected; a new buffer from cjose's allocator, or NULL. */
static uint8_t *decrypt(const unsigned char key[JWE_KEY_BYTES], const char *compact, size_t *len)
{
	cjose_jwk_t *jwk = cjose_jwk_create_oct_spec(key, JWE_KEY_BYTES, NULL);
	cjose_jwe_t *jwe = cjose_jwe_import(compact, strlen(compact), NULL);
	uint8_t *plain = NULL;

	if (jwk && jwe)
		plain = cjose_jwe_decrypt(jwe, jwk, len, NULL);
	cjose_jwe_release(jwe);
	cjose_jwk_release(jwk);
	return plain;
}

bool jwe_open(const unsigned char key[JWE_KEY_BYTES], const char *compact, json_t **claims,
              struct err *e)
{
	json_t *header = NULL;
	json_t *v = NULL;
	uint8_t *plain = NULL;
	size_t len = 0;
	bool ok = false;

	if (!inspect(compact, JWE_COMPACT_MAX, &header, e))
		goto out;
	plain = decrypt(key, compact, &len);
	if (!plain) {
		refuse(e, "it was altered or sealed with another key");
		goto out;
	}
	v = json_loadb((const char *)plain, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(v)) {
		refuse(e, "its claims are not a JSON object");
		goto out;
	}
	*claims = v;
	v = NULL;
	ok = true;
out:
	json_decref(v);
	if (plain) {
		sodium_memzero(plain, len);
		cjose_get_dealloc()(plain);
	}
	json_decref(header);
	return ok;
}
