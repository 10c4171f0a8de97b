/*
 * test_customer_api — every route of the Explo-compatible customer API
 * (DESIGN §3): get-or-create, get, update, rename, token refresh, delete,
 * the v1 list and its filters, group tags and data sources; both spellings
 * of each path (with and without the trailing slash), both authentication
 * headers, and the 401/404/405 answers around them.
 */
#include <string.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;

static struct resp *call_bearer(const char *token, const char *method, const char *path,
                                json_t *body)
{
	const char *hdrs[] = {fmt("Authorization: Bearer %s", token), NULL};
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct resp *r = http(method, path, hdrs, text, text ? strlen(text) : 0);

	free(text);
	json_decref(body);
	return r;
}

VTEST(customer_api, create_then_get_or_create)
{
	struct resp *r;
	const char *token;

	world_tour(&w);
	r = api(w.tok_test, "POST", "/api/create_customer/",
	        J("{s:s, s:s}", "provided_id", "c-1", "name", "First"));
	cr_assert(r->status == 200 || r->status == 201, "create: %ld %s", r->status, r->body);
	cr_assert_eq(jint(r->json, "success"), 1, "%s", r->body);
	cr_assert(json_is_true(jget(r->json, "new_customer")), "new_customer: %s", r->body);
	expect_customer_shape(jget(r->json, "customer"));
	token = jstr(r->json, "customer.token");

	r = api(w.tok_test, "POST", "/api/create_customer/",
	        J("{s:s, s:s}", "provided_id", "c-1", "name", "Second"));
	expect_status(r, 200);
	cr_assert(json_is_false(jget(r->json, "new_customer")), "new_customer: %s", r->body);
	cr_assert_str_eq(jstr(r->json, "customer.name"), "First", "existing customer changed");
	cr_assert_str_eq(jstr(r->json, "customer.token"), token, "embed token changed");
	cr_assert_eq(db_count("customers"), 1, "a second row was written");
}

VTEST(customer_api, create_defaults)
{
	json_t *c;

	world_tour(&w);
	c = mk_customer(w.tok_test, J("{s:s}", "provided_id", "only-id"));
	cr_assert_str_eq(jstr(c, "name"), "only-id", "name must default to the provided_id");
	cr_assert_str_eq(jstr(c, "provided_id"), "only-id");
	cr_assert(json_is_false(jget(c, "is_demo_group")), "is_demo_group: %s", jdump(c));
	cr_assert_eq(json_array_size(jget(c, "emails")), 0);
	cr_assert_eq(json_array_size(jget(c, "group_tags")), 0);
	cr_assert_eq(json_object_size(jget(c, "properties")), 0);
	cr_assert_str_eq(level_of(c), "Customer", "default hierarchy level: %s", jdump(c));
	cr_assert_str_eq(mapping_text(jget(c, "parent_schema_datasource_mapping")), "{}");
	expect_computed(c, map1(w.schema, w.ds_test));
}

VTEST(customer_api, create_with_every_field)
{
	json_t *c, *mapping = json_object();

	world_tour(&w);
	mk_tag("vip");
	mk_tag("beta");
	/* Integers are accepted for mapping ids on input. */
	json_object_set_new(mapping, ids(w.schema), json_integer(w.ds_test));
	c = mk_customer(w.tok_test, J("{s:s, s:s, s:b, s:{s:s, s:i}, s:[s, s], s:[s, s], s:o, s:s}",
	                              "provided_id", "full", "name", "Full Co", "is_demo_group", 1,
	                              "properties", "plan", "gold", "seats", 12, "emails",
	                              "a@full.test", "b@full.test", "group_tags", "vip", "beta",
	                              "mapping", mapping, "hierarchy_level_name", "Customer"));
	expect_customer_shape(c);
	cr_assert_str_eq(jstr(c, "name"), "Full Co");
	cr_assert(json_is_true(jget(c, "is_demo_group")));
	cr_assert_str_eq(jdump(jget(c, "properties")), "{\"plan\":\"gold\",\"seats\":12}");
	cr_assert_str_eq(jdump(jget(c, "computed_properties")), "{\"plan\":\"gold\",\"seats\":12}");
	cr_assert_str_eq(jdump(jget(c, "emails")), "[\"a@full.test\",\"b@full.test\"]");
	cr_assert_eq(json_array_size(jget(c, "group_tags")), 2, "%s", jdump(c));
	cr_assert_str_eq(mapping_text(jget(c, "parent_schema_datasource_mapping")),
	                 mapping_text(map1(w.schema, w.ds_test)));
	cr_assert(
	    json_is_string(jget(c, fmt("parent_schema_datasource_mapping.%s", ids(w.schema)))),
	    "mapping ids must read as strings: %s", jdump(c));
	cr_assert(json_is_string(
	              jget(c, fmt("computed_parent_schema_datasource_mapping.%s", ids(w.schema)))),
	          "computed mapping ids must read as strings: %s", jdump(c));
}

VTEST(customer_api, get_customer_by_query_and_body)
{
	static const char *const paths[] = {"/api/get_customer/", "/api/get_customer"};
	struct resp *r;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s, s:s}", "provided_id", "g-1", "name", "Gee"));
	for (int i = 0; i < 2; i++) {
		r = api(w.tok_test, "GET", fmt("%s?provided_id=g-1", paths[i]), NULL);
		expect_status(r, 200);
		cr_assert_eq(jint(r->json, "success"), 1, "%s", r->body);
		cr_assert_str_eq(jstr(r->json, "customer.name"), "Gee");
		r = api(w.tok_test, "POST", paths[i], J("{s:s}", "provided_id", "g-1"));
		expect_status(r, 200);
		cr_assert_str_eq(jstr(r->json, "customer.name"), "Gee");
		expect_customer_shape(jget(r->json, "customer"));
	}
	/* DESIGN §3: by provided_id "query or body", for GET too. */
	r = api(w.tok_test, "GET", "/api/get_customer/", J("{s:s}", "provided_id", "g-1"));
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "customer.name"), "Gee");
	expect_error(api(w.tok_test, "GET", "/api/get_customer/?provided_id=nope", NULL), 404,
	             "not_found");
	expect_error(api(w.tok_test, "POST", "/api/get_customer/", J("{s:s}", "provided_id", "x")),
	             404, "not_found");
	expect_error(api(w.tok_test, "GET", "/api/get_customer/", NULL), 400, "missing_field");
	expect_error(api(w.tok_test, "POST", "/api/get_customer/", J("{}")), 400, "missing_field");
}

VTEST(customer_api, update_changes_only_given_fields)
{
	json_t *c;
	struct resp *r;

	world_tour(&w);
	mk_tag("vip");
	mk_customer(w.tok_test,
	            J("{s:s, s:s, s:{s:i}, s:[s], s:[s]}", "provided_id", "u-1", "name", "Before",
	              "properties", "a", 1, "emails", "x@u.test", "group_tags", "vip"));
	r = api(w.tok_test, "POST", "/api/update_customer/",
	        J("{s:s, s:s}", "provided_id", "u-1", "name", "After"));
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "success"), 1, "%s", r->body);
	c = get_customer(w.tok_test, "u-1");
	cr_assert_str_eq(jstr(c, "name"), "After");
	cr_assert_str_eq(jdump(jget(c, "properties")), "{\"a\":1}", "properties changed");
	cr_assert_str_eq(jdump(jget(c, "emails")), "[\"x@u.test\"]", "emails changed");
	cr_assert_str_eq(jdump(jget(c, "group_tags")), "[\"vip\"]", "tags changed");

	r = api(w.tok_test, "POST", "/api/update_customer",
	        J("{s:s, s:{s:s}, s:b, s:[]}", "provided_id", "u-1", "properties", "b", "two",
	          "is_demo_group", 1, "group_tags"));
	expect_status(r, 200);
	c = get_customer(w.tok_test, "u-1");
	cr_assert_str_eq(jdump(jget(c, "properties")), "{\"b\":\"two\"}");
	cr_assert(json_is_true(jget(c, "is_demo_group")));
	cr_assert_eq(json_array_size(jget(c, "group_tags")), 0, "group_tags: [] must clear");
	cr_assert_str_eq(jstr(c, "name"), "After");
}

VTEST(customer_api, update_renames_with_new_provided_id)
{
	struct resp *r;
	json_t *c;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s, s:s}", "provided_id", "old-id", "name", "Renamed Co"));
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "taken"));
	r = api(w.tok_test, "POST", "/api/update_customer/",
	        J("{s:s, s:s}", "provided_id", "old-id", "new_provided_id", "new-id"));
	expect_status(r, 200);
	cr_assert_null(get_customer(w.tok_test, "old-id"), "the old id still answers");
	c = get_customer(w.tok_test, "new-id");
	cr_assert_not_null(c, "the new id does not answer");
	cr_assert_str_eq(jstr(c, "name"), "Renamed Co");

	const char *before = db_dump();
	r = api(w.tok_test, "POST", "/api/update_customer/",
	        J("{s:s, s:s}", "provided_id", "new-id", "new_provided_id", "taken"));
	expect_error(r, 409, "already_exists");
	expect_db_unchanged(before, "renaming onto a taken provided_id");
}

VTEST(customer_api, update_missing_customer)
{
	world_tour(&w);
	expect_error(api(w.tok_test, "POST", "/api/update_customer/",
	                 J("{s:s, s:s}", "provided_id", "ghost", "name", "x")),
	             404, "not_found");
	cr_assert_eq(db_count("customers"), 0, "update created a customer");
}

VTEST(customer_api, refresh_customer_token)
{
	const char *t0, *t1, *t2;
	struct resp *r;

	world_tour(&w);
	t0 = jstr(mk_customer(w.tok_test, J("{s:s}", "provided_id", "r-1")), "token");
	r = api(w.tok_test, "POST", "/api/refresh_customer_token/",
	        J("{s:s}", "provided_id", "r-1"));
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "success"), 1, "%s", r->body);
	t1 = jstr(get_customer(w.tok_test, "r-1"), "token");
	cr_assert_str_neq(t0, t1, "refresh_customer_token did not rotate the token");
	if (jstr(r->json, "customer.token"))
		cr_assert_str_eq(jstr(r->json, "customer.token"), t1);

	/* update_customer with only current_token rotates it too. */
	r = api(w.tok_test, "POST", "/api/update_customer/", J("{s:s}", "current_token", t1));
	expect_status(r, 200);
	t2 = jstr(get_customer(w.tok_test, "r-1"), "token");
	cr_assert_str_neq(t1, t2, "update_customer with current_token did not rotate the token");
	cr_assert_str_neq(t0, t2);

	/* refresh_customer_token takes current_token too. */
	r = api(w.tok_test, "POST", "/api/refresh_customer_token", J("{s:s}", "current_token", t2));
	expect_status(r, 200);
	cr_assert_str_neq(jstr(get_customer(w.tok_test, "r-1"), "token"), t2,
	                  "refresh_customer_token by current_token did not rotate the token");
	expect_error(api(w.tok_test, "POST", "/api/refresh_customer_token/",
	                 J("{s:s}", "provided_id", "ghost")),
	             404, "not_found");
}

static void expect_deleted(struct resp *r, const char *provided_id)
{
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "success"), 1, "%s", r->body);
	cr_assert_null(get_customer(w.tok_test, provided_id), "%s survived %s %s", provided_id,
	               r->method, r->path);
}

VTEST(customer_api, delete_customer_every_way)
{
	const char *token;

	world_tour(&w);
	for (int i = 0; i < 4; i++)
		mk_customer(w.tok_test, J("{s:s}", "provided_id", fmt("d-%d", i)));
	token = jstr(mk_customer(w.tok_test, J("{s:s}", "provided_id", "d-token")), "token");
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "keep"));

	expect_deleted(
	    api(w.tok_test, "POST", "/api/delete_customer/", J("{s:s}", "provided_id", "d-0")),
	    "d-0");
	expect_deleted(
	    api(w.tok_test, "DELETE", "/api/delete_customer", J("{s:s}", "provided_id", "d-1")),
	    "d-1");
	expect_deleted(api(w.tok_test, "DELETE", "/api/delete_customer/?provided_id=d-2", NULL),
	               "d-2");
	expect_deleted(api(w.tok_test, "POST", "/api/delete_customer?provided_id=d-3", NULL),
	               "d-3");
	expect_deleted(
	    api(w.tok_test, "POST", "/api/delete_customer", J("{s:s}", "current_token", token)),
	    "d-token");
	cr_assert_not_null(get_customer(w.tok_test, "keep"), "an unrelated customer was deleted");
	cr_assert_eq(db_count("customers"), 1);
	expect_error(
	    api(w.tok_test, "POST", "/api/delete_customer/", J("{s:s}", "provided_id", "d-0")), 404,
	    "not_found");
}

VTEST(customer_api, list_customers)
{
	struct resp *r;

	world_tour(&w);
	for (int i = 0; i < 3; i++)
		mk_customer(w.tok_test, J("{s:s}", "provided_id", fmt("l-%d", i)));
	r = api(w.tok_test, "GET", "/api/customers/", NULL);
	expect_status(r, 200);
	cr_assert_eq(json_array_size(jget(r->json, "customers")), 3, "%s", r->body);
	expect_customer_shape(jget(r->json, "customers.0"));
	r = api(w.tok_test, "GET", "/api/customers", NULL);
	expect_status(r, 200);
	cr_assert_eq(json_array_size(jget(r->json, "customers")), 3, "%s", r->body);
}

/* One route of the customer API, for the trailing-slash sweep. */
struct route {
	const char *method;
	const char *path; /* without the trailing slash */
	const char *body; /* JSON, or NULL */
};

static const struct route reads[] = {
    {"GET", "/api/customers", NULL},
    {"GET", "/v2/api/customers", NULL},
    {"GET", "/api/data_sources", NULL},
    {"GET", "/api/group_tags", NULL},
    {"GET", "/api/get_customer?provided_id=s-1", NULL},
    {"POST", "/api/get_customer", "{\"provided_id\":\"s-1\"}"},
    {NULL, NULL, NULL},
};

/* The same path with a slash before its query string. */
static const char *slashed(const char *path)
{
	const char *q = strchr(path, '?');

	if (q == NULL)
		return fmt("%s/", path);
	return fmt("%.*s/%s", (int)(q - path), path, q);
}

VTEST(customer_api, reads_with_and_without_trailing_slash)
{
	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "s-1"));
	for (int i = 0; reads[i].method; i++) {
		const struct route *rt = &reads[i];
		size_t n = rt->body ? strlen(rt->body) : 0;
		struct resp *a = api_raw(w.tok_test, rt->method, rt->path, rt->body, n);
		struct resp *b = api_raw(w.tok_test, rt->method, slashed(rt->path), rt->body, n);

		expect_status(a, 200);
		expect_status(b, 200);
		cr_assert_str_eq(a->body, b->body, "%s: the two spellings answer differently",
		                 rt->path);
	}
}

VTEST(customer_api, writes_with_and_without_trailing_slash)
{
	static const char *const bases[] = {"/api/create_customer", "/api/update_customer",
	                                    "/api/refresh_customer_token", "/api/delete_customer"};
	const char *id;

	world_tour(&w);
	for (int slash = 0; slash < 2; slash++) {
		id = slash ? "with-slash" : "without-slash";
		for (int i = 0; i < 4; i++) {
			const char *path = slash ? fmt("%s/", bases[i]) : bases[i];
			json_t *body = i == 1 ? J("{s:s, s:s}", "provided_id", id, "name", "N")
			                      : J("{s:s}", "provided_id", id);
			expect_ok(api(w.tok_test, "POST", path, body));
		}
	}
	cr_assert_eq(db_count("customers"), 0, "delete_customer did not delete");
}

VTEST(customer_api, both_authentication_headers)
{
	struct resp *r;

	world_tour(&w);
	r = call_bearer(w.tok_test, "POST", "/api/create_customer/",
	                J("{s:s}", "provided_id", "bearer-made"));
	expect_ok(r);
	r = call_bearer(w.tok_test, "GET", "/api/get_customer/?provided_id=bearer-made", NULL);
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "customer.access_group"), "Testing");
	cr_assert_not_null(get_customer(w.tok_test, "bearer-made"));
}

VTEST(customer_api, bad_credentials_get_401)
{
	const char *forged = "vis_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000";
	const char *const cases[][2] = {
	    {NULL, "no header"},
	    {"Explo-Authorization: Token", "scheme without a token"},
	    {"Explo-Authorization: Token garbage", "malformed token"},
	    {"Explo-Authorization: Bearer %s", "wrong scheme in Explo-Authorization"},
	    {"Explo-Authorization: Token %s", "unknown well-formed token"},
	    {"Authorization: Bearer %s", "unknown token as Bearer"},
	    {"Authorization: Basic YWRtaW46YWRtaW4=", "basic auth"},
	    {"Authorization: Bearer ADMINKEY", "the admin key"},
	};
	const char *before;

	world_tour(&w);
	before = db_dump();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *h = cases[i][0];
		const char *hdrs[] = {NULL, NULL};
		struct resp *r;

		if (h && strstr(h, "ADMINKEY"))
			h = fmt("Authorization: Bearer %s", S.team[0].admin_key);
		else if (h && strstr(h, "%s"))
			h = fmt(h, forged);
		hdrs[0] = h;
		r = http("GET", "/api/customers/", hdrs, NULL, 0);
		cr_assert_eq(r->status, 401, "%s: expected 401, got %ld", cases[i][1], r->status);
		cr_assert_str_eq(resp_code(r), "unauthorized", "%s: %s", cases[i][1], r->body);
		r = http("POST", "/api/create_customer/", hdrs, "{\"provided_id\":\"x\"}", 19);
		cr_assert_eq(r->status, 401, "%s (write): expected 401, got %ld", cases[i][1],
		             r->status);
	}
	expect_db_unchanged(before, "requests without valid credentials");
}

VTEST(customer_api, wrong_method_and_unknown_route)
{
	world_tour(&w);
	expect_error(api(w.tok_test, "GET", "/api/create_customer/", NULL), 405,
	             "method_not_allowed");
	expect_error(api(w.tok_test, "PUT", "/api/customers/", J("{}")), 405, "method_not_allowed");
	expect_error(api(w.tok_test, "GET", "/api/delete_customer/", NULL), 405,
	             "method_not_allowed");
	expect_error(api(w.tok_test, "GET", "/api/no_such_route/", NULL), 404, "no_such_route");
}

static json_t *tag_names(const char *token)
{
	struct resp *r = api(token, "GET", "/api/group_tags/", NULL);
	json_t *names = jkeep(json_array()), *tags;

	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "success"), 1, "%s", r->body);
	cr_assert(json_is_array(jget(r->json, "group_tags")), "%s", r->body);
	tags = jget(r->json, "group_tags");
	for (size_t i = 0; i < json_array_size(tags); i++)
		json_array_append_new(names, json_string(jstr(json_array_get(tags, i), "name")));
	return names;
}

VTEST(customer_api, group_tags_lifecycle)
{
	struct resp *r;
	json_t *c;

	world_tour(&w);
	cr_assert_str_eq(jdump(tag_names(w.tok_test)), "[]");
	r = api(w.tok_test, "POST", "/api/create_group_tag/", J("{s:s}", "name", "vip"));
	expect_ok(r);
	cr_assert_eq(jint(r->json, "success"), 1, "%s", r->body);
	cr_assert_str_eq(jstr(r->json, "group_tag.name"), "vip", "%s", r->body);
	expect_error(api(w.tok_test, "POST", "/api/create_group_tag", J("{s:s}", "name", "vip")),
	             409, "already_exists");
	cr_assert_str_eq(jdump(tag_names(w.tok_prod)), "[\"vip\"]", "tags are team-wide");

	c = mk_customer(w.tok_test,
	                J("{s:s, s:[s]}", "provided_id", "tagged", "group_tags", "vip"));
	cr_assert_str_eq(jdump(jget(c, "group_tags")), "[\"vip\"]");

	r = api(w.tok_test, "POST", "/api/rename_group_tag/",
	        J("{s:s, s:s}", "name", "vip", "new_name", "gold"));
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "group_tag.name"), "gold", "%s", r->body);
	cr_assert_str_eq(jdump(tag_names(w.tok_test)), "[\"gold\"]");
	cr_assert_str_eq(jdump(jget(get_customer(w.tok_test, "tagged"), "group_tags")),
	                 "[\"gold\"]");
	expect_error(api(w.tok_test, "POST", "/api/rename_group_tag/",
	                 J("{s:s, s:s}", "name", "ghost", "new_name", "x")),
	             404, "not_found");

	expect_status(api(w.tok_test, "POST", "/api/delete_group_tag/", J("{s:s}", "name", "gold")),
	              200);
	cr_assert_str_eq(jdump(tag_names(w.tok_test)), "[]");
	cr_assert_str_eq(jdump(jget(get_customer(w.tok_test, "tagged"), "group_tags")), "[]");
	expect_error(api(w.tok_test, "POST", "/api/delete_group_tag", J("{s:s}", "name", "gold")),
	             404, "not_found");
}

VTEST(customer_api, unknown_tag_and_level_are_refused)
{
	const char *before;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "exists"));
	before = db_dump();
	expect_error(api(w.tok_test, "POST", "/api/create_customer/",
	                 J("{s:s, s:[s]}", "provided_id", "t", "group_tags", "no-such-tag")),
	             400, "unknown_tag");
	expect_error(api(w.tok_test, "POST", "/api/update_customer/",
	                 J("{s:s, s:[s]}", "provided_id", "exists", "group_tags", "no-such-tag")),
	             400, "unknown_tag");
	expect_error(api(w.tok_test, "POST", "/api/create_customer/",
	                 J("{s:s, s:s}", "provided_id", "t", "hierarchy_level_name", "Galaxy")),
	             400, "unknown_level");
	expect_error(
	    api(w.tok_test, "POST", "/api/update_customer/",
	        J("{s:s, s:s}", "provided_id", "exists", "hierarchy_level_name", "Galaxy")),
	    400, "unknown_level");
	expect_db_unchanged(before, "unknown tags and levels");
}

VTEST(customer_api, data_sources_list_has_no_secrets)
{
	struct resp *r;

	world_tour(&w);
	r = api(w.tok_test, "GET", "/api/data_sources/", NULL);
	expect_status(r, 200);
	cr_assert_null(strstr(r->body, DS_PASSWORD), "a secret leaked: %s", r->body);
	cr_assert_null(jget(r->json, "data_sources.0.config"), "config is not part of this list");
}
