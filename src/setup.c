/*
 * setup — the first records of a new team.
 */
#include "setup.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "store.h"

static bool record_team(struct db *db, int64_t team_id, const char *team)
{
	struct audit_event ev = {
	    .team_id = team_id,
	    .actor_type = "system",
	    .action = "team.create",
	    .object_type = "team",
	    .object_id = team,
	    .request_id = "init",
	};

	return audit_append(db, &ev) == STORE_OK;
}

static bool create_all(struct db *db, const char *team, const char *email, struct setup_result *out,
                       char *msg, size_t msglen)
{
	char pw_hash[crypto_pwhash_STRBYTES], hash[TOKEN_HASH_HEX], head[TOKEN_SHOW_HEAD + 1];
	char last4[5];
	int64_t member = 0, key = 0, level = 0;
	enum store_rc rc;

	token_password(out->password);
	if (crypto_pwhash_str(pw_hash, out->password, strlen(out->password),
	                      crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		snprintf(msg, msglen, "not enough memory to hash the password");
		return false;
	}
	token_generate(TOKEN_ADMIN_KEY, out->admin_key);
	token_hash(out->admin_key, hash);
	token_display(out->admin_key, head, last4);
	if (store_team_create(db, team, &out->team_id) != STORE_OK ||
	    store_level_create(db, out->team_id, "Customer", 0, &level) != STORE_OK)
		goto storage;
	rc = store_member_create(db, out->team_id, email, ROLE_ADMIN, pw_hash, &member);
	if (rc == STORE_CONFLICT) {
		snprintf(msg, msglen, "%s is already a member of a team; use another email", email);
		return false;
	}
	if (rc != STORE_OK ||
	    store_admin_key_create(db, out->team_id, "initial", hash, head, last4, &key) !=
	        STORE_OK ||
	    !record_team(db, out->team_id, team))
		goto storage;
	return true;
storage:
	snprintf(msg, msglen, "the database refused the new team");
	return false;
}

bool setup_team(struct db *db, const char *team, const char *email, struct setup_result *out,
                char *msg, size_t msglen)
{
	if (db_begin(db, true) != DB_OK) {
		snprintf(msg, msglen, "cannot start a transaction");
		return false;
	}
	if (!create_all(db, team, email, out, msg, msglen)) {
		db_rollback(db);
		return false;
	}
	if (db_commit(db) != DB_OK) {
		snprintf(msg, msglen, "cannot commit the new team");
		return false;
	}
	return true;
}
