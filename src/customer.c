/*
 * customer — reading and writing customers under the visibility rules.
 */
#include "customer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "limits.h"
#include "mem.h"
#include "token.h"
#include "util.h"

#define ANCESTORS_MAX 64

const char *const customer_fields[] = {"name",
                                       "provided_id",
                                       "mapping",
                                       "is_demo_group",
                                       "properties",
                                       "emails",
                                       "group_tags",
                                       "parent_provided_id",
                                       "hierarchy_level_name",
                                       NULL};

static json_t *mapping_json(const struct mapping *m)
{
	json_t *o = json_object();
	char k[24], v[24];

	for (size_t i = 0; i < m->n; i++) {
		snprintf(k, sizeof(k), "%" PRId64, m->v[i].schema_id);
		snprintf(v, sizeof(v), "%" PRId64, m->v[i].ds_id);
		json_object_set_new(o, k, json_string(v));
	}
	return o;
}

/* The computed mapping and properties of c, walking up its ancestors. */
static bool computed(struct req *r, const struct customer *c, const struct group_view *g,
                     const struct customer_set *set, struct mapping *map, json_t *props, int depth)
{
	const struct customer *known = set ? customer_set_find(set, c->parent_id) : NULL;
	struct mapping parent_map;
	struct customer parent;
	bool ok = true;

	mapping_init(&parent_map);
	customer_init(&parent);
	if (c->parent_id && depth < ANCESTORS_MAX) {
		ok =
		    (known ||
		     req_store_ok(r, store_customer_by_id(r->db, c->team_id, c->parent_id, &parent),
		                  "customer")) &&
		    computed(r, known ? known : &parent, g, set, &parent_map, props, depth + 1);
	}
	if (ok) {
		domain_compute_mapping(g, &c->own, c->parent_id ? &parent_map : NULL, map);
		json_object_update(props, c->properties);
	}
	customer_free(&parent);
	mapping_free(&parent_map);
	return ok;
}

json_t *customer_json(struct req *r, const struct customer *c, const struct group_view *g)
{
	return customer_json_in(r, c, g, NULL);
}

json_t *customer_json_in(struct req *r, const struct customer *c, const struct group_view *g,
                         const struct customer_set *set)
{
	struct mapping map;
	json_t *props = json_object();
	json_t *o = NULL;

	mapping_init(&map);
	if (computed(r, c, g, set, &map, props, 0)) {
		o = json_pack("{ss ss ss sb sO sO sO sO ss so so ss}", "token", c->token, "name",
		              c->name, "provided_id", c->provided_id, "is_demo_group", c->is_demo,
		              "emails", c->emails, "group_tags", c->tags, "properties",
		              c->properties, "computed_properties", props, "access_group",
		              c->group_name, "parent_schema_datasource_mapping",
		              mapping_json(&c->own), "computed_parent_schema_datasource_mapping",
		              mapping_json(&map), "hierarchy_level", c->level_name);
	}
	json_decref(props);
	mapping_free(&map);
	return o;
}

json_t *customer_admin_json(struct req *r, const struct customer *c, const struct group_view *g)
{
	return customer_admin_json_in(r, c, g, NULL);
}

json_t *customer_admin_json_in(struct req *r, const struct customer *c, const struct group_view *g,
                               const struct customer_set *set)
{
	json_t *o = customer_json_in(r, c, g, set);

	if (o) {
		json_object_set_new(o, "id", json_integer(c->id));
		json_object_set_new(o, "group_id", json_integer(c->group_id));
	}
	return o;
}

/* Parse {"<schema id>": "<data source id>", …}; null gives an empty one. */
static bool parse_mapping(struct req *r, json_t *v, struct mapping *out)
{
	const char *key;
	json_t *val;

	if (!v || json_is_null(v))
		return true;
	if (!json_is_object(v))
		return err_set(&r->err, 400, "wrong_type",
		               "\"mapping\" must be an object of schema id to data source id.");
	if (json_object_size(v) > limits.array_max)
		return err_set(&r->err, 400, "too_many_items",
		               "\"mapping\" has more than %zu entries.", limits.array_max);
	json_object_foreach (v, key, val) {
		json_t *k = json_string(key);
		int64_t schema = 0, ds = 0;
		bool ok = jsonv_value_id(k, &schema) && jsonv_value_id(val, &ds);

		json_decref(k);
		if (!ok)
			return err_set(&r->err, 400, "wrong_type",
			               "\"mapping\" entries must map a schema id to a data source "
			               "id, both as strings of digits.");
		mapping_put(out, schema, ds);
	}
	return true;
}

/* Rule 3: the mapping may name only members of g of the named schema. */
static bool check_mapping(struct req *r, const struct group_view *g, const struct mapping *m)
{
	int64_t bad = 0;

	if (domain_mapping_allowed(g, m, &bad))
		return true;
	r->err.detail_json = xasprintf("{\"schema_id\": \"%" PRId64 "\"}", bad);
	return err_set(&r->err, 400, "mapping_outside_group",
	               "The mapping for schema %" PRId64 " names a data source that is not in this "
	               "customer's data visibility group or not of that schema.",
	               bad);
}

static bool check_tags(struct req *r, int64_t team, json_t *tags)
{
	size_t i;
	json_t *tag;
	int64_t id;

	json_array_foreach (tags, i, tag) {
		enum store_rc rc = store_tag_find(r->db, team, json_string_value(tag), &id);

		if (rc == STORE_NOT_FOUND)
			return err_set(&r->err, 400, "unknown_tag",
			               "The group tag \"%.*s\" does not exist; create it first.",
			               (int)util_utf8_prefix(json_string_value(tag), 128),
			               json_string_value(tag));
		if (rc != STORE_OK)
			return err_storage(&r->err);
	}
	return true;
}

static bool invalid_parent(struct req *r, const char *why)
{
	return err_set(&r->err, 400, "invalid_parent", "%s", why);
}

/* A customer's parent may not be the customer or one of its descendants
 * (which level ranks alone do not rule out once levels are re-ranked). */
static bool parent_outside_subtree(struct req *r, int64_t id, int64_t parent)
{
	bool inside = false;

	if (store_customer_in_subtree(r->db, id, parent, &inside) != STORE_OK)
		return err_storage(&r->err);
	if (inside)
		return invalid_parent(r, "A customer's parent cannot be the customer itself or one "
		                         "of its descendants.");
	return true;
}

/* The parent the body names (null detaches; absent keeps the current
 * one), checked to be another customer of the group outside c's own
 * subtree. *parent_rank gets its level's rank. */
static bool resolve_parent(struct req *r, json_t *pv, const char *pid, struct customer *c,
                           int64_t *parent_rank)
{
	struct customer parent;
	enum store_rc rc;
	bool ok = true;

	*parent_rank = 0;
	if (pv && json_is_null(pv))
		c->parent_id = 0;
	if ((pv && json_is_null(pv)) || (!pv && !c->parent_id))
		return true;
	customer_init(&parent);
	if (pv)
		rc = store_customer_by_provided(r->db, c->team_id, c->group_id, pid, &parent);
	else
		rc = store_customer_by_id(r->db, c->team_id, c->parent_id, &parent);
	if (rc == STORE_NOT_FOUND || (rc == STORE_OK && parent.id == c->id))
		ok = invalid_parent(r, "No other customer of this data visibility group has that "
		                       "parent_provided_id.");
	else if (rc != STORE_OK)
		ok = err_storage(&r->err);
	else if (pv && c->id)
		ok = parent_outside_subtree(r, c->id, parent.id);
	c->parent_id = parent.id;
	*parent_rank = parent.level_rank;
	customer_free(&parent);
	return ok;
}

/* The level the body names, or for a new customer the root level (or the
 * one just below its parent's). */
static bool resolve_level(struct req *r, const char *level_name, bool creating, struct customer *c,
                          int64_t parent_rank, int64_t *id, int64_t *rank)
{
	enum store_rc rc = STORE_OK;

	if (level_name)
		rc = store_level_find(r->db, c->team_id, level_name, id, rank);
	else if (creating && c->parent_id)
		rc = store_level_below(r->db, c->team_id, parent_rank, id, rank);
	else if (creating)
		rc = store_level_root(r->db, c->team_id, id, rank);
	if (rc == STORE_NOT_FOUND && level_name)
		return err_set(&r->err, 400, "unknown_level",
		               "The hierarchy level \"%.*s\" does not exist.",
		               (int)util_utf8_prefix(level_name, 128), level_name);
	if (rc == STORE_NOT_FOUND && c->parent_id)
		return invalid_parent(r, "The parent is at the lowest hierarchy level; it cannot "
		                         "have children.");
	if (rc == STORE_NOT_FOUND)
		return err_set(&r->err, 400, "unknown_level",
		               "The team has no hierarchy level; create one first.");
	return rc == STORE_OK || err_storage(&r->err);
}

/* Resolve the level and parent of c from the body (a parent sits at a
 * strictly higher level, in the same group). */
static bool place(struct req *r, json_t *body, struct customer *c, bool creating)
{
	json_t *pv = json_object_get(body, "parent_provided_id");
	const char *level_name = NULL, *parent_pid = NULL;
	int64_t parent_rank = 0, rank = c->level_rank, id = c->level_id;

	if (!jsonv_str(body, "hierarchy_level_name", limits.name_max, false, &level_name,
	               &r->err) ||
	    !jsonv_str(body, "parent_provided_id", limits.id_max, false, &parent_pid, &r->err) ||
	    !resolve_parent(r, pv, parent_pid, c, &parent_rank) ||
	    !resolve_level(r, level_name, creating, c, parent_rank, &id, &rank))
		return false;
	if (c->parent_id && !domain_parent_allowed(parent_rank, rank))
		return invalid_parent(r, "A parent must sit at a strictly higher hierarchy level "
		                         "than its child.");
	c->level_id = id;
	c->level_rank = rank;
	return true;
}

/* Children must stay strictly below their parent's level. */
static bool children_still_below(struct req *r, const struct customer *c)
{
	int64_t n = 0;

	if (!c->id)
		return true;
	if (store_customer_children_not_below(r->db, c->id, c->level_rank, &n) != STORE_OK)
		return err_storage(&r->err);
	if (n > 0)
		return invalid_parent(r, "This customer has children at or above the new level; "
		                         "move them first.");
	return true;
}

/* Read the plain fields of a create or update body into c. */
static bool read_fields(struct req *r, json_t *body, struct customer *c)
{
	const char *name = NULL;
	json_t *props = NULL, *emails = NULL, *tags = NULL;
	bool present = false, demo = false;

	if (!jsonv_str(body, "name", limits.name_max, false, &name, &r->err) ||
	    !jsonv_bool(body, "is_demo_group", &present, &demo, &r->err) ||
	    !jsonv_obj(body, "properties", &props, &r->err) ||
	    !jsonv_str_array(body, "emails", limits.id_max, &emails, &r->err) ||
	    !jsonv_str_array(body, "group_tags", limits.name_max, &tags, &r->err))
		return false;
	if (tags && !check_tags(r, c->team_id, tags))
		return false;
	if (name) {
		free(c->name);
		c->name = xstrdup(name);
	}
	if (present)
		c->is_demo = demo;
	if (props) {
		json_decref(c->properties);
		c->properties = json_deep_copy(props);
	}
	if (emails) {
		json_decref(c->emails);
		c->emails = json_deep_copy(emails);
	}
	if (tags) {
		json_decref(c->tags);
		c->tags = json_deep_copy(tags);
	}
	return true;
}

/* Replace c's mapping when the body has one, checked against g. */
static bool read_mapping(struct req *r, json_t *body, const struct group_view *g,
                         struct customer *c)
{
	json_t *v = json_object_get(body, "mapping");
	struct mapping m;

	if (!v)
		return true;
	mapping_init(&m);
	if (!parse_mapping(r, v, &m) || !check_mapping(r, g, &m)) {
		mapping_free(&m);
		return false;
	}
	mapping_free(&c->own);
	c->own = m;
	return true;
}

bool customer_check_types(struct req *r, json_t *body)
{
	const char *s = NULL;
	json_t *o = NULL;
	bool present, b;
	struct mapping m;
	bool ok;

	mapping_init(&m);
	ok = jsonv_str(body, "name", limits.name_max, false, &s, &r->err) &&
	     jsonv_bool(body, "is_demo_group", &present, &b, &r->err) &&
	     jsonv_obj(body, "properties", &o, &r->err) &&
	     jsonv_str_array(body, "emails", limits.id_max, &o, &r->err) &&
	     jsonv_str_array(body, "group_tags", limits.name_max, &o, &r->err) &&
	     jsonv_str(body, "parent_provided_id", limits.id_max, false, &s, &r->err) &&
	     jsonv_str(body, "hierarchy_level_name", limits.name_max, false, &s, &r->err) &&
	     parse_mapping(r, json_object_get(body, "mapping"), &m);
	mapping_free(&m);
	return ok;
}

bool customer_create(struct req *r, json_t *body, const struct group_view *g, struct customer *c)
{
	const char *pid = NULL;
	char embed[65];

	if (!jsonv_str(body, "provided_id", limits.id_max, true, &pid, &r->err))
		return false;
	c->team_id = r->who.team_id;
	c->group_id = g->id;
	c->provided_id = xstrdup(pid);
	c->name = xstrdup(pid);
	c->properties = json_object();
	c->emails = json_array();
	c->tags = json_array();
	token_embed(embed);
	c->token = xstrdup(embed);
	if (!read_fields(r, body, c) || !read_mapping(r, body, g, c) || !place(r, body, c, true))
		return false;
	return req_store_ok(r, store_customer_insert(r->db, c), "customer");
}

bool customer_update(struct req *r, json_t *body, const struct group_view *g, struct customer *c)
{
	const char *new_pid = NULL;
	bool level_changes = json_object_get(body, "hierarchy_level_name") != NULL;

	if (!jsonv_str(body, "new_provided_id", limits.id_max, false, &new_pid, &r->err) ||
	    !read_fields(r, body, c) || !read_mapping(r, body, g, c) || !place(r, body, c, false))
		return false;
	if (level_changes && !children_still_below(r, c))
		return false;
	if (new_pid) {
		if (!*new_pid)
			return err_set(&r->err, 400, "missing_field",
			               "\"new_provided_id\" must not be empty.");
		free(c->provided_id);
		c->provided_id = xstrdup(new_pid);
	}
	return req_store_ok(r, store_customer_save(r->db, c), "customer");
}

bool customer_move(struct req *r, struct customer *c, const struct group_view *to, bool drop)
{
	struct mapping conflicts;
	int64_t children = 0;
	bool ok = true;

	if (c->group_id == to->id)
		return true;
	if (store_customer_child_count(r->db, c->id, &children) != STORE_OK)
		return err_storage(&r->err);
	if (c->parent_id || children)
		return err_set(&r->err, 409, "hierarchy_crosses_groups",
		               "A customer with a parent or children cannot change group alone; "
		               "detach it from its hierarchy first.");
	mapping_init(&conflicts);
	domain_move_conflicts(to, &c->own, &conflicts);
	if (conflicts.n && !drop) {
		json_t *detail = json_pack("{so}", "conflicts", mapping_json(&conflicts));

		r->err.detail_json = json_dumps(detail, JSON_COMPACT);
		json_decref(detail);
		ok = err_set(&r->err, 409, "mapping_conflict",
		             "%zu mapping entr%s would point outside the target group; resend with "
		             "\"drop_mappings\": true to drop them.",
		             conflicts.n, conflicts.n == 1 ? "y" : "ies");
	}
	for (size_t i = 0; ok && i < conflicts.n; i++) {
		struct mapping kept;

		mapping_init(&kept);
		for (size_t k = 0; k < c->own.n; k++) {
			if (c->own.v[k].schema_id != conflicts.v[i].schema_id)
				mapping_put(&kept, c->own.v[k].schema_id, c->own.v[k].ds_id);
		}
		mapping_free(&c->own);
		c->own = kept;
	}
	mapping_free(&conflicts);
	c->group_id = to->id;
	return ok;
}

bool customer_refresh_token(struct req *r, struct customer *c)
{
	char embed[65];

	token_embed(embed);
	free(c->token);
	c->token = xstrdup(embed);
	return req_store_ok(r, store_customer_save(r->db, c), "customer");
}

bool customer_delete(struct req *r, struct customer *c, int64_t *deleted)
{
	return req_store_ok(r, store_customer_delete_tree(r->db, c->id, deleted), "customer");
}
