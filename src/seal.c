/*
 * seal — the master key's loading and the secretbox framing of sealed
 * text. All encoding and cryptography is libsodium's: hex and base64 for
 * key text, secretbox for sealing, generichash for the key's fingerprint.
 * A new key file is written with O_EXCL and synced, so that two servers
 * starting together agree on one key and a crash cannot leave a database
 * sealed under a key that never reached the disk.
 */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#define PREFIX     "v1:"
#define PREFIX_LEN 3
#define NONCE      crypto_secretbox_NONCEBYTES
#define MAC        crypto_secretbox_MACBYTES
#define HEX_LEN    (SEAL_KEY_BYTES * 2)
#define FILE_MAX   128 /* bytes read from a key file; a key is at most 65 */
#define B64_URL    sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define ID_CONTEXT "visor master key id v1"
#define KEY_FORMAT "64 hex digits (as from `openssl rand -hex 32`) or base64 of 32 bytes"

static bool say(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool say(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return false;
}

/* 64 hex digits or padded standard base64, decoding to exactly 32 bytes. */
static bool parse_key(const char *text, size_t len, unsigned char key[SEAL_KEY_BYTES])
{
	const char *end = NULL;
	size_t got = 0;

	if (len == HEX_LEN)
		return sodium_hex2bin(key, SEAL_KEY_BYTES, text, len, NULL, &got, &end) == 0 &&
		       got == SEAL_KEY_BYTES && end == text + len;
	return sodium_base642bin(key, SEAL_KEY_BYTES, text, len, NULL, &got, &end,
	                         sodium_base64_VARIANT_ORIGINAL) == 0 &&
	       got == SEAL_KEY_BYTES && end == text + len;
}

/* Read up to cap bytes; -1 on error. */
static ssize_t read_all(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static bool check_file(int fd, const char *path, char *msg, size_t msglen)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return say(msg, msglen, "The key file %s is not a regular file.", path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return say(msg, msglen,
		           "The key file %s is open to other users (mode %03o); restrict it with "
		           "chmod 600 %s.",
		           path, (unsigned)(st.st_mode & 0777), path);
	return true;
}

static bool read_key_file(const char *path, unsigned char key[SEAL_KEY_BYTES], char *msg,
                          size_t msglen)
{
	char buf[FILE_MAX + 1];
	ssize_t n = -1;
	bool ok = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return say(msg, msglen, "The key file %s cannot be opened: %s.", path,
		           strerror(errno));
	if (!check_file(fd, path, msg, msglen))
		goto out;
	n = read_all(fd, buf, sizeof(buf));
	if (n < 0) {
		say(msg, msglen, "The key file %s cannot be read: %s.", path, strerror(errno));
		goto out;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (!parse_key(buf, (size_t)n, key)) {
		say(msg, msglen, "The key file %s must hold %s.", path, KEY_FORMAT);
		goto out;
	}
	ok = true;
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return ok;
}

/* Make a new file's directory entry durable; best effort, as not every file system can. */
static void sync_parent(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		if (fsync(fd) != 0) {
			/* The key file itself is synced; the entry follows with the next sync. */
		}
		close(fd);
	}
	free(copy);
}

static bool create_key_file(const char *path, unsigned char key[SEAL_KEY_BYTES], char *msg,
                            size_t msglen)
{
	char hex[HEX_LEN + 1];
	bool ok;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	/* Another process created it first: use its key. */
	if (fd < 0 && errno == EEXIST)
		return read_key_file(path, key, msg, msglen);
	if (fd < 0)
		return say(msg, msglen, "The key file %s cannot be created: %s.", path,
		           strerror(errno));
	randombytes_buf(key, SEAL_KEY_BYTES);
	sodium_bin2hex(hex, sizeof(hex), key, SEAL_KEY_BYTES);
	ok = write_all(fd, hex, HEX_LEN) && write_all(fd, "\n", 1) && fsync(fd) == 0;
	if (!ok)
		say(msg, msglen, "The key file %s cannot be written: %s.", path, strerror(errno));
	close(fd);
	sodium_memzero(hex, sizeof(hex));
	if (!ok)
		unlink(path);
	else
		sync_parent(path);
	return ok;
}

static bool load(const char *env_value, const char *key_file, bool create_if_missing,
                 unsigned char key[SEAL_KEY_BYTES], char *msg, size_t msglen)
{
	struct stat st;

	if (env_value) {
		if (!parse_key(env_value, strlen(env_value), key))
			return say(msg, msglen, "The master key in the environment must be %s.",
			           KEY_FORMAT);
		return true;
	}
	if (!key_file || !*key_file)
		return say(msg, msglen,
		           "No master key is configured; set one in the environment or name a key "
		           "file.");
	if (create_if_missing && lstat(key_file, &st) != 0 && errno == ENOENT)
		return create_key_file(key_file, key, msg, msglen);
	return read_key_file(key_file, key, msg, msglen);
}

bool seal_key_load(const char *env_value, const char *key_file, bool create_if_missing,
                   unsigned char key[SEAL_KEY_BYTES], char *msg, size_t msglen)
{
	bool ok = load(env_value, key_file, create_if_missing, key, msg, msglen);

	if (!ok)
		sodium_memzero(key, SEAL_KEY_BYTES);
	return ok;
}

char *seal_encrypt(const unsigned char key[SEAL_KEY_BYTES], const char *plaintext)
{
	size_t mlen = strlen(plaintext);
	size_t blen = NONCE + MAC + mlen;
	size_t tlen = PREFIX_LEN + sodium_base64_ENCODED_LEN(blen, B64_URL);
	unsigned char *box = xmalloc(blen);
	char *out = xmalloc(tlen);

	randombytes_buf(box, NONCE);
	if (crypto_secretbox_easy(box + NONCE, (const unsigned char *)plaintext, mlen, box, key) !=
	    0)
		abort(); /* only for messages beyond crypto_secretbox_MESSAGEBYTES_MAX */
	memcpy(out, PREFIX, PREFIX_LEN);
	sodium_bin2base64(out + PREFIX_LEN, tlen - PREFIX_LEN, box, blen, B64_URL);
	free(box);
	return out;
}

bool seal_decrypt(const unsigned char key[SEAL_KEY_BYTES], const char *sealed, char **plaintext)
{
	unsigned char *box = NULL;
	char *plain = NULL;
	const char *text, *end = NULL;
	size_t tlen, blen = 0;
	bool ok = false;

	*plaintext = NULL;
	if (!sealed || strncmp(sealed, PREFIX, PREFIX_LEN) != 0)
		goto out;
	text = sealed + PREFIX_LEN;
	tlen = strlen(text);
	box = xmalloc(tlen);
	if (sodium_base642bin(box, tlen, text, tlen, NULL, &blen, &end, B64_URL) != 0 ||
	    end != text + tlen || blen < NONCE + MAC)
		goto out;
	plain = xmalloc(blen - NONCE - MAC + 1);
	if (crypto_secretbox_open_easy((unsigned char *)plain, box + NONCE, blen - NONCE, box,
	                               key) != 0)
		goto out;
	plain[blen - NONCE - MAC] = '\0';
	*plaintext = plain;
	plain = NULL;
	ok = true;
out:
	free(plain);
	free(box);
	return ok;
}

void seal_key_id(const unsigned char key[SEAL_KEY_BYTES], char out[SEAL_KEY_ID])
{
	unsigned char h[crypto_generichash_BYTES_MIN];

	crypto_generichash(h, sizeof(h), (const unsigned char *)ID_CONTEXT, strlen(ID_CONTEXT), key,
	                   SEAL_KEY_BYTES);
	sodium_bin2hex(out, SEAL_KEY_ID, h, (SEAL_KEY_ID - 1) / 2);
}
