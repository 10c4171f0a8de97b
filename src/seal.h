/*
 * seal — secrets at rest. Data-source passwords and embed signing keys are
 * stored sealed under one master key with libsodium's secretbox
 * (XSalsa20-Poly1305), so that a copy of the database alone reveals none
 * of them.
 *
 * The master key comes from the environment or from a key file beside the
 * database; a short fingerprint of it is stored with the data, so that a
 * server started with the wrong key says so at once instead of failing on
 * the first secret it opens. Call sodium_init() before any function here.
 */
#ifndef VISOR_SEAL_H
#define VISOR_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define SEAL_KEY_BYTES 32
#define SEAL_KEY_ID    17 /* 16 hex digits and a NUL */

/*
 * Load the master key into key. If env_value is non-NULL it is the key,
 * written as 64 hex digits or as standard base64 of 32 bytes, and key_file
 * is ignored. Otherwise the key is read from key_file (the same text, one
 * trailing newline allowed), which must be a regular file that neither
 * group nor others may access. If key_file does not exist and
 * create_if_missing is set, a fresh random key is written there (hex, mode
 * 0600) and used. On failure, msg (msglen bytes) holds a sentence saying
 * what to fix, and key is zeroed.
 */
bool seal_key_load(const char *env_value, const char *key_file, bool create_if_missing,
                   unsigned char key[SEAL_KEY_BYTES], char *msg, size_t msglen) MUST_CHECK;

/*
 * Seal plaintext under key: "v1:" followed by base64url (no padding) of a
 * random 24-byte nonce and the secretbox ciphertext. A new string the
 * caller frees.
 */
char *seal_encrypt(const unsigned char key[SEAL_KEY_BYTES], const char *plaintext);

/*
 * Open a text made by seal_encrypt. On success *plaintext is a new string
 * the caller frees (and should wipe with sodium_memzero when done). False,
 * with *plaintext NULL, if the text is malformed, was altered or was sealed
 * under another key.
 */
bool seal_decrypt(const unsigned char key[SEAL_KEY_BYTES], const char *sealed,
                  char **plaintext) MUST_CHECK;

/*
 * A non-secret fingerprint of key: 16 hex digits of BLAKE2b keyed with it
 * over a fixed context string, into out. Equal keys give equal ids.
 */
void seal_key_id(const unsigned char key[SEAL_KEY_BYTES], char out[SEAL_KEY_ID]);

#endif
