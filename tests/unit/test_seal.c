/*
 * Unit tests of seal.c: sealing round trips, refusal of altered or foreign
 * texts, the key fingerprint, and loading the master key from the
 * environment or a key file in a temporary directory.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"

static unsigned char key[SEAL_KEY_BYTES];
static char dir[] = "/tmp/visor-seal-XXXXXX";

static void init(void)
{
	cr_assert(sodium_init() >= 0);
	randombytes_buf(key, sizeof(key));
	cr_assert(mkdtemp(dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void fini(void)
{
	cr_expect_eq(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

TestSuite(seal, .init = init, .fini = fini);

static char *path_in_dir(const char *name)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	cr_assert(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

static bool is_zero(const unsigned char *k)
{
	return sodium_is_zero(k, SEAL_KEY_BYTES) == 1;
}

Test(seal, sealed_text_opens_with_its_key)
{
	char *sealed = seal_encrypt(key, "hunter2 with spaces & ünïcode");
	char *plain = NULL;

	cr_expect_eq(strncmp(sealed, "v1:", 3), 0);
	cr_expect_null(strstr(sealed, "hunter2"));
	cr_assert(seal_decrypt(key, sealed, &plain));
	cr_expect_str_eq(plain, "hunter2 with spaces & ünïcode");
	free(plain);
	free(sealed);
}

Test(seal, empty_and_long_plaintexts_round_trip)
{
	char *big = malloc(100001);
	char *sealed, *plain = NULL;

	sealed = seal_encrypt(key, "");
	cr_assert(seal_decrypt(key, sealed, &plain));
	cr_expect_str_eq(plain, "");
	free(plain);
	free(sealed);

	memset(big, 'x', 100000);
	big[100000] = '\0';
	sealed = seal_encrypt(key, big);
	cr_assert(seal_decrypt(key, sealed, &plain));
	cr_expect_str_eq(plain, big);
	free(plain);
	free(sealed);
	free(big);
}

Test(seal, the_same_plaintext_seals_differently_each_time)
{
	char *a = seal_encrypt(key, "secret");
	char *b = seal_encrypt(key, "secret");

	cr_expect_str_neq(a, b, "a fresh nonce each time");
	free(a);
	free(b);
}

Test(seal, another_key_cannot_open_it)
{
	unsigned char other[SEAL_KEY_BYTES];
	char *sealed = seal_encrypt(key, "secret");
	char *plain = (char *)"sentinel";

	randombytes_buf(other, sizeof(other));
	cr_expect_not(seal_decrypt(other, sealed, &plain));
	cr_expect_null(plain);
	free(sealed);
}

Test(seal, altered_texts_are_refused)
{
	char *sealed = seal_encrypt(key, "secret");
	size_t len = strlen(sealed);
	char *plain = NULL;
	size_t i;

	/* Each position: nonce, MAC and ciphertext alike. */
	for (i = 3; i < len - 1; i++) {
		char *t = strdup(sealed);

		t[i] = t[i] == 'A' ? 'B' : 'A';
		cr_expect_not(seal_decrypt(key, t, &plain), "position %zu", i);
		free(t);
	}
	sealed[len - 1] = '\0';
	cr_expect_not(seal_decrypt(key, sealed, &plain), "truncated");
	free(sealed);
}

Test(seal, malformed_texts_are_refused)
{
	static const char *const texts[] = {
	    "",
	    "v1:",
	    "v2:AAAA",
	    "secret",
	    "v1:not base64!",
	    "v1:AAAA",
	    "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
	};
	char *plain = NULL;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		cr_expect_not(seal_decrypt(key, texts[i], &plain), "\"%s\"", texts[i]);
	cr_expect_not(seal_decrypt(key, NULL, &plain));
	cr_expect_null(plain);
}

Test(seal, key_id_is_a_stable_short_fingerprint)
{
	unsigned char other[SEAL_KEY_BYTES];
	char a[SEAL_KEY_ID], b[SEAL_KEY_ID], c[SEAL_KEY_ID], hex[65];

	randombytes_buf(other, sizeof(other));
	seal_key_id(key, a);
	seal_key_id(key, b);
	seal_key_id(other, c);
	cr_expect_eq(strlen(a), 16);
	cr_expect_eq(strspn(a, "0123456789abcdef"), 16);
	cr_expect_str_eq(a, b);
	cr_expect_str_neq(a, c);
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	cr_expect_null(strstr(hex, a), "the id is not a piece of the key");
}

Test(seal, key_from_the_environment_as_hex_or_base64)
{
	unsigned char k[SEAL_KEY_BYTES];
	char hex[65],
	    b64[sodium_base64_ENCODED_LEN(SEAL_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	char msg[256] = "";

	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	cr_expect(seal_key_load(hex, NULL, false, k, msg, sizeof(msg)), "%s", msg);
	cr_expect_eq(memcmp(k, key, sizeof(k)), 0);

	memset(k, 0, sizeof(k));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
	cr_expect(seal_key_load(b64, "/nonexistent/visor.key", false, k, msg, sizeof(msg)), "%s",
	          msg);
	cr_expect_eq(memcmp(k, key, sizeof(k)), 0, "the environment wins over the file");
}

Test(seal, malformed_environment_keys_are_refused)
{
	static const char *const texts[] = {
	    "",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeef",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeffa",
	    "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
	    " 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	};
	unsigned char k[SEAL_KEY_BYTES];
	char msg[256];
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(k, 0xaa, sizeof(k));
		msg[0] = '\0';
		cr_expect_not(seal_key_load(texts[i], NULL, false, k, msg, sizeof(msg)), "\"%s\"",
		              texts[i]);
		cr_expect(strstr(msg, "64 hex digits"), "%s", msg);
		cr_expect(is_zero(k));
	}
}

Test(seal, a_missing_key_file_is_created_private_and_reused)
{
	char *path = path_in_dir("visor.key");
	unsigned char first[SEAL_KEY_BYTES], again[SEAL_KEY_BYTES];
	char msg[256] = "", text[80] = "";
	struct stat st;
	FILE *f;

	cr_assert(seal_key_load(NULL, path, true, first, msg, sizeof(msg)), "%s", msg);
	cr_expect_not(is_zero(first));
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	cr_assert(f && fgets(text, sizeof(text), f));
	fclose(f);
	cr_expect_eq(strlen(text), 65, "64 hex digits and a newline");

	cr_assert(seal_key_load(NULL, path, true, again, msg, sizeof(msg)), "%s", msg);
	cr_expect_eq(memcmp(first, again, sizeof(first)), 0);
	cr_assert(seal_key_load(NULL, path, false, again, msg, sizeof(msg)), "%s", msg);
	cr_expect_eq(memcmp(first, again, sizeof(first)), 0);
	free(path);
}

Test(seal, a_key_file_in_base64_with_crlf_is_read)
{
	char *path = path_in_dir("b64.key");
	char b64[sodium_base64_ENCODED_LEN(SEAL_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL) + 2];
	unsigned char k[SEAL_KEY_BYTES];
	char msg[256] = "";

	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
	strcat(b64, "\r\n");
	write_file(path, b64, 0600);
	cr_assert(seal_key_load(NULL, path, false, k, msg, sizeof(msg)), "%s", msg);
	cr_expect_eq(memcmp(k, key, sizeof(k)), 0);
	free(path);
}

Test(seal, a_key_file_others_can_read_is_refused)
{
	char *path = path_in_dir("open.key");
	unsigned char k[SEAL_KEY_BYTES];
	char hex[66], msg[256] = "";

	sodium_bin2hex(hex, 65, key, sizeof(key));
	strcat(hex, "\n");
	write_file(path, hex, 0644);
	cr_expect_not(seal_key_load(NULL, path, true, k, msg, sizeof(msg)));
	cr_expect(strstr(msg, "chmod 600"), "%s", msg);
	cr_expect(strstr(msg, "644"), "%s", msg);
	cr_expect(is_zero(k));
	cr_assert_eq(chmod(path, 0640), 0);
	cr_expect_not(seal_key_load(NULL, path, false, k, msg, sizeof(msg)));
	cr_assert_eq(chmod(path, 0600), 0);
	cr_expect(seal_key_load(NULL, path, false, k, msg, sizeof(msg)), "%s", msg);
	free(path);
}

Test(seal, malformed_and_missing_key_files_are_refused)
{
	char *bad = path_in_dir("bad.key");
	char *missing = path_in_dir("missing.key");
	unsigned char k[SEAL_KEY_BYTES];
	char msg[256] = "";
	struct stat st;

	write_file(bad, "not a key\n", 0600);
	cr_expect_not(seal_key_load(NULL, bad, true, k, msg, sizeof(msg)));
	cr_expect(strstr(msg, "must hold"), "%s", msg);

	write_file(bad, "", 0600);
	cr_expect_not(seal_key_load(NULL, bad, true, k, msg, sizeof(msg)));

	cr_expect_not(seal_key_load(NULL, missing, false, k, msg, sizeof(msg)));
	cr_expect(strstr(msg, "cannot be opened"), "%s", msg);
	cr_expect_neq(stat(missing, &st), 0, "not created unless asked");

	cr_expect_not(seal_key_load(NULL, dir, true, k, msg, sizeof(msg)));
	cr_expect(strstr(msg, "not a regular file"), "%s", msg);

	cr_expect_not(seal_key_load(NULL, NULL, true, k, msg, sizeof(msg)));
	cr_expect(strstr(msg, "No master key"), "%s", msg);
	free(bad);
	free(missing);
}
