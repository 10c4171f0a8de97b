/*
 * setup — creating a team with its first admin (`visor init`): the team,
 * its root hierarchy level, the admin member with a one-time password,
 * and an admin key, all in one transaction.
 */
#ifndef VISOR_SETUP_H
#define VISOR_SETUP_H

#include <stdint.h>

#include "db.h"
#include "token.h"

struct setup_result {
	int64_t team_id;
	char password[25];
	char admin_key[TOKEN_TEXT_MAX];
};

/* Returns false with msg filled (e.g. the email is taken). */
bool setup_team(struct db *db, const char *team, const char *email, struct setup_result *out,
                char *msg, size_t msglen) MUST_CHECK;

#endif
