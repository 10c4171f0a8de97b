/*
 * sealkit — the test's own look inside what the server seals, using the key
 * file that `visor init` wrote beside the database: opening "v1:" values
 * (secretbox) to check what they hold, reading a signing key, and making or
 * opening compact JWEs (dir + A256GCM) so that a test can forge embed tokens
 * that are correctly encrypted yet wrong in some other way.
 */
#ifndef VISOR_IT_SEALKIT_H
#define VISOR_IT_SEALKIT_H

#include <stddef.h>

#define KIT_KEY_BYTES 32

/* base64url without padding (harness-owned). */
const char *b64url(const void *bin, size_t len);

/* Decode base64url (padding and other alphabets refused); NULL when malformed.
 * The bytes are harness-owned and NUL-terminated. */
unsigned char *b64url_decode(const char *text, size_t n, size_t *len);

/* The master key in a key file (64 hex digits and a newline). */
void kit_master_key(const char *path, unsigned char key[KIT_KEY_BYTES]);

/* A new key file in the test's directory holding a random key (mode 0600);
 * its path (harness-owned). */
const char *kit_new_key_file(const char *name);

/* The 64 hex digits of the key in a key file (harness-owned). */
const char *kit_key_hex(const char *path);

/* The default key file of the test's database: <db>.key (harness-owned). */
const char *kit_key_path(void);

/* A "v1:" value opened with a master key (harness-owned text), or NULL. */
const char *kit_unseal(const unsigned char master[KIT_KEY_BYTES], const char *sealed);

/* The signing key key_id, read from the database and opened with the
 * default key file; its 64 hex digits go to hex when hex is not NULL. */
void kit_signing_key(const char *key_id, unsigned char key[KIT_KEY_BYTES], char hex[65]);

/* A compact JWE: the protected header and the claims given as text, sealed
 * with A256GCM under key (harness-owned). */
const char *kit_jwe(const unsigned char key[KIT_KEY_BYTES], const char *header, const char *claims);

/* The plaintext of a compact JWE under key (harness-owned), or NULL. */
const char *kit_jwe_open(const unsigned char key[KIT_KEY_BYTES], const char *jwt);

/* The decoded protected header of a compact JWE (harness-owned), or NULL. */
const char *kit_jwe_header(const char *jwt);

#endif
