/*
 * embed — signing keys and embed tokens.
 */
#include "embed.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "jwe.h"
#include "keyring.h"
#include "limits.h"
#include "store.h"

bool embed_key_create(struct req *r, int64_t group, json_t **out)
{
	unsigned char key[JWE_KEY_BYTES];
	char hex[2 * JWE_KEY_BYTES + 1], key_id[JWE_KID_SIZE];
	char *sealed;
	uuid_t uu;
	bool ok;

	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	uuid_generate_random(uu);
	uuid_unparse_lower(uu, key_id);
	ok = keyring_seal(r->db, hex, &sealed, &r->err);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	ok = ok &&
	     req_store_ok(r, store_key_create(r->db, r->who.team_id, group, key_id, sealed),
	                  "signing key") &&
	     req_store_ok(r, store_key_get(r->db, r->who.team_id, key_id, out), "signing key");
	free(sealed);
	return ok;
}

static bool invalid(struct req *r)
{
	return err_set(&r->err, 401, "invalid_embed_token",
	               "The embed token is expired, revoked, forged or not for this group.");
}

/* The group's key (named, or the newest), unsealed into key. False with
 * the request's error set when the store fails or the key does not open;
 * *found says whether the group has such a key at all. */
static bool load_key(struct req *r, int64_t group, const char *key_id, char kid[JWE_KID_SIZE],
                     unsigned char key[JWE_KEY_BYTES], bool *found)
{
	char *sealed = NULL, *hex = NULL;
	size_t len = 0;
	enum store_rc rc = store_key_sealed(r->db, group, key_id, kid, &sealed);
	bool ok = rc == STORE_OK || rc == STORE_NOT_FOUND || err_storage(&r->err);

	*found = rc == STORE_OK;
	if (*found &&
	    (!keyring_unseal(sealed, &hex) ||
	     sodium_hex2bin(key, JWE_KEY_BYTES, hex, strlen(hex), NULL, &len, NULL) != 0 ||
	     len != JWE_KEY_BYTES))
		ok = keyring_mismatch(&r->err);
	if (hex)
		sodium_memzero(hex, strlen(hex));
	free(hex);
	free(sealed);
	return ok;
}

bool embed_sign(struct req *r, int64_t group, const char *key_id, json_t *claims, char **jwt)
{
	unsigned char key[JWE_KEY_BYTES];
	char kid[JWE_KID_SIZE];
	bool found, ok;

	if (!load_key(r, group, key_id, kid, key, &found))
		return false;
	if (!found && key_id)
		return err_set(&r->err, 404, "not_found",
		               "No signing key of this group has that key_id.");
	if (!found)
		return err_set(&r->err, 409, "no_signing_key",
		               "This group has no signing key yet; an admin can create one.");
	ok = jwe_seal(key, kid, claims, jwt, &r->err);
	sodium_memzero(key, sizeof(key));
	if (ok && strlen(*jwt) > limits.embed_token_max) {
		free(*jwt);
		*jwt = NULL;
		ok = err_set(&r->err, 400, "too_long",
		             "The embed token would exceed %zu bytes; shorten embed_id or "
		             "embed_origin.",
		             limits.embed_token_max);
	}
	return ok;
}

bool embed_open(struct req *r, int64_t group, const char *jwt, json_t **claims)
{
	unsigned char key[JWE_KEY_BYTES];
	char kid[JWE_KID_SIZE], found_kid[JWE_KID_SIZE];
	bool found, ok;

	if (!jwe_header_kid(jwt, limits.embed_token_max, kid, sizeof(kid), &r->err)) {
		err_clear(&r->err);
		return invalid(r);
	}
	if (!load_key(r, group, kid, found_kid, key, &found))
		return false;
	if (!found)
		return invalid(r);
	ok = jwe_open(key, jwt, claims, &r->err);
	sodium_memzero(key, sizeof(key));
	if (!ok) {
		err_clear(&r->err);
		return invalid(r);
	}
	return true;
}
