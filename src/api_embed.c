/*
 * api_embed — embed tokens in the customer API: generate_jwt makes one
 * for a customer of the token's group, verify_jwt (for the dashboard
 * renderer) checks one and answers whose it is. Both work only with the
 * signing keys of the calling token's group.
 */
#include <string.h>

#include "customer.h"
#include "duration.h"
#include "embed.h"
#include "jsonv.h"
#include "limits.h"
#include "router.h"
#include "store.h"
#include "util.h"

#define EXPIRATION_DEFAULT (24 * 3600)
#define EXPIRATION_MAX     (30 * 24 * 3600)
#define CLOCK_SKEW         60

static bool expiration(struct req *r, json_t *body, int64_t *seconds)
{
	json_t *v = json_object_get(body, "expiration");

	*seconds = EXPIRATION_DEFAULT;
	if (!v)
		return true;
	if (!json_is_string(v))
		return err_set(&r->err, 400, "invalid_expiration",
		               "\"expiration\" must be an ISO 8601 duration such as \"PT1H\".");
	return duration_parse(json_string_value(v), EXPIRATION_MAX, seconds, &r->err);
}

/* The customer of the token's group with that provided_id: its id. */
static bool customer_id(struct req *r, const char *pid, int64_t *id)
{
	struct customer c;
	enum store_rc rc;

	customer_init(&c);
	rc = store_customer_by_provided(r->db, r->who.team_id, r->who.group_id, pid, &c);
	*id = c.id;
	customer_free(&c);
	if (rc == STORE_NOT_FOUND)
		return err_set(&r->err, 404, "not_found",
		               "No customer with that provided_id or token is visible to this API "
		               "token.");
	return req_store_ok(r, rc, "customer");
}

/* The optional parts of an embed's claims, under Explo's claim names where
 * Explo documents one: the origin (iss), read-only report builder features
 * (rbc), no editing of editable sections (des); and a single chart (cht). */
static bool optional_claims(struct req *r, json_t *body, json_t *claims)
{
	const char *origin = NULL, *chart = NULL;
	json_t *features = NULL;
	bool present = false, no_edit = false;

	if (!jsonv_str(body, "embed_origin", limits.name_max, false, &origin, &r->err) ||
	    !jsonv_str(body, "chart_id", limits.id_max, false, &chart, &r->err) ||
	    !jsonv_str_array(body, "rb_allowed_features", limits.id_max, &features, &r->err) ||
	    !jsonv_bool(body, "disable_editable_section_editing", &present, &no_edit, &r->err))
		return false;
	if (origin)
		json_object_set_new(claims, "iss", json_string(origin));
	if (chart)
		json_object_set_new(claims, "cht", json_string(chart));
	if (features)
		json_object_set(claims, "rbc", features);
	if (present)
		json_object_set_new(claims, "des", json_boolean(no_edit));
	return true;
}

static bool generate_jwt(struct req *r)
{
	static const char *const fields[] = {"provided_id",
	                                     "embed_id",
	                                     "key_id",
	                                     "expiration",
	                                     "embed_origin",
	                                     "chart_id",
	                                     "rb_allowed_features",
	                                     "disable_editable_section_editing",
	                                     NULL};
	const char *pid = NULL, *embed = NULL, *key_id = NULL;
	int64_t life = 0, now = util_now(), cid = 0;
	json_t *body = NULL, *claims;
	char *jwt = NULL;
	bool ok;

	if (!req_body(r, &body) || !jsonv_only(body, fields, &r->err) ||
	    !jsonv_str(body, "provided_id", limits.id_max, true, &pid, &r->err) ||
	    !jsonv_str(body, "embed_id", limits.id_max, true, &embed, &r->err) ||
	    !jsonv_str(body, "key_id", 64, false, &key_id, &r->err) ||
	    !expiration(r, body, &life) || !customer_id(r, pid, &cid))
		return false;
	/* cid pins the token to this customer: a customer deleted and created
	 * again, or another renamed to the same provided_id, is not it. */
	claims = json_pack("{ss sI ss sI sI}", "cst", pid, "cid", (json_int_t)cid, "dsh", embed,
	                   "iat", (json_int_t)now, "exp", (json_int_t)(now + life));
	ok = optional_claims(r, body, claims) &&
	     embed_sign(r, r->who.group_id, key_id, claims, &jwt) &&
	     req_reply(r, 200, json_pack("{si ss}", "success", 1, "jwt", jwt));
	json_decref(claims);
	free(jwt);
	return ok;
}

static bool invalid_token(struct req *r)
{
	return err_set(&r->err, 401, "invalid_embed_token",
	               "The embed token is expired, revoked, forged or not for this group.");
}

/* The claims must name a customer and embed, and be within their time. */
static bool claims_ok(json_t *claims, int64_t now)
{
	json_t *exp = json_object_get(claims, "exp"), *iat = json_object_get(claims, "iat");

	return json_is_string(json_object_get(claims, "cst")) &&
	       json_is_integer(json_object_get(claims, "cid")) &&
	       json_is_string(json_object_get(claims, "dsh")) && json_is_integer(exp) &&
	       json_is_integer(iat) && json_integer_value(exp) > now &&
	       json_integer_value(iat) <= now + CLOCK_SKEW;
}

static bool answer(struct req *r, json_t *claims)
{
	struct group_view g = {0};
	struct customer c;
	char when[24];
	json_t *o = NULL;
	enum store_rc rc;
	bool ok;

	customer_init(&c);
	rc = store_customer_by_id(r->db, r->who.team_id,
	                          json_integer_value(json_object_get(claims, "cid")), &c);
	if (rc == STORE_OK &&
	    (c.group_id != r->who.group_id ||
	     strcmp(c.provided_id, json_string_value(json_object_get(claims, "cst"))) != 0))
		rc = STORE_NOT_FOUND;
	ok = rc == STORE_NOT_FOUND ? invalid_token(r) : req_store_ok(r, rc, "customer");
	ok = ok &&
	     req_store_ok(r, store_group_view(r->db, r->who.team_id, c.group_id, &g), "group") &&
	     (o = customer_json(r, &c, &g)) != NULL;
	if (ok) {
		util_time_format(json_integer_value(json_object_get(claims, "exp")), when);
		req_reply(r, 200,
		          json_pack("{si so sO ss}", "success", 1, "customer", o, "embed_id",
		                    json_object_get(claims, "dsh"), "expires_at", when));
	}
	customer_free(&c);
	group_view_free(&g);
	return ok;
}

static bool verify_jwt(struct req *r)
{
	static const char *const fields[] = {"jwt", NULL};
	const char *jwt = NULL;
	json_t *body = NULL, *claims = NULL;
	bool ok;

	if (!req_body(r, &body) || !jsonv_only(body, fields, &r->err) ||
	    !jsonv_str(body, "jwt", limits.embed_token_max, true, &jwt, &r->err) ||
	    !embed_open(r, r->who.group_id, jwt, &claims))
		return false;
	ok = claims_ok(claims, util_now()) ? answer(r, claims) : invalid_token(r);
	json_decref(claims);
	return ok;
}

const struct route api_embed_routes[] = {
    {"POST", "/api/generate_jwt", AUTH_TOKEN, false, NEED_READ, generate_jwt},
    {"POST", "/api/verify_jwt", AUTH_TOKEN, false, NEED_READ, verify_jwt},
    {NULL, NULL, AUTH_NONE, false, NEED_READ, NULL},
};
