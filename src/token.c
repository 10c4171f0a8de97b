/*
 * token — generating, checking and hashing credentials with libsodium.
 */
#include "token.h"

#include <sodium.h>
#include <string.h>

#define BODY_BYTES  32
#define BODY_CHARS  43 /* base64url of 32 bytes, no padding */
#define SUM_BYTES   4
#define SUM_CHARS   6 /* base64url of 4 bytes, no padding */
#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

static const char *kind_prefix(enum token_kind kind)
{
	return kind == TOKEN_ADMIN_KEY ? "visadm_" : "vis_";
}

static void checksum(const char *prefix_and_body, size_t len, char out[SUM_CHARS + 1])
{
	unsigned char sum[SUM_BYTES];

	crypto_generichash(sum, sizeof(sum), (const unsigned char *)prefix_and_body, len, NULL, 0);
	sodium_bin2base64(out, SUM_CHARS + 1, sum, sizeof(sum), B64_VARIANT);
}

void token_generate(enum token_kind kind, char out[TOKEN_TEXT_MAX])
{
	const char *prefix = kind_prefix(kind);
	size_t plen = strlen(prefix);
	unsigned char body[BODY_BYTES];

	randombytes_buf(body, sizeof(body));
	memcpy(out, prefix, plen);
	sodium_bin2base64(out + plen, BODY_CHARS + 1, body, sizeof(body), B64_VARIANT);
	checksum(out, plen + BODY_CHARS, out + plen + BODY_CHARS);
	sodium_memzero(body, sizeof(body));
}

bool token_well_formed(enum token_kind kind, const char *text)
{
	const char *prefix = kind_prefix(kind);
	size_t plen = strlen(prefix);
	unsigned char body[BODY_BYTES];
	char sum[SUM_CHARS + 1];
	size_t decoded = 0;

	if (strlen(text) != plen + BODY_CHARS + SUM_CHARS || strncmp(text, prefix, plen) != 0)
		return false;
	if (sodium_base642bin(body, sizeof(body), text + plen, BODY_CHARS, NULL, &decoded, NULL,
	                      B64_VARIANT) != 0 ||
	    decoded != BODY_BYTES)
		return false;
	checksum(text, plen + BODY_CHARS, sum);
	return sodium_memcmp(sum, text + plen + BODY_CHARS, SUM_CHARS) == 0;
}

void token_hash(const char *text, char out[TOKEN_HASH_HEX])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)text, strlen(text), NULL, 0);
	sodium_bin2hex(out, TOKEN_HASH_HEX, h, sizeof(h));
}

bool token_hash_equal(const char *a, const char *b)
{
	return strlen(a) == TOKEN_HASH_HEX - 1 && strlen(b) == TOKEN_HASH_HEX - 1 &&
	       sodium_memcmp(a, b, TOKEN_HASH_HEX - 1) == 0;
}

void token_display(const char *text, char head[TOKEN_SHOW_HEAD + 1], char last4[5])
{
	size_t n = strlen(text);

	memcpy(head, text, n < TOKEN_SHOW_HEAD ? n : TOKEN_SHOW_HEAD);
	head[n < TOKEN_SHOW_HEAD ? n : TOKEN_SHOW_HEAD] = '\0';
	memcpy(last4, n >= 4 ? text + n - 4 : text, n >= 4 ? 4 : n);
	last4[n >= 4 ? 4 : n] = '\0';
}

void token_embed(char out[65])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, 65, raw, sizeof(raw));
}

void token_password(char out[25])
{
	unsigned char raw[18];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, 25, raw, sizeof(raw), B64_VARIANT);
}
