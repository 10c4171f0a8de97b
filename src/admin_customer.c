/*
 * admin_customer — customers in the admin API. Unlike a token, an admin
 * sees every group of the team, so each customer names its group_id, and
 * moving it to another group follows rule 6 (customer_move).
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "audit.h"
#include "customer.h"
#include "jsonv.h"
#include "limits.h"
#include "router.h"
#include "util.h"

static const char *const create_only[] = {"group_id", NULL};
static const char *const patch_only[] = {"group_id", "new_provided_id", "drop_mappings", NULL};

static bool load_view(struct req *r, int64_t id, struct group_view *g)
{
	return req_store_ok(r, store_group_view(r->db, r->who.team_id, id, g), "group");
}

static bool load_customer(struct req *r, int64_t id, struct customer *c)
{
	customer_free(c);
	return req_store_ok(r, store_customer_by_id(r->db, r->who.team_id, id, c), "customer");
}

static bool reply_customer(struct req *r, int64_t id, unsigned status)
{
	struct group_view g = {0};
	struct customer c;
	json_t *o = NULL;
	bool ok;

	customer_init(&c);
	ok = load_customer(r, id, &c) && load_view(r, c.group_id, &g) &&
	     (o = customer_admin_json(r, &c, &g)) != NULL && req_reply(r, status, o);
	customer_free(&c);
	group_view_free(&g);
	return ok;
}

/* The views of the groups a page touches, loaded once each. */
struct views {
	struct group_view v[16];
	size_t n;
};

static const struct group_view *view_of(struct req *r, struct views *vs, int64_t group,
                                        struct group_view *spare)
{
	for (size_t i = 0; i < vs->n; i++) {
		if (vs->v[i].id == group)
			return &vs->v[i];
	}
	/* Past the cache's size a view is loaded for one customer only. */
	group_view_free(spare);
	if (!req_store_ok(
	        r,
	        store_group_view(r->db, r->who.team_id, group, vs->n < 16 ? &vs->v[vs->n] : spare),
	        "group"))
		return NULL;
	return vs->n < 16 ? &vs->v[vs->n++] : spare;
}

/* A page of the team's customers (or one group's), read with their
 * ancestors in a few statements. */
static bool customer_list(struct req *r)
{
	const char *gq = req_query(r, "group_id");
	struct customer_set set = {0};
	struct views vs = {0};
	struct group_view spare = {0};
	int64_t group = 0, total = 0;
	json_t *items = json_array();
	struct page pg;
	bool ok;

	if (gq && !util_parse_i64(gq, 1, INT64_MAX, &group)) {
		json_decref(items);
		return err_set(&r->err, 400, "wrong_type", "\"group_id\" must be a positive id.");
	}
	ok = admin_page(r, &pg) &&
	     req_store_ok(r,
	                  store_customer_page(r->db, r->who.team_id, group, 0, 0, pg, &set, &total),
	                  "customer");
	for (size_t i = 0; ok && i < set.n_page; i++) {
		struct customer *c = customer_set_find(&set, set.page[i]);
		const struct group_view *g = NULL;
		json_t *o = NULL;

		if (!c) /* the page and its rows come from one transaction */
			ok = err_storage(&r->err);
		else if (!(g = view_of(r, &vs, c->group_id, &spare)) ||
		         !(o = customer_admin_json_in(r, c, g, &set)))
			ok = false;
		else
			json_array_append_new(items, o);
	}
	customer_set_free(&set);
	for (size_t i = 0; i < vs.n; i++)
		group_view_free(&vs.v[i]);
	group_view_free(&spare);
	if (!ok) {
		json_decref(items);
		return false;
	}
	return admin_list(r, items, total);
}

static bool customer_create_admin(struct req *r)
{
	struct group_view g = {0};
	struct customer c;
	json_t *body = NULL;
	int64_t group = 0;
	bool ok;

	customer_init(&c);
	ok = req_body(r, &body) && jsonv_only_of(body, customer_fields, create_only, &r->err) &&
	     jsonv_id(body, "group_id", true, &group, NULL, &r->err) && load_view(r, group, &g);
	if (ok) {
		json_t *copy = json_deep_copy(body);

		json_object_del(copy, "group_id");
		ok = customer_create(r, copy, &g, &c);
		json_decref(copy);
	}
	ok = ok && reply_customer(r, c.id, 201) &&
	     audit_record_id(r, "customer.create", "customer", c.id, NULL, r->reply);
	customer_free(&c);
	group_view_free(&g);
	return ok;
}

static bool customer_get_admin(struct req *r)
{
	return reply_customer(r, r->path_ids[0], 200);
}

/* Move first (rule 6), then apply the other fields against the target. */
static bool patch_customer(struct req *r, json_t *body, struct customer *c)
{
	struct group_view g = {0};
	bool drop_present = false, drop = false, moving;
	int64_t group = c->group_id;
	json_t *rest = NULL;
	bool ok;

	ok = jsonv_id(body, "group_id", false, &group, NULL, &r->err) &&
	     jsonv_bool(body, "drop_mappings", &drop_present, &drop, &r->err) &&
	     load_view(r, group, &g);
	moving = ok && group != c->group_id;
	ok = ok && (!moving || customer_move(r, c, &g, drop));
	if (ok) {
		rest = json_deep_copy(body);
		json_object_del(rest, "group_id");
		json_object_del(rest, "drop_mappings");
		ok = customer_update(r, rest, &g, c);
	}
	json_decref(rest);
	group_view_free(&g);
	return ok;
}

static bool customer_patch_admin(struct req *r)
{
	int64_t id = r->path_ids[0];
	struct customer c;
	json_t *body = NULL, *before = NULL;
	bool ok;

	customer_init(&c);
	ok = req_body(r, &body) && jsonv_only_of(body, customer_fields, patch_only, &r->err) &&
	     reply_customer(r, id, 200);
	if (ok)
		before = json_incref(r->reply);
	ok = ok && load_customer(r, id, &c) && patch_customer(r, body, &c) &&
	     reply_customer(r, id, 200) &&
	     audit_record_id(r, "customer.update", "customer", id, before, r->reply);
	json_decref(before);
	customer_free(&c);
	return ok;
}

static bool customer_delete_admin(struct req *r)
{
	int64_t id = r->path_ids[0], deleted = 0;
	struct customer c;
	json_t *before = NULL;
	bool ok;

	customer_init(&c);
	ok = reply_customer(r, id, 200);
	if (ok)
		before = json_incref(r->reply);
	ok = ok && load_customer(r, id, &c) && customer_delete(r, &c, &deleted) &&
	     audit_record_id(r, "customer.delete", "customer", id, before, NULL) &&
	     req_reply(r, 200, json_pack("{si sI}", "success", 1, "deleted", (json_int_t)deleted));
	json_decref(before);
	customer_free(&c);
	return ok;
}

#define ADMIN(m, p, w, need, f)                                                                    \
	{                                                                                          \
		m, p, AUTH_ADMIN, w, need, f                                                       \
	}

const struct route admin_customer_routes[] = {
    ADMIN("GET", "/admin/api/customers", false, NEED_READ, customer_list),
    ADMIN("POST", "/admin/api/customers", true, NEED_EDIT, customer_create_admin),
    ADMIN("GET", "/admin/api/customers/{}", false, NEED_READ, customer_get_admin),
    ADMIN("PATCH", "/admin/api/customers/{}", true, NEED_EDIT, customer_patch_admin),
    ADMIN("DELETE", "/admin/api/customers/{}", true, NEED_DELETE, customer_delete_admin),
    {NULL, NULL, AUTH_NONE, false, NEED_READ, NULL},
};
