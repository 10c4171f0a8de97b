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
	sealed = keyring_seal(hex);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	ok = req_store_ok(r, store_key_create(r->db, r->who.team_id, group, key_id, sealed),
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

/* The group's key (named, or the newest): unsealed into key. */
static enum store_rc load_key(struct req *r, int64_t group, const char *key_id,
                              char kid[JWE_KID_SIZE], unsigned char key[JWE_KEY_BYTES])
{
	char *sealed = NULL, *hex = NULL;
	size_t len = 0;
	enum store_rc rc = store_key_sealed(r->db, group, key_id, kid, &sealed);

	if (rc == STORE_OK &&
	    (!keyring_unseal(sealed, &hex) ||
	     sodium_hex2bin(key, JWE_KEY_BYTES, hex, strlen(hex), NULL, &len, NULL) != 0 ||
	     len != JWE_KEY_BYTES))
		rc = STORE_ERROR;
	if (hex)
		sodium_memzero(hex, strlen(hex));
	free(hex);
	free(sealed);
	return rc;
}

bool embed_sign(struct req *r, int64_t group, const char *key_id, json_t *claims, char **jwt)
{
	unsigned char key[JWE_KEY_BYTES];
	char kid[JWE_KID_SIZE];
	enum store_rc rc = load_key(r, group, key_id, kid, key);
	bool ok;

	if (rc == STORE_NOT_FOUND && key_id)
		return err_set(&r->err, 404, "not_found",
		               "No signing key of this group has that key_id.");
	if (rc == STORE_NOT_FOUND)
		return err_set(&r->err, 409, "no_signing_key",
		               "This group has no signing key yet; an admin can create one.");
	if (rc != STORE_OK)
		return err_storage(&r->err);
	ok = jwe_seal(key, kid, claims, jwt, &r->err);
	sodium_memzero(key, sizeof(key));
	return ok;
}

bool embed_open(struct req *r, int64_t group, const char *jwt, json_t **claims)
{
	unsigned char key[JWE_KEY_BYTES];
	char kid[JWE_KID_SIZE], found[JWE_KID_SIZE];
	enum store_rc rc;
	bool ok;

	if (!jwe_header_kid(jwt, limits.embed_token_max, kid, sizeof(kid), &r->err)) {
		err_clear(&r->err);
		return invalid(r);
	}
	rc = load_key(r, group, kid, found, key);
	if (rc == STORE_NOT_FOUND)
		return invalid(r);
	if (rc != STORE_OK)
		return err_storage(&r->err);
	ok = jwe_open(key, jwt, claims, &r->err);
	sodium_memzero(key, sizeof(key));
	if (!ok) {
		err_clear(&r->err);
		return invalid(r);
	}
	return true;
}
