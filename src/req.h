/*
 * req — one HTTP request as the handlers see it: method, path and the ids
 * captured from it, the query, the body, who is asking, the database
 * connection holding the request's transaction, and the answer being
 * built. http.c creates it, router.c fills in the caller and transaction,
 * a handler fills in the answer, and http.c frees it in one place.
 */
#ifndef VISOR_REQ_H
#define VISOR_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "domain.h"
#include "err.h"

struct MHD_Connection;

enum actor_kind { ACTOR_NONE, ACTOR_MEMBER, ACTOR_ADMIN_KEY, ACTOR_TOKEN };

/* Who is asking, as authentication established it. */
struct principal {
	enum actor_kind kind;
	int64_t id; /* member, admin key or token id */
	int64_t team_id;
	int64_t group_id;     /* tokens: the group they are fenced to */
	bool read_write;      /* tokens */
	int64_t last_used_at; /* tokens: as recorded, 0 = never */
	enum role role;       /* members and admin keys */
};

#define REQ_PATH_IDS 3
#define REQ_PATH_KEY 72

struct req {
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	char id[20];                    /* request id, also in the logs and X-Request-Id */
	const char *client;             /* the peer\'s address, for limits and logs */
	int64_t path_ids[REQ_PATH_IDS]; /* the "{}" segments of the route */
	char path_key[REQ_PATH_KEY];    /* the "{key}" segment, if any */

	char *body;
	size_t body_len;
	json_t *json; /* the body as an object, once parsed by req_body */

	struct principal who;
	struct db *db;

	unsigned status;
	unsigned retry_after; /* seconds, sent as Retry-After with a 429 */
	json_t *reply;
	struct err err;
};

/* The body as a JSON object (parsed on first use; owned by the request). */
bool req_body(struct req *r, json_t **out) MUST_CHECK;

/* A query argument, or NULL. */
const char *req_query(struct req *r, const char *name);

/* A request header, or NULL. */
const char *req_header(struct req *r, const char *name);

/* A parameter from the query or, failing that, a string field of the body
 * (GET and POST variants of the same route). */
const char *req_param(struct req *r, const char *name);

/* Paging from ?page=&page_size= (and pageSize). Pages count from 1. */
bool req_page(struct req *r, int64_t *limit, int64_t *offset, int64_t *page) MUST_CHECK;

/* Set the answer. reply is stolen. Always returns true. */
bool req_reply(struct req *r, unsigned status, json_t *reply);

/* The usual refusals. Each returns false, for `return req_not_found(r);`. */
bool req_not_found(struct req *r, const char *what);

/* Turn a store result (an enum store_rc) into the request's error: not
 * found → 404 naming `what`, conflict → 409 already_exists, failure → 503.
 * Success gives true. */
bool req_store_ok(struct req *r, int store_rc, const char *what) MUST_CHECK;

#endif
