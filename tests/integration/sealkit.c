/*
 * sealkit — libsodium on the test's side: base64url, secretbox to open what
 * the server sealed under the master key, and AES-256-GCM to make and open
 * compact JWEs exactly as RFC 7516 lays them out (header.key.iv.ciphertext.
 * tag, with the encoded header as the additional data).
 */
#include "sealkit.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "dbsnap.h"
#include "harness.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define IV  crypto_aead_aes256gcm_NPUBBYTES
#define TAG crypto_aead_aes256gcm_ABYTES

static void kit_init(void)
{
	cr_assert_geq(sodium_init(), 0, "libsodium did not start");
}

const char *b64url(const void *bin, size_t len)
{
	size_t cap = sodium_base64_ENCODED_LEN(len, B64);
	char *out = keep(xzalloc(cap));

	kit_init();
	return sodium_bin2base64(out, cap, bin, len, B64);
}

unsigned char *b64url_decode(const char *text, size_t n, size_t *len)
{
	unsigned char *out = keep(xzalloc(n + 1));
	const char *end = NULL;

	kit_init();
	if (sodium_base642bin(out, n + 1, text, n, NULL, len, &end, B64) != 0 || end != text + n)
		return NULL;
	out[*len] = '\0';
	return out;
}

const char *kit_new_key_file(const char *name)
{
	unsigned char key[KIT_KEY_BYTES];
	char hex[2 * KIT_KEY_BYTES + 1];
	const char *path = fmt("%s/%s", S.dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	kit_init();
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	cr_assert_eq(write(fd, fmt("%s\n", hex), sizeof(hex)), (ssize_t)sizeof(hex), "write %s",
	             path);
	close(fd);
	return path;
}

const char *kit_key_hex(const char *path)
{
	unsigned char key[KIT_KEY_BYTES];
	char hex[2 * KIT_KEY_BYTES + 1];

	kit_master_key(path, key);
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	return fmt("%s", hex);
}

const char *kit_key_path(void)
{
	return fmt("%s.key", S.db_path);
}

void kit_master_key(const char *path, unsigned char key[KIT_KEY_BYTES])
{
	size_t n = 0, got = 0;
	const char *text = file_bytes(path, &n);

	kit_init();
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	cr_assert(sodium_hex2bin(key, KIT_KEY_BYTES, text, n, NULL, &got, NULL) == 0 &&
	              got == KIT_KEY_BYTES,
	          "the key file %s does not hold 64 hex digits: %s", path, text);
}

const char *kit_unseal(const unsigned char master[KIT_KEY_BYTES], const char *sealed)
{
	size_t blen = 0;
	unsigned char *box;
	char *plain;

	if (sealed == NULL || strncmp(sealed, "v1:", 3) != 0)
		return NULL;
	box = b64url_decode(sealed + 3, strlen(sealed + 3), &blen);
	if (box == NULL || blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		return NULL;
	plain = keep(xzalloc(blen + 1));
	if (crypto_secretbox_open_easy((unsigned char *)plain, box + crypto_secretbox_NONCEBYTES,
	                               blen - crypto_secretbox_NONCEBYTES, box, master) != 0)
		return NULL;
	return plain;
}

void kit_signing_key(const char *key_id, unsigned char key[KIT_KEY_BYTES], char hex[65])
{
	unsigned char master[KIT_KEY_BYTES];
	const char *sealed, *plain;
	size_t got = 0;

	kit_master_key(kit_key_path(), master);
	sealed = db_texts(fmt("SELECT sealed_key FROM signing_keys WHERE key_id = '%s'", key_id));
	cr_assert(*sealed, "no signing key %s in the database", key_id);
	plain = kit_unseal(master, fmt("%.*s", (int)strcspn(sealed, "\n"), sealed));
	cr_assert_not_null(plain, "the signing key %s does not open under the key file", key_id);
	cr_assert(sodium_hex2bin(key, KIT_KEY_BYTES, plain, strlen(plain), NULL, &got, NULL) == 0 &&
	              got == KIT_KEY_BYTES,
	          "a signing key is not 64 hex digits once opened");
	if (hex)
		memcpy(hex, plain, 65);
}

static void need_aes(void)
{
	kit_init();
	cr_assert(crypto_aead_aes256gcm_is_available(),
	          "this CPU has no AES-GCM in libsodium; the JWE forging tests cannot run");
}

const char *kit_jwe(const unsigned char key[KIT_KEY_BYTES], const char *header, const char *claims)
{
	const char *h64 = b64url(header, strlen(header));
	size_t n = strlen(claims);
	unsigned char iv[IV], tag[TAG], *ct = keep(xzalloc(n + 1));
	unsigned long long taglen = 0;

	need_aes();
	randombytes_buf(iv, sizeof(iv));
	crypto_aead_aes256gcm_encrypt_detached(ct, tag, &taglen, (const unsigned char *)claims, n,
	                                       (const unsigned char *)h64, strlen(h64), NULL, iv,
	                                       key);
	return fmt("%s..%s.%s.%s", h64, b64url(iv, sizeof(iv)), b64url(ct, n),
	           b64url(tag, sizeof(tag)));
}

/* The n-th dot-separated part of jwt (harness-owned), or NULL. */
static const char *part(const char *jwt, int n)
{
	for (int i = 0; i < n; i++) {
		jwt = strchr(jwt, '.');
		if (jwt == NULL)
			return NULL;
		jwt++;
	}
	return fmt("%.*s", (int)strcspn(jwt, "."), jwt);
}

const char *kit_jwe_header(const char *jwt)
{
	const char *h = part(jwt, 0);
	size_t n = 0;

	return (const char *)b64url_decode(h, strlen(h), &n);
}

const char *kit_jwe_open(const unsigned char key[KIT_KEY_BYTES], const char *jwt)
{
	const char *h = part(jwt, 0), *iv = part(jwt, 2), *ct = part(jwt, 3), *tag = part(jwt, 4);
	unsigned char *biv, *bct, *btag, *plain;
	size_t liv = 0, lct = 0, ltag = 0;

	need_aes();
	if (!h || !iv || !ct || !tag)
		return NULL;
	biv = b64url_decode(iv, strlen(iv), &liv);
	bct = b64url_decode(ct, strlen(ct), &lct);
	btag = b64url_decode(tag, strlen(tag), &ltag);
	if (!biv || !bct || !btag || liv != IV || ltag != TAG)
		return NULL;
	plain = keep(xzalloc(lct + 1));
	if (crypto_aead_aes256gcm_decrypt_detached(
	        plain, NULL, bct, lct, btag, (const unsigned char *)h, strlen(h), biv, key) != 0)
		return NULL;
	return (const char *)plain;
}
