/*
 * router — maps a method and path to a handler, and runs everything that
 * is the same for every route in one place: authentication, the
 * read-only/role check, the request's transaction (commit on success,
 * rollback on any refusal), and the answer for unknown routes.
 */
#ifndef VISOR_ROUTER_H
#define VISOR_ROUTER_H

#include <stdbool.h>

#include "domain.h"
#include "req.h"

enum auth_mode { AUTH_NONE, AUTH_TOKEN, AUTH_ADMIN };

struct route {
	const char *methods; /* "GET", "POST", "GET POST", … */
	const char *pattern; /* "/admin/api/groups/{}/tokens": {} captures an id, {key} text */
	enum auth_mode auth;
	bool writes;    /* opens a write transaction; read-only tokens are refused */
	enum need need; /* the least role for the admin API */
	bool (*fn)(struct req *r);
};

extern const struct route api_customer_routes[];
extern const struct route api_embed_routes[];
extern const struct route admin_schema_routes[];
extern const struct route admin_group_routes[];
extern const struct route admin_customer_routes[];
extern const struct route admin_org_routes[];

/* Remember the database URL each server thread connects to. */
void router_init(const char *db_url);

/* Answer r: after it returns, r->status and r->reply are set. */
void router_dispatch(struct req *r);

/* After the HTTP server has stopped: close every thread's connection and
 * free the rate limiters. */
void router_shutdown(void);

#endif
