/*
 * api_customer — the token-authenticated customer API, compatible with
 * Explo's (DESIGN.md §3). Every handler works inside the token's data
 * visibility group: customers are looked up by (team, group, provided_id),
 * so another group's customer is simply not found (rule 1).
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "customer.h"
#include "jsonv.h"
#include "limits.h"
#include "router.h"
#include "store.h"
#include "util.h"

static const char *const update_only[] = {"new_provided_id", "current_token", NULL};

static const char *const lookup_fields[] = {"provided_id", "current_token", NULL};

static bool load_group(struct req *r, struct group_view *g)
{
	return req_store_ok(r, store_group_view(r->db, r->who.team_id, r->who.group_id, g),
	                    "group");
}

static bool customer_not_found(struct req *r)
{
	return err_set(&r->err, 404, "not_found",
	               "No customer with that provided_id or token is visible to this API token.");
}

/* The body's lookup fields, when given there, must be non-empty strings. */
static bool lookup_fields_typed(struct req *r)
{
	json_t *body = NULL;
	const char *s = NULL;

	if (!r->body_len)
		return true;
	return req_body(r, &body) &&
	       jsonv_str(body, "provided_id", limits.id_max, false, &s, &r->err) &&
	       jsonv_str(body, "current_token", limits.embed_token_max, false, &s, &r->err);
}

/* Find the caller's customer by provided_id or, failing that, current_token. */
static bool find_customer(struct req *r, struct customer *c)
{
	const char *pid = req_param(r, "provided_id");
	const char *tok = pid ? NULL : req_param(r, "current_token");
	enum store_rc rc;

	if (!lookup_fields_typed(r))
		return false;
	if ((pid && !*pid) || (!pid && tok && !*tok))
		return err_set(&r->err, 400, "missing_field",
		               "The customer's \"provided_id\" must not be empty.");
	if (!pid && !tok)
		return err_set(&r->err, 400, "missing_field",
		               "Give the customer's \"provided_id\" (or \"current_token\").");
	if ((pid && strlen(pid) > limits.id_max) || (tok && strlen(tok) > limits.embed_token_max))
		return err_set(&r->err, 400, "too_long", "The customer id given is too long.");
	if (pid)
		rc = store_customer_by_provided(r->db, r->who.team_id, r->who.group_id, pid, c);
	else
		rc = store_customer_by_token(r->db, r->who.team_id, r->who.group_id, tok, c);
	if (rc == STORE_NOT_FOUND)
		return customer_not_found(r);
	return req_store_ok(r, rc, "customer");
}

/* Read c again from the store, so the answer shows what was saved. */
static bool reload(struct req *r, struct customer *c)
{
	int64_t id = c->id, team = c->team_id;

	customer_free(c);
	return req_store_ok(r, store_customer_by_id(r->db, team, id, c), "customer");
}

static bool reply_customer(struct req *r, const struct customer *c, const struct group_view *g,
                           json_t *extra)
{
	json_t *o = customer_json(r, c, g);

	if (!o) {
		json_decref(extra);
		return false;
	}
	if (!extra)
		extra = json_object();
	json_object_set_new(extra, "success", json_integer(1));
	json_object_set_new(extra, "customer", o);
	return req_reply(r, 200, extra);
}

static json_t *reply_object(struct req *r)
{
	return json_object_get(r->reply, "customer");
}

static bool body_with(struct req *r, const char *const *allowed, json_t **body)
{
	return req_body(r, body) && jsonv_only(*body, allowed, &r->err);
}

static bool customer_body(struct req *r, const char *const *more, json_t **body)
{
	return req_body(r, body) && jsonv_only_of(*body, customer_fields, more, &r->err);
}

static bool create_new(struct req *r, json_t *body, struct group_view *g, struct customer *c)
{
	return customer_create(r, body, g, c) && reload(r, c) &&
	       reply_customer(r, c, g, json_pack("{sb}", "new_customer", 1)) &&
	       audit_record_id(r, "customer.create", "customer", c->id, NULL, reply_object(r));
}

static bool create_customer(struct req *r)
{
	struct group_view g = {0};
	struct customer c;
	const char *pid = NULL;
	json_t *body = NULL;
	enum store_rc rc;
	bool ok = false;

	customer_init(&c);
	if (!customer_body(r, NULL, &body) ||
	    !jsonv_str(body, "provided_id", limits.id_max, true, &pid, &r->err) ||
	    !load_group(r, &g))
		goto out;
	rc = store_customer_by_provided(r->db, r->who.team_id, g.id, pid, &c);
	if (rc == STORE_OK && !customer_check_types(r, body))
		goto out;
	if (rc == STORE_OK)
		ok = reply_customer(r, &c, &g, json_pack("{sb}", "new_customer", 0));
	else if (rc == STORE_NOT_FOUND)
		ok = create_new(r, body, &g, &c);
	else
		ok = err_storage(&r->err);
out:
	customer_free(&c);
	group_view_free(&g);
	return ok;
}

static bool get_customer(struct req *r)
{
	struct group_view g = {0};
	struct customer c;
	json_t *body = NULL;
	bool ok;

	customer_init(&c);
	ok = (!r->body_len || body_with(r, lookup_fields, &body)) && find_customer(r, &c) &&
	     load_group(r, &g) && reply_customer(r, &c, &g, NULL);
	customer_free(&c);
	group_view_free(&g);
	return ok;
}

/* Only current_token in the body: Explo's way of asking for a new token. */
static bool is_token_refresh(json_t *body)
{
	return json_object_size(body) == 1 && json_object_get(body, "current_token");
}

static bool refresh_and_reply(struct req *r, struct customer *c, struct group_view *g)
{
	json_t *before = customer_json(r, c, g);
	bool ok = before && customer_refresh_token(r, c) && reload(r, c) &&
	          reply_customer(r, c, g, NULL) &&
	          audit_record_id(r, "customer.refresh_token", "customer", c->id, before,
	                          reply_object(r));

	json_decref(before);
	return ok;
}

static bool update_customer(struct req *r)
{
	struct group_view g = {0};
	struct customer c;
	json_t *body = NULL, *before = NULL;
	bool ok = false;

	customer_init(&c);
	if (!customer_body(r, update_only, &body) || !find_customer(r, &c) || !load_group(r, &g))
		goto out;
	if (is_token_refresh(body)) {
		ok = refresh_and_reply(r, &c, &g);
		goto out;
	}
	before = customer_json(r, &c, &g);
	ok = before && customer_update(r, body, &g, &c) && reload(r, &c) &&
	     reply_customer(r, &c, &g, NULL) &&
	     audit_record_id(r, "customer.update", "customer", c.id, before, reply_object(r));
out:
	json_decref(before);
	customer_free(&c);
	group_view_free(&g);
	return ok;
}

static bool refresh_customer_token(struct req *r)
{
	struct group_view g = {0};
	struct customer c;
	json_t *body = NULL;
	bool ok;

	customer_init(&c);
	ok = body_with(r, lookup_fields, &body) && find_customer(r, &c) && load_group(r, &g) &&
	     refresh_and_reply(r, &c, &g);
	customer_free(&c);
	group_view_free(&g);
	return ok;
}

static bool delete_customer(struct req *r)
{
	struct group_view g = {0};
	struct customer c;
	json_t *body = NULL, *before = NULL;
	int64_t deleted = 0;
	bool ok;

	customer_init(&c);
	ok = (!r->body_len || body_with(r, lookup_fields, &body)) && find_customer(r, &c) &&
	     load_group(r, &g) && (before = customer_json(r, &c, &g)) != NULL &&
	     customer_delete(r, &c, &deleted) &&
	     audit_record_id(r, "customer.delete", "customer", c.id, before, NULL);
	if (ok)
		req_reply(r, 200,
		          json_pack("{si sI}", "success", 1, "deleted", (json_int_t)deleted));
	json_decref(before);
	customer_free(&c);
	group_view_free(&g);
	return ok;
}

/* The optional filters of the v1 list, resolved to ids (0 = none). */
static bool list_filters(struct req *r, int64_t *parent, int64_t *level, bool *empty)
{
	const char *ppid = req_query(r, "parent_provided_id");
	const char *lname = req_query(r, "hierarchy_level_name");
	struct customer p;
	int64_t rank = 0;
	enum store_rc rc = STORE_OK;

	*parent = *level = 0;
	*empty = false;
	customer_init(&p);
	if (ppid) {
		rc = store_customer_by_provided(r->db, r->who.team_id, r->who.group_id, ppid, &p);
		*parent = p.id;
	}
	if (rc == STORE_OK && lname)
		rc = store_level_find(r->db, r->who.team_id, lname, level, &rank);
	customer_free(&p);
	if (rc == STORE_NOT_FOUND) {
		*empty = true;
		return true;
	}
	return req_store_ok(r, rc, "customer");
}

/* One page of the group's customers, read with their ancestors in a few
 * statements, as customer objects. */
static bool list_page(struct req *r, int64_t parent, int64_t level, struct page pg, json_t *out,
                      int64_t *total)
{
	struct group_view g = {0};
	struct customer_set set = {0};
	bool ok;

	ok = load_group(r, &g) && req_store_ok(r,
	                                       store_customer_page(r->db, r->who.team_id, g.id,
	                                                           parent, level, pg, &set, total),
	                                       "customer");
	for (size_t i = 0; ok && i < set.n_page; i++) {
		struct customer *c = customer_set_find(&set, set.page[i]);
		json_t *o = c ? customer_json_in(r, c, &g, &set) : NULL;

		if (!c) /* the page and its rows come from one transaction */
			ok = err_storage(&r->err);
		else if (!o)
			ok = false;
		else
			json_array_append_new(out, o);
	}
	customer_set_free(&set);
	group_view_free(&g);
	return ok;
}

static bool list_customers_v1(struct req *r)
{
	struct page all = {INT64_MAX, 0};
	int64_t parent, level, total = 0;
	json_t *items = json_array();
	bool empty;

	if (!list_filters(r, &parent, &level, &empty) ||
	    (!empty && !list_page(r, parent, level, all, items, &total))) {
		json_decref(items);
		return false;
	}
	return req_reply(r, 200, json_pack("{si so}", "success", 1, "customers", items));
}

static bool list_customers_v2(struct req *r)
{
	struct page pg;
	int64_t page, total = 0;
	json_t *items = json_array();

	if (!req_page(r, &pg.limit, &pg.offset, &page) || !list_page(r, 0, 0, pg, items, &total)) {
		json_decref(items);
		return false;
	}
	return req_reply(r, 200,
	                 json_pack("{si sI s{so}}", "success", 1, "total_count", (json_int_t)total,
	                           "results", "customers", items));
}

static bool list_data_sources(struct req *r)
{
	json_t *items = NULL;

	if (!req_store_ok(r, store_group_ds_list(r->db, r->who.group_id, &items), "group"))
		return false;
	return req_reply(r, 200, json_pack("{si so}", "success", 1, "data_sources", items));
}

/* Group tags, by name, team-wide (Explo's shapes). */

static json_t *tag_json(const char *name)
{
	return json_pack("{si s{ss}}", "success", 1, "group_tag", "name", name);
}

static bool list_group_tags(struct req *r)
{
	json_t *rows = NULL, *row, *out = json_array();
	size_t i;

	if (!req_store_ok(r, store_tag_list(r->db, r->who.team_id, &rows), "group tag")) {
		json_decref(out);
		return false;
	}
	json_array_foreach (rows, i, row)
		json_array_append_new(out, json_pack("{sO}", "name", json_object_get(row, "name")));
	json_decref(rows);
	return req_reply(r, 200, json_pack("{si so}", "success", 1, "group_tags", out));
}

static bool tag_name(struct req *r, const char *key, json_t *body, const char **name)
{
	return jsonv_str(body, key, limits.name_max, true, name, &r->err);
}

static bool create_group_tag(struct req *r)
{
	static const char *const fields[] = {"name", NULL};
	const char *name = NULL;
	json_t *body = NULL;
	int64_t id = 0;

	return body_with(r, fields, &body) && tag_name(r, "name", body, &name) &&
	       req_store_ok(r, store_tag_create(r->db, r->who.team_id, name, &id), "group tag") &&
	       req_reply(r, 200, tag_json(name)) &&
	       audit_record_id(r, "group_tag.create", "group_tag", id, NULL,
	                       json_object_get(r->reply, "group_tag"));
}

static bool find_tag(struct req *r, const char *name, int64_t *id)
{
	enum store_rc rc = store_tag_find(r->db, r->who.team_id, name, id);

	if (rc == STORE_NOT_FOUND)
		return err_set(&r->err, 404, "not_found", "No group tag is named \"%.*s\".",
		               (int)util_utf8_prefix(name, 128), name);
	return req_store_ok(r, rc, "group tag");
}

/* A tag's change for the audit log: its name before and after (or gone). */
static bool audit_tag(struct req *r, const char *action, int64_t id, const char *was,
                      const char *now)
{
	json_t *before = json_pack("{ss}", "name", was);
	json_t *after = now ? json_pack("{ss}", "name", now) : NULL;
	bool ok = audit_record_id(r, action, "group_tag", id, before, after);

	json_decref(before);
	json_decref(after);
	return ok;
}

static bool rename_group_tag(struct req *r)
{
	static const char *const fields[] = {"name", "new_name", NULL};
	const char *name = NULL, *new_name = NULL;
	json_t *body = NULL;
	int64_t id = 0;

	return body_with(r, fields, &body) && tag_name(r, "name", body, &name) &&
	       tag_name(r, "new_name", body, &new_name) && find_tag(r, name, &id) &&
	       req_store_ok(r, store_tag_rename(r->db, r->who.team_id, id, new_name),
	                    "group tag") &&
	       req_reply(r, 200, tag_json(new_name)) &&
	       audit_tag(r, "group_tag.rename", id, name, new_name);
}

static bool delete_group_tag(struct req *r)
{
	static const char *const fields[] = {"name", NULL};
	const char *name = NULL;
	json_t *body = NULL;
	int64_t id = 0;

	return body_with(r, fields, &body) && tag_name(r, "name", body, &name) &&
	       find_tag(r, name, &id) &&
	       req_store_ok(r, store_tag_delete(r->db, r->who.team_id, id), "group tag") &&
	       req_reply(r, 200, json_pack("{si}", "success", 1)) &&
	       audit_tag(r, "group_tag.delete", id, name, NULL);
}

#define TOKEN_READ(m, p, f)                                                                        \
	{                                                                                          \
		m, p, AUTH_TOKEN, false, NEED_READ, f                                              \
	}
#define TOKEN_WRITE(m, p, f)                                                                       \
	{                                                                                          \
		m, p, AUTH_TOKEN, true, NEED_READ, f                                               \
	}

const struct route api_customer_routes[] = {
    TOKEN_WRITE("POST", "/api/create_customer", create_customer),
    TOKEN_READ("GET POST", "/api/get_customer", get_customer),
    TOKEN_WRITE("POST", "/api/update_customer", update_customer),
    TOKEN_WRITE("POST", "/api/refresh_customer_token", refresh_customer_token),
    TOKEN_WRITE("POST DELETE", "/api/delete_customer", delete_customer),
    TOKEN_READ("GET", "/api/customers", list_customers_v1),
    TOKEN_READ("GET", "/v2/api/customers", list_customers_v2),
    TOKEN_READ("GET", "/api/data_sources", list_data_sources),
    TOKEN_READ("GET", "/api/group_tags", list_group_tags),
    TOKEN_WRITE("POST", "/api/create_group_tag", create_group_tag),
    TOKEN_WRITE("POST", "/api/rename_group_tag", rename_group_tag),
    TOKEN_WRITE("POST", "/api/delete_group_tag", delete_group_tag),
    {NULL, NULL, AUTH_NONE, false, NEED_READ, NULL},
};
