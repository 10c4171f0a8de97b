/*
 * test_scope — rule 1: a token of group A, or an admin key of another team,
 * names group B's objects in the path, the query and the body of every
 * route, and must get exactly the answer a missing object gets, with
 * nothing changed. Each probe is sent twice, once with the out-of-scope
 * reference and once with a reference to nothing, and the answers compared.
 */
#include <string.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

/* A request template: "{R}" is the reference under test, the other
 * placeholders name the caller's own objects. */
struct probe {
	const char *method;
	const char *path;
	const char *body;
};

static struct world w;
static const char *own_schema, *own_group, *own_ds, *own_customer;

static const char *expand(const char *tpl, const char *ref)
{
	if (tpl == NULL)
		return NULL;
	tpl = replace_all(tpl, "{R}", ref);
	tpl = replace_all(tpl, "{S}", own_schema);
	tpl = replace_all(tpl, "{G}", own_group);
	tpl = replace_all(tpl, "{D}", own_ds);
	return replace_all(tpl, "{C}", own_customer);
}

static struct resp *send_probe(const struct probe *p, const char *auth, const char *ref)
{
	const char *hdrs[] = {auth, NULL};
	const char *body = expand(p->body, ref);

	return http(p->method, expand(p->path, ref), hdrs, body, body ? strlen(body) : 0);
}

/* Send every probe with both references; the answers must not differ. */
static void run_probes(const struct probe *probes, const char *auth, const char *real,
                       const char *missing)
{
	const char *before = db_dump();

	for (int i = 0; probes[i].method; i++) {
		struct resp *a = send_probe(&probes[i], auth, real);
		struct resp *b = send_probe(&probes[i], auth, missing);

		/* A probe that never reaches the scope check would prove nothing. */
		cr_assert(b->status != 401 && b->status != 403 && b->status != 405 &&
		              strcmp(resp_code(b), "no_such_route") != 0,
		          "probe %s %s did not reach the scope check: %ld %s", b->method, b->path,
		          b->status, b->body);
		expect_hidden(a, b, real, missing);
	}
	expect_db_unchanged(before, "requests about objects out of scope");
}

static const struct probe by_provided_id[] = {
    {"GET", "/api/get_customer/?provided_id={R}", NULL},
    {"GET", "/api/get_customer?provided_id={R}", NULL},
    {"POST", "/api/get_customer/", "{\"provided_id\":\"{R}\"}"},
    {"POST", "/api/update_customer/", "{\"provided_id\":\"{R}\",\"name\":\"pwned\"}"},
    {"POST", "/api/update_customer/", "{\"provided_id\":\"{R}\",\"new_provided_id\":\"mine2\"}"},
    {"POST", "/api/update_customer/", "{\"provided_id\":\"{R}\",\"properties\":{\"x\":1}}"},
    {"POST", "/api/refresh_customer_token/", "{\"provided_id\":\"{R}\"}"},
    {"POST", "/api/delete_customer/", "{\"provided_id\":\"{R}\"}"},
    {"DELETE", "/api/delete_customer/", "{\"provided_id\":\"{R}\"}"},
    {"DELETE", "/api/delete_customer?provided_id={R}", NULL},
    {"POST", "/api/create_customer/", "{\"provided_id\":\"kid\",\"parent_provided_id\":\"{R}\"}"},
    {"POST", "/api/update_customer/", "{\"provided_id\":\"mine\",\"parent_provided_id\":\"{R}\"}"},
    {"GET", "/api/customers/?parent_provided_id={R}", NULL},
    {"GET", "/api/customers?parent_provided_id={R}", NULL},
    {"GET", "/v2/api/customers/?parent_provided_id={R}", NULL},
    {NULL, NULL, NULL},
};

static const struct probe by_embed_token[] = {
    {"POST", "/api/delete_customer/", "{\"current_token\":\"{R}\"}"},
    {"DELETE", "/api/delete_customer/", "{\"current_token\":\"{R}\"}"},
    {"POST", "/api/update_customer/", "{\"current_token\":\"{R}\"}"},
    {"POST", "/api/refresh_customer_token/", "{\"current_token\":\"{R}\"}"},
    {NULL, NULL, NULL},
};

static const struct probe by_data_source[] = {
    {"POST", "/api/create_customer/", "{\"provided_id\":\"new\",\"mapping\":{\"{S}\":\"{R}\"}}"},
    {"POST", "/api/create_customer/", "{\"provided_id\":\"new\",\"mapping\":{\"{S}\":{R}}}"},
    {"POST", "/api/update_customer/", "{\"provided_id\":\"mine\",\"mapping\":{\"{S}\":\"{R}\"}}"},
    {"POST", "/api/update_customer/", "{\"provided_id\":\"mine\",\"mapping\":{\"{S}\":{R}}}"},
    {NULL, NULL, NULL},
};

static const char *missing_token = "0123456789abcdef0123456789abcdef"
                                   "0123456789abcdef0123456789abcdef";

static void build_two_groups(void)
{
	world_tour(&w);
	own_schema = ids(w.schema);
	own_group = ids(w.grp_test);
	own_ds = ids(w.ds_test);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "mine"));
	own_customer = ids(customer_admin_id(w.grp_test, "mine"));
}

VTEST(scope, other_groups_customers_by_provided_id)
{
	build_two_groups();
	mk_customer(w.tok_prod, J("{s:s, s:{s:s}}", "provided_id", "prod-only", "properties",
	                          "secret", "production"));
	run_probes(by_provided_id, fmt("Explo-Authorization: Token %s", w.tok_test), "prod-only",
	           "no-such-customer");
	run_probes(by_provided_id, fmt("Authorization: Bearer %s", w.tok_test), "prod-only",
	           "no-such-customer");
}

VTEST(scope, other_groups_customers_by_embed_token)
{
	const char *embed;

	build_two_groups();
	embed = jstr(mk_customer(w.tok_prod, J("{s:s}", "provided_id", "prod-only")), "token");
	cr_assert_eq(strlen(embed), strlen(missing_token), "embed tokens changed length: %s",
	             embed);
	run_probes(by_embed_token, fmt("Explo-Authorization: Token %s", w.tok_test), embed,
	           missing_token);
}

VTEST(scope, other_groups_data_sources_in_mappings)
{
	struct resp *r;

	build_two_groups();
	run_probes(by_data_source, fmt("Explo-Authorization: Token %s", w.tok_test), ids(w.ds_prod),
	           "999999");
	r = api(w.tok_test, "POST", "/api/create_customer/",
	        J("{s:s, s:o}", "provided_id", "new", "mapping", map1(w.schema, w.ds_prod)));
	expect_error(r, 400, "mapping_outside_group");
}

VTEST(scope, shared_provided_id_touches_only_own_copy)
{
	json_t *prod;
	const char *prod_token;

	build_two_groups();
	mk_customer(w.tok_test, J("{s:s, s:s}", "provided_id", "shared", "name", "Test copy"));
	prod = mk_customer(w.tok_prod, J("{s:s, s:s}", "provided_id", "shared", "name", "Real"));
	prod_token = jstr(prod, "token");

	expect_status(api(w.tok_test, "POST", "/api/update_customer/",
	                  J("{s:s, s:s}", "provided_id", "shared", "name", "Changed")),
	              200);
	expect_status(api(w.tok_test, "POST", "/api/refresh_customer_token/",
	                  J("{s:s}", "provided_id", "shared")),
	              200);
	prod = get_customer(w.tok_prod, "shared");
	cr_assert_str_eq(jstr(prod, "name"), "Real", "Testing's update reached Production");
	cr_assert_str_eq(jstr(prod, "token"), prod_token, "Testing's refresh reached Production");
	cr_assert_str_eq(jstr(get_customer(w.tok_test, "shared"), "name"), "Changed");

	expect_status(
	    api(w.tok_test, "POST", "/api/delete_customer/", J("{s:s}", "provided_id", "shared")),
	    200);
	cr_assert_null(get_customer(w.tok_test, "shared"));
	cr_assert_not_null(get_customer(w.tok_prod, "shared"), "Testing deleted Production's");
}

/* provided_id is unique per group: taking one used elsewhere reveals nothing. */
VTEST(scope, rename_onto_another_groups_provided_id)
{
	build_two_groups();
	mk_customer(w.tok_prod, J("{s:s}", "provided_id", "prod-only"));
	expect_status(api(w.tok_test, "POST", "/api/update_customer/",
	                  J("{s:s, s:s}", "provided_id", "mine", "new_provided_id", "prod-only")),
	              200);
	cr_assert_not_null(get_customer(w.tok_test, "prod-only"));
	cr_assert_not_null(get_customer(w.tok_prod, "prod-only"));
	expect_ok(api(w.tok_test, "POST", "/api/create_customer/",
	              J("{s:s}", "provided_id", "prod-only")));
}

VTEST(scope, lists_show_only_own_group)
{
	struct resp *r;

	build_two_groups();
	mk_customer(w.tok_prod, J("{s:s}", "provided_id", "prod-only"));
	r = api(w.tok_test, "GET", "/api/customers/", NULL);
	cr_assert_null(strstr(r->body, "prod-only"), "v1 list leaks: %s", r->body);
	r = api(w.tok_test, "GET", "/v2/api/customers/?pageSize=1000", NULL);
	cr_assert_null(strstr(r->body, "prod-only"), "v2 list leaks: %s", r->body);
	cr_assert_eq(jint(r->json, "total_count"), 1, "%s", r->body);
	r = api(w.tok_test, "GET", "/api/data_sources/", NULL);
	cr_assert_null(strstr(r->body, "Production DB"), "data sources leak: %s", r->body);
}

/* ---- across teams ---- */

static const char *globex_token;

/* The id of what a team-2 admin request created. */
static json_int_t created2(const char *path, json_t *body)
{
	struct resp *r = adm_t(1, "POST", path, body);

	expect_status(r, 201);
	return jint(r->json, "id");
}

/* Team 1 as in the tour; team 2 with its own schema, source, group, token
 * and customer, which the placeholders of the probes then name. */
static void build_two_teams(void)
{
	json_int_t schema2, group2;
	struct resp *r;

	build_two_groups();
	schema2 = created2("/admin/api/schemas", J("{s:s}", "name", "Main"));
	own_schema = ids(schema2);
	own_ds = ids(created2("/admin/api/data_sources",
	                      J("{s:s, s:I, s:s, s:{}}", "name", "Globex DB", "schema_id", schema2,
	                        "type", "sqlite", "config")));
	group2 = created2("/admin/api/groups", J("{s:s}", "name", "Testing"));
	own_group = ids(group2);
	r = adm_t(1, "POST", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", group2),
	          J("{s:s, s:s}", "name", "globex", "permission", "read_write"));
	expect_status(r, 201);
	globex_token = jstr(r->json, "token");
	cr_assert_not_null(globex_token, "%s", r->body);
	expect_status(
	    adm_t(1, "PUT", fmt("/admin/api/groups/%s/data_sources/%s", own_group, own_ds), NULL),
	    200);
	expect_ok(
	    api(globex_token, "POST", "/api/create_customer/", J("{s:s}", "provided_id", "mine")));
	r = adm_t(1, "GET", "/admin/api/customers", NULL);
	expect_status(r, 200);
	own_customer = ids(jint(r->json, "items.0.id"));
}

VTEST2(scope, other_teams_customers_via_token)
{
	const char *embed;

	build_two_teams();
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "acme-only"));
	embed = jstr(get_customer(w.tok_test, "acme-only"), "token");
	run_probes(by_provided_id, fmt("Explo-Authorization: Token %s", globex_token), "acme-only",
	           "no-such-customer");
	run_probes(by_embed_token, fmt("Explo-Authorization: Token %s", globex_token), embed,
	           missing_token);
	run_probes(by_data_source, fmt("Explo-Authorization: Token %s", globex_token),
	           ids(w.ds_test), "999999");
}

VTEST2(scope, other_teams_tags_are_invisible)
{
	struct resp *r;

	build_two_teams();
	mk_tag("acme-vip");
	r = api(globex_token, "GET", "/api/group_tags/", NULL);
	expect_status(r, 200);
	cr_assert_null(strstr(r->body, "acme-vip"), "another team's tag shows: %s", r->body);
	r = api(globex_token, "POST", "/api/create_customer/",
	        J("{s:s, s:[s]}", "provided_id", "t", "group_tags", "acme-vip"));
	expect_error(r, 400, "unknown_tag");
	expect_hidden(api(globex_token, "POST", "/api/rename_group_tag/",
	                  J("{s:s, s:s}", "name", "acme-vip", "new_name", "mine")),
	              api(globex_token, "POST", "/api/rename_group_tag/",
	                  J("{s:s, s:s}", "name", "no-tag", "new_name", "mine")),
	              "acme-vip", "no-tag");
	expect_hidden(
	    api(globex_token, "POST", "/api/delete_group_tag/", J("{s:s}", "name", "acme-vip")),
	    api(globex_token, "POST", "/api/delete_group_tag/", J("{s:s}", "name", "no-tag")),
	    "acme-vip", "no-tag");
	/* The same name is free to use in the other team. */
	expect_ok(
	    api(globex_token, "POST", "/api/create_group_tag/", J("{s:s}", "name", "acme-vip")));
	cr_assert_eq(db_count("group_tags"), 2);
}

static const struct probe admin_by_schema[] = {
    {"GET", "/admin/api/schemas/{R}", NULL},
    {"PATCH", "/admin/api/schemas/{R}", "{\"name\":\"stolen\"}"},
    {"DELETE", "/admin/api/schemas/{R}", NULL},
    {"PUT", "/admin/api/groups/{G}/defaults/{R}", "{\"data_source_id\":{D}}"},
    {"POST", "/admin/api/data_sources",
     "{\"name\":\"x\",\"schema_id\":{R},\"type\":\"sqlite\",\"config\":{}}"},
    {NULL, NULL, NULL},
};

static const struct probe admin_by_data_source[] = {
    {"GET", "/admin/api/data_sources/{R}", NULL},
    {"PATCH", "/admin/api/data_sources/{R}", "{\"name\":\"stolen\"}"},
    {"DELETE", "/admin/api/data_sources/{R}", NULL},
    {"DELETE", "/admin/api/data_sources/{R}?drop_mappings=true", NULL},
    {"PUT", "/admin/api/groups/{G}/data_sources/{R}", NULL},
    {"DELETE", "/admin/api/groups/{G}/data_sources/{R}", NULL},
    {"PUT", "/admin/api/groups/{G}/defaults/{S}", "{\"data_source_id\":{R}}"},
    {"PATCH", "/admin/api/schemas/{S}", "{\"default_data_source_id\":{R}}"},
    {"PATCH", "/admin/api/customers/{C}", "{\"mapping\":{\"{S}\":\"{R}\"}}"},
    {NULL, NULL, NULL},
};

static const struct probe admin_by_group[] = {
    {"GET", "/admin/api/groups/{R}", NULL},
    {"PATCH", "/admin/api/groups/{R}", "{\"name\":\"stolen\"}"},
    {"DELETE", "/admin/api/groups/{R}", NULL},
    {"GET", "/admin/api/groups/{R}/tokens", NULL},
    {"POST", "/admin/api/groups/{R}/tokens", "{\"name\":\"x\",\"permission\":\"read_write\"}"},
    {"PUT", "/admin/api/groups/{R}/data_sources/{D}", NULL},
    {"DELETE", "/admin/api/groups/{R}/data_sources/{D}", NULL},
    {"PUT", "/admin/api/groups/{R}/defaults/{S}", "{\"data_source_id\":{D}}"},
    {"DELETE", "/admin/api/groups/{R}/defaults/{S}", NULL},
    {"GET", "/admin/api/customers?group_id={R}", NULL},
    {"POST", "/admin/api/customers", "{\"group_id\":{R},\"provided_id\":\"x\"}"},
    {"PATCH", "/admin/api/customers/{C}", "{\"group_id\":{R}}"},
    {"PATCH", "/admin/api/customers/{C}", "{\"group_id\":{R},\"drop_mappings\":true}"},
    {NULL, NULL, NULL},
};

static const struct probe admin_by_other[] = {
    {"GET", "/admin/api/tokens/{R}", NULL},
    {"PATCH", "/admin/api/tokens/{R}", "{\"permission\":\"read_only\"}"},
    {"POST", "/admin/api/tokens/{R}/refresh", NULL},
    {"DELETE", "/admin/api/tokens/{R}", NULL},
    {NULL, NULL, NULL},
};

static const struct probe admin_by_customer[] = {
    {"GET", "/admin/api/customers/{R}", NULL},
    {"PATCH", "/admin/api/customers/{R}", "{\"name\":\"stolen\"}"},
    {"DELETE", "/admin/api/customers/{R}", NULL},
    {NULL, NULL, NULL},
};

static const struct probe admin_by_tag[] = {
    {"PATCH", "/admin/api/group_tags/{R}", "{\"name\":\"stolen\"}"},
    {"DELETE", "/admin/api/group_tags/{R}", NULL},
    {NULL, NULL, NULL},
};

static const struct probe admin_by_level[] = {
    {"PATCH", "/admin/api/hierarchy_levels/{R}", "{\"name\":\"stolen\"}"},
    {"DELETE", "/admin/api/hierarchy_levels/{R}", NULL},
    {NULL, NULL, NULL},
};

VTEST2(scope, other_teams_objects_via_admin_key)
{
	const char *auth;
	json_int_t level;

	build_two_teams();
	auth = fmt("Authorization: Bearer %s", S.team[1].admin_key);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "acme-only"));
	level = jint(adm("GET", "/admin/api/hierarchy_levels", NULL)->json, "items.0.id");

	run_probes(admin_by_data_source, auth, ids(w.ds_test), "999999");
	run_probes(admin_by_schema, auth, ids(w.schema), "999999");
	run_probes(admin_by_group, auth, ids(w.grp_test), "999999");
	run_probes(admin_by_other, auth, ids(w.tok_test_id), "999999");
	run_probes(admin_by_customer, auth, ids(customer_admin_id(w.grp_test, "acme-only")),
	           "999999");
	run_probes(admin_by_tag, auth, ids(mk_tag("acme-tag")), "999999");
	run_probes(admin_by_level, auth, ids(level), "999999");
}

VTEST2(scope, other_teams_lists_are_empty)
{
	static const char *const lists[] = {"/admin/api/schemas",    "/admin/api/data_sources",
	                                    "/admin/api/groups",     "/admin/api/customers",
	                                    "/admin/api/group_tags", NULL};
	struct resp *r;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "acme-only"));
	mk_tag("acme-tag");
	for (int i = 0; lists[i]; i++) {
		r = adm_t(1, "GET", lists[i], NULL);
		expect_status(r, 200);
		cr_assert_eq(jint(r->json, "total_count"), 0, "%s shows another team's: %s",
		             lists[i], r->body);
	}
	r = adm_t(1, "GET", "/admin/api/audit", NULL);
	expect_status(r, 200);
	cr_assert_null(strstr(r->body, "acme-only"), "audit shows another team's: %s", r->body);
	cr_assert_null(strstr(r->body, "Production DB"), "audit shows another team's: %s", r->body);
}
