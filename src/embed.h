/*
 * embed — the signing keys of a group and the embed tokens made with
 * them. A key is 256 random bits under a UUID key_id, sealed under the
 * master key at rest and never returned. The newest key of a group signs;
 * every key of the group verifies until it is deleted (retired).
 * Verification takes the key from the server's record of the caller's
 * group by the token's kid, never from anything else in the token.
 */
#ifndef VISOR_EMBED_H
#define VISOR_EMBED_H

#include <jansson.h>
#include <stdint.h>

#include "req.h"

/* Make a new key for group; *out describes it (no key material). */
bool embed_key_create(struct req *r, int64_t group, json_t **out) MUST_CHECK;

/* Seal claims for the group's key key_id (or its newest, key_id NULL). */
bool embed_sign(struct req *r, int64_t group, const char *key_id, json_t *claims,
                char **jwt) MUST_CHECK;

/* Open a token with the group's key named by its kid; *claims is new.
 * Every failure is a 401 invalid_embed_token. */
bool embed_open(struct req *r, int64_t group, const char *jwt, json_t **claims) MUST_CHECK;

#endif
