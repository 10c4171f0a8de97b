/*
 * jwe — embed tokens as compact JWE (RFC 7516): "dir" key management with
 * A256GCM content encryption, the signing key named by a UUID "kid".
 *
 * cjose does the encryption and the framing; this module decides what a
 * token may look like. Its protected header can be read before decryption,
 * so that the server finds the key by kid among the signing keys of the
 * caller's own group, and every header a forger could use to steer key
 * selection or processing (jku, x5u, jwk, x5c, crit, zip, any other
 * algorithm) is refused before the key is touched. Expiry and the meaning
 * of the claims belong to the caller.
 */
#ifndef VISOR_JWE_H
#define VISOR_JWE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define JWE_KEY_BYTES   32    /* an A256GCM content key */
#define JWE_KID_SIZE    37    /* a UUID kid and its NUL */
#define JWE_COMPACT_MAX 65536 /* hard ceiling on a token jwe_open will read */

/*
 * Encrypt claims (a JSON object, borrowed) under key into a compact JWE with
 * the protected header {"alg":"dir","enc":"A256GCM","kid":kid}; kid must be
 * a lowercase UUID. On success *out is a new string the caller frees; on
 * failure e holds a 500 and *out is untouched.
 */
bool jwe_seal(const unsigned char key[JWE_KEY_BYTES], const char *kid, json_t *claims, char **out,
              struct err *e) MUST_CHECK;

/*
 * Check the shape and protected header of a compact JWE without decrypting
 * it, and copy its kid into kid_out (kid_cap bytes, JWE_KID_SIZE is
 * enough). A token longer than max_len, with other than five segments, or
 * with a header other than the one jwe_seal writes is refused with 401
 * "invalid_embed_token".
 */
bool jwe_header_kid(const char *compact, size_t max_len, char *kid_out, size_t kid_cap,
                    struct err *e) MUST_CHECK;

/*
 * Repeat the checks of jwe_header_kid (with JWE_COMPACT_MAX as the length
 * bound; callers apply their own, smaller one through jwe_header_kid first),
 * decrypt with key and parse the plaintext. On success *claims is a new
 * reference to a JSON object the caller releases with json_decref. A token
 * that was altered or sealed under another key is refused with 401
 * "invalid_embed_token". Expiry is not checked here.
 */
bool jwe_open(const unsigned char key[JWE_KEY_BYTES], const char *compact, json_t **claims,
              struct err *e) MUST_CHECK;

#endif
