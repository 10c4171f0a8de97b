/*
 * auth — credential checks for both APIs.
 */
#include "auth.h"

#include <string.h>
#include <strings.h>

#include "store.h"
#include "token.h"
#include "util.h"

static const char *credential(struct req *r)
{
	const char *explo = req_header(r, "Explo-Authorization");
	const char *bearer = req_header(r, "Authorization");

	if (explo && strncasecmp(explo, "Token ", 6) == 0)
		return explo + 6;
	if (bearer && strncasecmp(bearer, "Bearer ", 7) == 0)
		return bearer + 7;
	return NULL;
}

static bool unauthorized(struct req *r, const char *why)
{
	return err_set(&r->err, 401, "unauthorized", "%s", why);
}

bool auth_token(struct req *r)
{
	const char *text = credential(r);
	char hash[TOKEN_HASH_HEX];
	struct cred c = {0};
	enum store_rc rc;

	if (!text)
		return unauthorized(r, "Send your API token as \"Explo-Authorization: Token …\".");
	if (!token_well_formed(TOKEN_API, text))
		return unauthorized(r, "The API token is malformed; copy it again in full.");
	token_hash(text, hash);
	rc = store_token_by_hash(r->db, hash, &c);
	if (rc == STORE_ERROR)
		return err_storage(&r->err);
	if (rc != STORE_OK || !token_hash_equal(hash, c.hash) ||
	    (c.expires_at && c.expires_at <= util_now()))
		return unauthorized(r, "The API token is unknown, expired or revoked.");
	r->who.kind = ACTOR_TOKEN;
	r->who.id = c.id;
	r->who.team_id = c.team_id;
	r->who.group_id = c.group_id;
	r->who.read_write = c.read_write;
	r->who.last_used_at = c.last_used_at;
	return true;
}

bool auth_admin(struct req *r)
{
	const char *text = credential(r);
	char hash[TOKEN_HASH_HEX];
	struct cred c = {0};
	enum store_rc rc;

	if (!text)
		return unauthorized(
		    r, "Sign in, or send an admin key as \"Authorization: Bearer …\".");
	if (!token_well_formed(TOKEN_ADMIN_KEY, text))
		return unauthorized(r, "The admin key is malformed; copy it again in full.");
	token_hash(text, hash);
	rc = store_admin_key_by_hash(r->db, hash, &c);
	if (rc == STORE_ERROR)
		return err_storage(&r->err);
	if (rc != STORE_OK || !token_hash_equal(hash, c.hash))
		return unauthorized(r, "The admin key is unknown or revoked.");
	r->who.kind = ACTOR_ADMIN_KEY;
	r->who.id = c.id;
	r->who.team_id = c.team_id;
	r->who.role = c.role;
	return true;
}
