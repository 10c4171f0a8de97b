/*
 * world — quick builders over the admin and customer APIs, so that each test
 * states only what is particular to it. Every builder asserts success and
 * returns the new object's id or secret.
 */
#include "world.h"

#include <stdlib.h>
#include <string.h>

#include "harness.h"

const char *ids(json_int_t id)
{
	return fmt("%" JSON_INTEGER_FORMAT, id);
}

json_t *map1(json_int_t schema, json_int_t ds)
{
	json_t *m = json_object();
	json_object_set_new(m, ids(schema), json_string(ids(ds)));
	return m;
}

static json_int_t created_id(struct resp *r)
{
	expect_status(r, 201);
	cr_assert(json_is_integer(jget(r->json, "id")), "%s %s: no integer id: %s", r->method,
	          r->path, r->body);
	return jint(r->json, "id");
}

json_int_t mk_schema(const char *name)
{
	return created_id(adm("POST", "/admin/api/schemas", J("{s:s}", "name", name)));
}

json_int_t mk_ds(const char *name, json_int_t schema)
{
	json_t *config = J("{s:s, s:i, s:s, s:s, s:s}", "host", "db.internal", "port", 5432, "user",
	                   "visor", "password", DS_PASSWORD, "api_key", "ak-" DS_PASSWORD);
	return created_id(adm("POST", "/admin/api/data_sources",
	                      J("{s:s, s:I, s:s, s:o}", "name", name, "schema_id", schema, "type",
	                        "postgresql", "config", config)));
}

json_int_t mk_group(const char *name)
{
	return created_id(adm("POST", "/admin/api/groups", J("{s:s}", "name", name)));
}

void group_add_ds(json_int_t group, json_int_t ds)
{
	struct resp *r =
	    adm("PUT",
	        fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/data_sources/%" JSON_INTEGER_FORMAT,
	            group, ds),
	        NULL);
	expect_status(r, 200);
}

void group_set_default(json_int_t group, json_int_t schema, json_int_t ds)
{
	struct resp *r =
	    adm("PUT",
	        fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/defaults/%" JSON_INTEGER_FORMAT,
	            group, schema),
	        J("{s:I}", "data_source_id", ds));
	expect_status(r, 200);
}

void schema_set_default(json_int_t schema, json_int_t ds)
{
	struct resp *r = adm("PATCH", fmt("/admin/api/schemas/%" JSON_INTEGER_FORMAT, schema),
	                     J("{s:I}", "default_data_source_id", ds));
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "default_data_source_id"), ds, "schema default not set: %s",
	             r->body);
}

const char *mk_token(json_int_t group, const char *permission, json_int_t *id)
{
	struct resp *r =
	    adm("POST", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", group),
	        J("{s:s, s:s}", "name", fmt("%s token", permission), "permission", permission));
	json_int_t tid = created_id(r);
	const char *secret = jstr(r->json, "token");

	cr_assert(secret && strncmp(secret, "vis_", 4) == 0, "token secret missing: %s", r->body);
	if (id)
		*id = tid;
	return secret;
}

json_int_t mk_tag(const char *name)
{
	return created_id(adm("POST", "/admin/api/group_tags", J("{s:s}", "name", name)));
}

static json_int_t top_rank(void)
{
	struct resp *r = adm("GET", "/admin/api/hierarchy_levels", NULL);
	json_t *items = jget(r->json, "items");
	json_int_t top = 0;

	expect_status(r, 200);
	for (size_t i = 0; i < json_array_size(items); i++)
		if (jint(json_array_get(items, i), "rank") > top)
			top = jint(json_array_get(items, i), "rank");
	return top;
}

json_int_t mk_level(const char *name, json_int_t rank)
{
	if (rank < 0)
		rank = top_rank() + 10;
	return created_id(adm("POST", "/admin/api/hierarchy_levels",
	                      J("{s:s, s:I}", "name", name, "rank", rank)));
}

json_int_t level_rank(const char *name)
{
	struct resp *r = adm("GET", "/admin/api/hierarchy_levels", NULL);
	json_t *items = jget(r->json, "items");

	expect_status(r, 200);
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *it = json_array_get(items, i);
		if (strcmp(jstr(it, "name"), name) == 0)
			return jint(it, "rank");
	}
	return -1;
}

json_t *mk_customer(const char *token, json_t *body)
{
	struct resp *r = api(token, "POST", "/api/create_customer/", body);

	expect_ok(r);
	cr_assert_eq(jint(r->json, "success"), 1, "create_customer: %s", r->body);
	cr_assert(json_is_object(jget(r->json, "customer")), "create_customer: %s", r->body);
	return jget(r->json, "customer");
}

json_t *get_customer(const char *token, const char *provided_id)
{
	struct resp *r =
	    api(token, "POST", "/api/get_customer/", J("{s:s}", "provided_id", provided_id));
	return r->status == 200 ? jget(r->json, "customer") : NULL;
}

json_int_t customer_admin_id(json_int_t group, const char *provided_id)
{
	struct resp *r =
	    adm("GET",
	        fmt("/admin/api/customers?group_id=%" JSON_INTEGER_FORMAT "&page_size=1000", group),
	        NULL);
	json_t *it;
	size_t i;

	expect_status(r, 200);
	json_array_foreach (jget(r->json, "items"), i, it) {
		const char *p = jstr(it, "provided_id");
		if (p && strcmp(p, provided_id) == 0)
			return jint(it, "id");
	}
	cr_assert_fail("no customer %s in group %" JSON_INTEGER_FORMAT ": %s", provided_id, group,
	               r->body);
	return -1;
}

void world_tour(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->schema = mk_schema("Main");
	w->ds_test = mk_ds("Testing DB", w->schema);
	w->ds_prod = mk_ds("Production DB", w->schema);
	schema_set_default(w->schema, w->ds_prod);

	w->grp_test = mk_group("Testing");
	w->grp_prod = mk_group("Production");
	group_add_ds(w->grp_test, w->ds_test);
	group_set_default(w->grp_test, w->schema, w->ds_test);
	group_add_ds(w->grp_prod, w->ds_prod);
	group_set_default(w->grp_prod, w->schema, w->ds_prod);

	w->tok_test = mk_token(w->grp_test, "read_write", &w->tok_test_id);
	w->tok_prod = mk_token(w->grp_prod, "read_write", &w->tok_prod_id);
	w->ro_test = mk_token(w->grp_test, "read_only", &w->ro_test_id);
	w->ro_prod = mk_token(w->grp_prod, "read_only", &w->ro_prod_id);
}

bool id_eq(json_t *v, json_int_t id)
{
	if (json_is_integer(v))
		return json_integer_value(v) == id;
	return json_is_string(v) && strcmp(json_string_value(v), ids(id)) == 0;
}

const char *mapping_text(json_t *m)
{
	json_t *norm = json_object(), *v;
	const char *k;

	json_object_foreach (m, k, v) {
		if (json_is_integer(v))
			json_object_set_new(norm, k, json_string(ids(json_integer_value(v))));
		else if (!json_is_null(v))
			json_object_set(norm, k, v);
	}
	k = jdump(norm);
	json_decref(norm);
	return k;
}

const char *level_of(json_t *c)
{
	json_t *l = jget(c, "hierarchy_level");
	return json_is_object(l) ? jstr(l, "name") : json_string_value(l);
}

static void expect_type(json_t *c, const char *field, json_type want)
{
	json_t *v = jget(c, field);
	cr_assert(v != NULL, "customer lacks \"%s\": %s", field, jdump(c));
	cr_assert_eq(json_typeof(v), want, "customer field \"%s\" has the wrong type: %s", field,
	             jdump(c));
}

void expect_customer_shape(json_t *c)
{
	static const char *const strings[] = {"token", "name", "provided_id", "access_group", NULL};
	static const char *const objects[] = {"properties", "computed_properties",
	                                      "computed_parent_schema_datasource_mapping", NULL};
	json_t *own = jget(c, "parent_schema_datasource_mapping");

	cr_assert(json_is_object(c), "customer is not an object: %s", jdump(c));
	for (int i = 0; strings[i]; i++)
		expect_type(c, strings[i], JSON_STRING);
	for (int i = 0; objects[i]; i++)
		expect_type(c, objects[i], JSON_OBJECT);
	expect_type(c, "emails", JSON_ARRAY);
	expect_type(c, "group_tags", JSON_ARRAY);
	cr_assert(json_is_boolean(jget(c, "is_demo_group")), "is_demo_group: %s", jdump(c));
	cr_assert(json_is_object(own) || json_is_null(own),
	          "parent_schema_datasource_mapping must be an object or null: %s", jdump(c));
	cr_assert_not_null(level_of(c), "hierarchy_level missing: %s", jdump(c));
}

const char *replace_all(const char *s, const char *needle, const char *with)
{
	size_t nl = strlen(needle), wl = strlen(with), cap = strlen(s) + 1;
	char *out, *o;
	const char *p;

	if (nl == 0)
		return s;
	for (p = strstr(s, needle); p; p = strstr(p + nl, needle))
		cap += wl;
	out = o = keep(xrealloc(NULL, cap));
	while ((p = strstr(s, needle)) != NULL) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, with, wl);
		o += wl;
		s = p + nl;
	}
	memcpy(o, s, strlen(s) + 1);
	return out;
}
