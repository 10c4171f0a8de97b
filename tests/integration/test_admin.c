/*
 * test_admin — the admin API's own contract (DESIGN §4.2 and the lead's
 * notes): admin-key authentication, paginated lists, 201 on create, the
 * shapes of schemas, data sources, groups and customers, uniqueness, group
 * tags and hierarchy levels by id, and 404/405 around them.
 */
#include <string.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;

static void expect_fields(json_t *obj, const char *fields)
{
	for (const char *f = fields; *f; f += strlen(f) + 1)
		cr_assert_not_null(jget(obj, f), "object lacks \"%s\": %s", f, jdump(obj));
}

VTEST(admin, bad_credentials_get_401)
{
	const char *const cases[] = {NULL,
	                             "Authorization: Bearer visadm_wrong",
	                             "Authorization: Basic YTpi",
	                             "Authorization: Bearer",
	                             "X-Api-Key: whatever",
	                             NULL};
	const char *before;

	world_tour(&w);
	before = db_dump();
	for (int i = 0; i < 5; i++) {
		const char *hdrs[] = {cases[i], NULL};
		expect_error(http("GET", "/admin/api/groups", hdrs, NULL, 0), 401, "unauthorized");
		expect_error(http("POST", "/admin/api/groups", hdrs, "{\"name\":\"x\"}", 12), 401,
		             "unauthorized");
	}
	/* An API token is not an admin key, in either header. */
	const char *tok[] = {fmt("Authorization: Bearer %s", w.tok_test), NULL};
	expect_error(http("GET", "/admin/api/groups", tok, NULL, 0), 401, "unauthorized");
	tok[0] = fmt("Explo-Authorization: Token %s", w.tok_test);
	expect_error(http("GET", "/admin/api/groups", tok, NULL, 0), 401, "unauthorized");
	expect_db_unchanged(before, "admin requests without valid credentials");
}

VTEST(admin, lists_are_paginated)
{
	struct resp *r;
	const char *first;

	for (int i = 0; i < 5; i++)
		mk_schema(fmt("schema-%d", i));
	r = adm("GET", "/admin/api/schemas", NULL);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "total_count"), 5, "%s", r->body);
	cr_assert_eq(json_array_size(jget(r->json, "items")), 5);
	r = adm("GET", "/admin/api/schemas?page=1&page_size=2", NULL);
	cr_assert_eq(json_array_size(jget(r->json, "items")), 2, "%s", r->body);
	cr_assert_eq(jint(r->json, "total_count"), 5);
	first = jstr(r->json, "items.0.name");
	r = adm("GET", "/admin/api/schemas?page=3&page_size=2", NULL);
	cr_assert_eq(json_array_size(jget(r->json, "items")), 1, "%s", r->body);
	cr_assert_str_neq(jstr(r->json, "items.0.name"), first);
	r = adm("GET", "/admin/api/schemas?page=4&page_size=2", NULL);
	cr_assert_eq(json_array_size(jget(r->json, "items")), 0, "%s", r->body);
}

VTEST(admin, schema_lifecycle)
{
	struct resp *r;
	json_int_t id, ds;
	const char *before;

	r = adm("POST", "/admin/api/schemas", J("{s:s}", "name", "Warehouse"));
	expect_status(r, 201);
	expect_fields(r->json, "id\0name\0default_data_source_id\0created_at\0data_source_count\0");
	id = jint(r->json, "id");
	cr_assert_eq(jint(r->json, "data_source_count"), 0);
	cr_assert(json_is_null(jget(r->json, "default_data_source_id")), "%s", r->body);
	before = db_dump();
	expect_error(adm("POST", "/admin/api/schemas", J("{s:s}", "name", "Warehouse")), 409,
	             "already_exists");
	expect_db_unchanged(before, "a duplicate schema");

	ds = mk_ds("WH 1", id);
	r = adm("GET", fmt("/admin/api/schemas/%" JSON_INTEGER_FORMAT, id), NULL);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "data_source_count"), 1, "%s", r->body);
	schema_set_default(id, ds);
	r = adm("GET", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, ds), NULL);
	cr_assert(json_is_true(jget(r->json, "is_team_default")), "%s", r->body);
	r = adm("PATCH", fmt("/admin/api/schemas/%" JSON_INTEGER_FORMAT, id),
	        J("{s:s, s:n}", "name", "Lake", "default_data_source_id"));
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "name"), "Lake");
	cr_assert(json_is_null(jget(r->json, "default_data_source_id")), "null must clear: %s",
	          r->body);
	r = adm("GET", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, ds), NULL);
	cr_assert(json_is_false(jget(r->json, "is_team_default")), "%s", r->body);
	expect_ok(adm("DELETE", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, ds), NULL));
	expect_ok(adm("DELETE", fmt("/admin/api/schemas/%" JSON_INTEGER_FORMAT, id), NULL));
	expect_error(adm("GET", fmt("/admin/api/schemas/%" JSON_INTEGER_FORMAT, id), NULL), 404,
	             "not_found");
}

VTEST(admin, schema_default_must_be_its_own_source)
{
	json_int_t a, b, ds_b;
	const char *before;

	a = mk_schema("A");
	b = mk_schema("B");
	ds_b = mk_ds("B1", b);
	before = db_dump();
	expect_status(adm("PATCH", fmt("/admin/api/schemas/%" JSON_INTEGER_FORMAT, a),
	                  J("{s:I}", "default_data_source_id", ds_b)),
	              400);
	expect_db_unchanged(before, "a team default from another schema");
}

VTEST(admin, data_source_shape)
{
	struct resp *r;
	json_int_t ds;

	world_tour(&w);
	ds = w.ds_test;
	r = adm("GET", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, ds), NULL);
	expect_status(r, 200);
	expect_fields(r->json, "id\0name\0schema_id\0schema_name\0type\0config\0secret_fields\0"
	                       "is_team_default\0created_at\0");
	cr_assert_eq(jint(r->json, "schema_id"), w.schema);
	cr_assert_str_eq(jstr(r->json, "schema_name"), "Main");
	cr_assert_str_eq(jstr(r->json, "type"), "postgresql");
	cr_assert_str_eq(jstr(r->json, "config.host"), "db.internal");
	cr_assert_eq(jint(r->json, "config.port"), 5432);
	cr_assert_null(jget(r->json, "config.password"), "%s", r->body);
	cr_assert(json_is_false(jget(r->json, "is_team_default")), "%s", r->body);
	r = adm("GET", "/admin/api/data_sources", NULL);
	cr_assert_eq(jint(r->json, "total_count"), 2, "%s", r->body);
	r = adm("POST", "/admin/api/data_sources",
	        J("{s:s, s:i, s:s, s:{}}", "name", "x", "schema_id", 999999, "type", "sqlite",
	          "config"));
	cr_assert(r->status == 400 || r->status == 404, "a missing schema: %ld %s", r->status,
	          r->body);
}

VTEST(admin, group_shape)
{
	struct resp *r;

	world_tour(&w);
	r = adm("POST", "/admin/api/groups", J("{s:s}", "name", "Staging"));
	expect_status(r, 201);
	expect_fields(r->json, "id\0name\0created_at\0customer_count\0token_count\0data_sources\0");
	cr_assert_eq(jint(r->json, "customer_count"), 0);
	cr_assert_eq(jint(r->json, "token_count"), 0);
	r = adm("GET", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, w.grp_prod), NULL);
	expect_fields(jget(r->json, "data_sources.0"), "id\0name\0type\0schema_id\0schema_name\0"
	                                               "is_default\0");
	expect_error(adm("GET", "/admin/api/groups/999999", NULL), 404, "not_found");
}

VTEST(admin, customers_crud)
{
	struct resp *r;
	json_int_t id;

	world_tour(&w);
	r = adm("POST", "/admin/api/customers",
	        J("{s:I, s:s, s:s, s:{s:s}, s:[s]}", "group_id", w.grp_test, "provided_id", "adm-1",
	          "name", "Admin made", "properties", "k", "v", "emails", "a@a.test"));
	expect_status(r, 201);
	expect_customer_shape(r->json);
	id = jint(r->json, "id");
	cr_assert_gt(id, 0);
	cr_assert_eq(jint(r->json, "group_id"), w.grp_test);
	cr_assert_str_eq(jstr(r->json, "access_group"), "Testing");
	cr_assert_str_eq(jstr(get_customer(w.tok_test, "adm-1"), "name"), "Admin made");

	r = adm("GET", fmt("/admin/api/customers/%" JSON_INTEGER_FORMAT, id), NULL);
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "provided_id"), "adm-1");
	r = adm("PATCH", fmt("/admin/api/customers/%" JSON_INTEGER_FORMAT, id),
	        J("{s:s}", "name", "Renamed"));
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "name"), "Renamed");
	cr_assert_str_eq(jdump(jget(r->json, "properties")), "{\"k\":\"v\"}", "PATCH lost a field");

	mk_customer(w.tok_prod, J("{s:s}", "provided_id", "prod-1"));
	r = adm("GET", fmt("/admin/api/customers?group_id=%" JSON_INTEGER_FORMAT, w.grp_test),
	        NULL);
	cr_assert_eq(jint(r->json, "total_count"), 1, "%s", r->body);
	r = adm("GET", "/admin/api/customers", NULL);
	cr_assert_eq(jint(r->json, "total_count"), 2, "%s", r->body);

	expect_error(adm("POST", "/admin/api/customers",
	                 J("{s:I, s:s}", "group_id", w.grp_test, "provided_id", "adm-1")),
	             409, "already_exists");
	expect_ok(adm("DELETE", fmt("/admin/api/customers/%" JSON_INTEGER_FORMAT, id), NULL));
	cr_assert_null(get_customer(w.tok_test, "adm-1"));
	expect_error(adm("GET", fmt("/admin/api/customers/%" JSON_INTEGER_FORMAT, id), NULL), 404,
	             "not_found");
}

VTEST(admin, group_tags_by_id)
{
	struct resp *r;
	json_int_t id;

	world_tour(&w);
	id = mk_tag("vip");
	mk_customer(w.tok_test, J("{s:s, s:[s]}", "provided_id", "c", "group_tags", "vip"));
	r = adm("GET", "/admin/api/group_tags", NULL);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "total_count"), 1, "%s", r->body);
	expect_fields(jget(r->json, "items.0"), "id\0name\0");
	r = adm("PATCH", fmt("/admin/api/group_tags/%" JSON_INTEGER_FORMAT, id),
	        J("{s:s}", "name", "gold"));
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "name"), "gold");
	cr_assert_str_eq(jdump(jget(get_customer(w.tok_test, "c"), "group_tags")), "[\"gold\"]");
	expect_error(adm("POST", "/admin/api/group_tags", J("{s:s}", "name", "gold")), 409,
	             "already_exists");
	expect_ok(adm("DELETE", fmt("/admin/api/group_tags/%" JSON_INTEGER_FORMAT, id), NULL));
	cr_assert_str_eq(jdump(jget(get_customer(w.tok_test, "c"), "group_tags")), "[]");
}

VTEST(admin, hierarchy_levels_by_id)
{
	struct resp *r;
	json_int_t id, base;

	r = adm("GET", "/admin/api/hierarchy_levels", NULL);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "total_count"), 1, "a new team has one level: %s", r->body);
	cr_assert_str_eq(jstr(r->json, "items.0.name"), "Customer");
	expect_fields(jget(r->json, "items.0"), "id\0name\0rank\0");
	base = jint(r->json, "items.0.rank");
	id = mk_level("Enterprise", base + 1);
	expect_error(adm("POST", "/admin/api/hierarchy_levels",
	                 J("{s:s, s:I}", "name", "Enterprise", "rank", base + 2)),
	             409, "already_exists");
	r = adm("PATCH", fmt("/admin/api/hierarchy_levels/%" JSON_INTEGER_FORMAT, id),
	        J("{s:s}", "name", "Company"));
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "name"), "Company");
	expect_ok(
	    adm("DELETE", fmt("/admin/api/hierarchy_levels/%" JSON_INTEGER_FORMAT, id), NULL));
	r = adm("GET", "/admin/api/hierarchy_levels", NULL);
	cr_assert_eq(jint(r->json, "total_count"), 1, "%s", r->body);
}

VTEST(admin, level_in_use_cannot_be_deleted)
{
	json_int_t id;
	const char *before;
	struct resp *r;

	world_tour(&w);
	id = mk_level("Enterprise", level_rank("Customer") + 1);
	mk_customer(w.tok_test,
	            J("{s:s, s:s}", "provided_id", "e", "hierarchy_level_name", "Enterprise"));
	before = db_dump();
	r = adm("DELETE", fmt("/admin/api/hierarchy_levels/%" JSON_INTEGER_FORMAT, id), NULL);
	cr_assert_eq(r->status, 409, "deleting a level in use: %ld %s", r->status, r->body);
	expect_db_unchanged(before, "deleting a level in use");
}

VTEST(admin, wrong_method_and_unknown_route)
{
	expect_error(adm("PUT", "/admin/api/schemas", J("{}")), 405, "method_not_allowed");
	expect_error(adm("POST", "/admin/api/audit", J("{}")), 405, "method_not_allowed");
	expect_error(adm("GET", "/admin/api/nothing_here", NULL), 404, "no_such_route");
}

VTEST(admin, admin_keys_lifecycle)
{
	struct resp *r;
	const char *key;
	json_int_t id;
	const char *hdrs[] = {NULL, NULL};

	r = adm("POST", "/admin/api/admin_keys", J("{s:s}", "name", "deploy"));
	expect_status(r, 201);
	key = jstr(r->json, "key");
	id = jint(r->json, "id");
	cr_assert(key && strncmp(key, "visadm_", 7) == 0, "%s", r->body);
	hdrs[0] = fmt("Authorization: Bearer %s", key);
	expect_status(http("GET", "/admin/api/schemas", hdrs, NULL, 0), 200);
	r = adm("GET", "/admin/api/admin_keys", NULL);
	expect_status(r, 200);
	cr_assert_null(strstr(r->body, key), "the key list shows a key: %s", r->body);
	expect_ok(adm("DELETE", fmt("/admin/api/admin_keys/%" JSON_INTEGER_FORMAT, id), NULL));
	expect_error(http("GET", "/admin/api/schemas", hdrs, NULL, 0), 401, "unauthorized");
	expect_status(adm("GET", "/admin/api/schemas", NULL), 200);
}
