/*
 * router — route matching and the steps every request shares.
 */
#include "router.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "limits.h"
#include "log.h"
#include "mem.h"
#include "ratelimit.h"
#include "store.h"
#include "util.h"

#define TOUCH_INTERVAL_S 60
#define LIMITER_KEYS     65536
#define OPENED_MAX       512

static const char *db_url;
static struct ratelimit *token_limiter;   /* requests per API token */
static struct ratelimit *failure_limiter; /* failed authentications per address */
static __thread struct db *thread_db;

static const struct route *const tables[] = {api_customer_routes,   api_embed_routes,
                                             admin_schema_routes,   admin_group_routes,
                                             admin_customer_routes, admin_org_routes};

void router_init(const char *url)
{
	db_url = url;
	if (limits.token_rate > 0)
		token_limiter = ratelimit_new(limits.token_rate, limits.token_burst, LIMITER_KEYS);
	if (limits.auth_failures > 0)
		failure_limiter = ratelimit_new(limits.auth_failures / 60.0,
		                                limits.auth_failures * 2, LIMITER_KEYS);
}

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool too_many(struct req *r, const char *code, double retry, const char *why)
{
	r->retry_after = (unsigned)(retry + 0.999);
	if (r->retry_after == 0)
		r->retry_after = 1;
	return err_set(&r->err, 429, code, "%s Retry in %u s.", why, r->retry_after);
}

/* Authenticate, counting failures per client address and refusing an
 * address that has failed too often before it may try again. */
static bool authenticate(struct req *r, enum auth_mode mode)
{
	double now = monotonic_now(), retry = 0;
	bool ok;

	if (failure_limiter && !ratelimit_take(failure_limiter, r->client, now, &retry))
		return too_many(r, "too_many_failures", retry,
		                "Too many failed sign-ins from this address.");
	ok = mode == AUTH_TOKEN ? auth_token(r) : auth_admin(r);
	/* Only failures count: an attempt that was not refused as 401 gives
	 * its token back. */
	if (failure_limiter && (ok || r->err.status != 401))
		ratelimit_give(failure_limiter, r->client, now);
	return ok;
}

/* The token bucket of one API token. */
static bool within_rate(struct req *r)
{
	char key[32];
	double retry = 0;

	if (!token_limiter)
		return true;
	snprintf(key, sizeof(key), "token:%lld", (long long)r->who.id);
	if (ratelimit_take(token_limiter, key, monotonic_now(), &retry))
		return true;
	return too_many(r, "rate_limited", retry, "This API token is sending too many requests.");
}

/* Every thread's connection, so that shutdown can close them all. */
static struct db *opened[OPENED_MAX];
static size_t n_opened;
static pthread_mutex_t opened_lock = PTHREAD_MUTEX_INITIALIZER;

void router_shutdown(void)
{
	pthread_mutex_lock(&opened_lock);
	for (size_t i = 0; i < n_opened; i++)
		db_close(opened[i]);
	n_opened = 0;
	pthread_mutex_unlock(&opened_lock);
	ratelimit_free(token_limiter);
	ratelimit_free(failure_limiter);
	token_limiter = failure_limiter = NULL;
}

static bool connect_db(struct req *r)
{
	char msg[256];
	bool kept;

	if (!thread_db) {
		if (db_open(db_url, &thread_db, msg, sizeof(msg)) != DB_OK) {
			log_error("database: %s", msg);
			thread_db = NULL;
			return err_storage(&r->err);
		}
		pthread_mutex_lock(&opened_lock);
		kept = n_opened < OPENED_MAX;
		if (kept)
			opened[n_opened++] = thread_db;
		pthread_mutex_unlock(&opened_lock);
		if (!kept)
			log_warn("more server threads than connections tracked for shutdown");
	}
	r->db = thread_db;
	return true;
}

struct captures {
	int64_t ids[REQ_PATH_IDS];
	int nids;
	char key[REQ_PATH_KEY];
};

/* Does one path segment (up to '/' or the end) match the pattern's?
 * "{}" takes a positive integer id, "{key}" one segment of text. */
static bool match_segment(const char **pat, const char **path, struct captures *cap)
{
	const char *p = *pat;
	const char *s = *path;
	size_t plen = strcspn(p, "/");
	size_t slen = strcspn(s, "/");
	char num[24];

	if (plen == 2 && memcmp(p, "{}", 2) == 0) {
		if (slen == 0 || slen >= sizeof(num) || cap->nids >= REQ_PATH_IDS)
			return false;
		memcpy(num, s, slen);
		num[slen] = '\0';
		if (!util_parse_i64(num, 1, INT64_MAX, &cap->ids[cap->nids]))
			return false;
		cap->nids++;
	} else if (plen == 5 && memcmp(p, "{key}", 5) == 0) {
		if (slen == 0 || slen >= sizeof(cap->key))
			return false;
		memcpy(cap->key, s, slen);
		cap->key[slen] = '\0';
	} else if (plen != slen || memcmp(p, s, slen) != 0) {
		return false;
	}
	*pat = p + plen;
	*path = s + slen;
	return true;
}

/* Match a whole path; a trailing slash on either side is ignored. */
static bool match_path(const char *pat, const char *path, struct captures *cap)
{
	while (*pat == '/' && *path == '/') {
		pat++;
		path++;
		if (*pat == '\0' && *path == '\0')
			return true;
		if (!match_segment(&pat, &path, cap))
			return false;
	}
	if (*path == '/' && path[1] == '\0')
		path++;
	return *pat == '\0' && *path == '\0';
}

static bool method_listed(const char *methods, const char *method)
{
	size_t n = strlen(method);

	for (const char *p = methods; (p = strstr(p, method)) != NULL; p += n) {
		if ((p == methods || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	}
	return false;
}

static const struct route *find_route(struct req *r, bool *path_known)
{
	*path_known = false;
	for (size_t t = 0; t < ARRAY_LEN(tables); t++) {
		for (const struct route *rt = tables[t]; rt->pattern; rt++) {
			struct captures cap = {0};

			if (!match_path(rt->pattern, r->path, &cap))
				continue;
			*path_known = true;
			if (!method_listed(rt->methods, r->method))
				continue;
			memcpy(r->path_ids, cap.ids, sizeof(cap.ids));
			memcpy(r->path_key, cap.key, sizeof(cap.key));
			return rt;
		}
	}
	return NULL;
}

static bool authorize(struct req *r, const struct route *rt)
{
	if (rt->auth == AUTH_NONE)
		return true;
	if (!authenticate(r, rt->auth))
		return false;
	if (rt->auth == AUTH_TOKEN) {
		if (!within_rate(r))
			return false;
		if (rt->writes && !r->who.read_write)
			return err_set(&r->err, 403, "read_only_token",
			               "This API token is read-only; use a read_write token to "
			               "make changes.");
		return true;
	}
	if (!domain_role_allows(r->who.role, rt->need))
		return err_set(&r->err, 403, "forbidden",
		               "Your role does not allow this; ask an admin of your team.");
	return true;
}

/* Run the handler inside the request's transaction. */
/* Keep a token's last use current to the minute: at most one write a
 * minute per token. A writing request records it in its own transaction;
 * a reading one only when no other thread is writing, so that a read never
 * waits for the writer lock (a missed minute is recorded next time). */
static bool use_is_stale(const struct req *r)
{
	return r->who.kind == ACTOR_TOKEN && util_now() - r->who.last_used_at >= TOUCH_INTERVAL_S;
}

static bool record_use(struct req *r)
{
	if (store_token_touch(r->db, r->who.id, util_now()) == STORE_OK)
		return true;
	log_warn("could not record the use of token %lld", (long long)r->who.id);
	return false;
}

static void record_use_if_free(struct req *r)
{
	if (!use_is_stale(r) || db_begin_if_free(r->db) != DB_OK)
		return;
	if (!record_use(r) || db_commit(r->db) != DB_OK)
		db_rollback(r->db);
}

/* Open the request's transaction and settle who is asking: a writing
 * route authenticates first, so that a refused caller never queues for the
 * writer lock; a reading one inside its read transaction, which then
 * serves both. */
static bool open_and_authorize(struct req *r, const struct route *rt)
{
	if (rt->writes && !authorize(r, rt))
		return false;
	if (db_begin(r->db, rt->writes) != DB_OK)
		return err_storage(&r->err);
	if (!rt->writes && !authorize(r, rt)) {
		db_rollback(r->db);
		return false;
	}
	return true;
}

static bool run(struct req *r, const struct route *rt)
{
	bool recorded = false;

	/* A route without a caller (the health check) needs no database. */
	if (rt->auth == AUTH_NONE)
		return rt->fn(r);
	if (!connect_db(r) || !open_and_authorize(r, rt))
		return false;
	if (rt->writes && use_is_stale(r))
		recorded = record_use(r);
	if (!rt->fn(r)) {
		db_rollback(r->db);
		return false;
	}
	if (db_commit(r->db) != DB_OK)
		return err_storage(&r->err);
	if (!recorded)
		record_use_if_free(r);
	return true;
}

void router_dispatch(struct req *r)
{
	bool path_known;
	const struct route *rt = find_route(r, &path_known);

	if (!rt) {
		if (path_known)
			err_set(&r->err, 405, "method_not_allowed", "%s is not allowed on %s.",
			        r->method, r->path);
		else
			err_set(&r->err, 404, "no_such_route", "There is no API route %s.",
			        r->path);
		return;
	}
	if (!run(r, rt)) {
		json_decref(r->reply);
		r->reply = NULL;
		if (!r->err.status)
			err_set(&r->err, 500, "internal_error",
			        "The server could not build its answer; nothing was changed.");
	}
}
