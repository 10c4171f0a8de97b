/*
 * embedkit — shared set-up for the embed token tests: the README tour plus
 * a customer "acme" in both groups and a signing key in each, and short
 * forms for generate_jwt and verify_jwt.
 */
#ifndef VISOR_IT_EMBEDKIT_H
#define VISOR_IT_EMBEDKIT_H

#include "harness.h"
#include "world.h"

struct embed_world {
	struct world w;
	const char *key_test, *key_prod; /* key_id of each group's first signing key */
};

/* The tour, "acme" in Testing and in Production, and one key per group. */
void embed_world(struct embed_world *e);

const char *keys_path(json_int_t group);
const char *key_path(const char *key_id);

/* A new signing key of a group: its key_id. */
const char *mk_key(json_int_t group);

/* POST /api/generate_jwt/ and /api/verify_jwt/; body is stolen. */
struct resp *gen_jwt(const char *token, json_t *body);
struct resp *verify_jwt(const char *token, const char *jwt);

/* An embed token for provided_id and embed_id (extra fields may follow in
 * more, stolen, or NULL); fails the test unless it is made. */
const char *mk_jwt(const char *token, const char *provided_id, const char *embed_id, json_t *more);

/* The dot-separated parts of a compact token (harness-owned), and back. */
int jwt_split(const char *jwt, const char *parts[8]);
const char *jwt_join(const char *const *parts, int n);

/* verify_jwt answers 200 for this customer. */
#define expect_verified(r, pid)                                                                    \
	do {                                                                                       \
		const struct resp *ev_ = (r);                                                      \
		expect_status(ev_, 200);                                                           \
		cr_assert_str_eq(jstr(ev_->json, "customer.provided_id"), (pid), "%s", ev_->body); \
	} while (0)

/* verify_jwt refuses the embed token. */
#define expect_refused(r) expect_error((r), 401, "invalid_embed_token")

#endif
