/*
 * test_tour — the README tour end to end: `visor init`, a schema with a
 * Testing and a Production data source, the groups "Testing" and
 * "Production" with a token each, customers on both sides, and the fence
 * between them: neither token sees the other group's customers or data
 * sources.
 */
#include <string.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

VTEST(tour, healthz_answers)
{
	struct resp *r = http("GET", "/healthz", NULL, NULL, 0);

	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "success"), 1, "healthz: %s", r->body);
}

VTEST(tour, init_prints_working_credentials)
{
	struct resp *r;

	cr_assert_gt(S.team[0].id, 0, "team_id");
	cr_assert_str_eq(S.team[0].admin_email, "admin@acme.test");
	cr_assert_gt(strlen(S.team[0].password), 8, "password too short");
	r = adm("GET", "/admin/api/groups", NULL);
	expect_status(r, 200);
	cr_assert(json_is_array(jget(r->json, "items")), "list without items: %s", r->body);
}

VTEST2(tour, init_again_adds_a_fenced_team)
{
	struct resp *r;

	cr_assert_neq(S.team[0].id, S.team[1].id, "both inits made the same team");
	cr_assert_str_neq(S.team[0].admin_key, S.team[1].admin_key);
	mk_group("Only in Acme");
	r = adm_t(1, "GET", "/admin/api/groups", NULL);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "total_count"), 0, "Globex sees Acme's group: %s", r->body);
}

static json_t *list_customers(const char *token)
{
	struct resp *r = api(token, "GET", "/api/customers/", NULL);

	expect_status(r, 200);
	cr_assert(json_is_array(jget(r->json, "customers")), "no customers array: %s", r->body);
	return jget(r->json, "customers");
}

static bool has_customer(json_t *list, const char *provided_id, const char *name)
{
	json_t *c;
	size_t i;

	json_array_foreach (list, i, c) {
		if (strcmp(jstr(c, "provided_id"), provided_id) == 0 &&
		    (name == NULL || strcmp(jstr(c, "name"), name) == 0))
			return true;
	}
	return false;
}

VTEST(tour, two_groups_are_fenced)
{
	struct world w;
	json_t *t, *p, *list;

	world_tour(&w);
	t = mk_customer(w.tok_test,
	                J("{s:s, s:s}", "provided_id", "acme-1", "name", "Acme (test)"));
	p = mk_customer(w.tok_prod, J("{s:s, s:s}", "provided_id", "acme-1", "name", "Acme"));
	mk_customer(w.tok_prod, J("{s:s, s:s}", "provided_id", "globex", "name", "Globex"));
	expect_customer_shape(t);
	expect_customer_shape(p);
	cr_assert_str_eq(jstr(t, "access_group"), "Testing");
	cr_assert_str_eq(jstr(p, "access_group"), "Production");
	cr_assert_str_neq(jstr(t, "token"), jstr(p, "token"), "two customers share an embed token");
	expect_computed(t, map1(w.schema, w.ds_test));
	expect_computed(p, map1(w.schema, w.ds_prod));

	list = list_customers(w.tok_test);
	cr_assert_eq(json_array_size(list), 1, "Testing sees: %s", jdump(list));
	cr_assert(has_customer(list, "acme-1", "Acme (test)"), "Testing list: %s", jdump(list));
	list = list_customers(w.tok_prod);
	cr_assert_eq(json_array_size(list), 2, "Production sees: %s", jdump(list));
	cr_assert(has_customer(list, "acme-1", "Acme"), "Production list: %s", jdump(list));
	cr_assert(has_customer(list, "globex", "Globex"), "Production list: %s", jdump(list));

	expect_error(api(w.tok_test, "GET", "/api/get_customer/?provided_id=globex", NULL), 404,
	             "not_found");
	cr_assert_str_eq(jstr(get_customer(w.tok_test, "acme-1"), "name"), "Acme (test)");
	cr_assert_str_eq(jstr(get_customer(w.tok_prod, "acme-1"), "name"), "Acme");
}

VTEST(tour, each_token_sees_its_data_sources)
{
	struct world w;
	struct resp *r;
	json_t *ds;

	world_tour(&w);
	r = api(w.tok_test, "GET", "/api/data_sources/", NULL);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "success"), 1, "%s", r->body);
	cr_assert_eq(json_array_size(jget(r->json, "data_sources")), 1, "%s", r->body);
	ds = jget(r->json, "data_sources.0");
	cr_assert(id_eq(jget(ds, "id"), w.ds_test), "Testing sees another source: %s", r->body);
	cr_assert_str_eq(jstr(ds, "name"), "Testing DB");
	cr_assert_str_eq(jstr(ds, "type"), "postgresql");
	cr_assert(id_eq(jget(ds, "schema_id"), w.schema), "schema_id: %s", r->body);
	cr_assert_str_eq(jstr(ds, "schema_name"), "Main");
	cr_assert(json_is_true(jget(ds, "is_default")), "is_default: %s", r->body);

	r = api(w.tok_prod, "GET", "/api/data_sources", NULL);
	expect_status(r, 200);
	cr_assert_eq(json_array_size(jget(r->json, "data_sources")), 1, "%s", r->body);
	cr_assert(id_eq(jget(r->json, "data_sources.0.id"), w.ds_prod), "%s", r->body);
}

VTEST(tour, admin_views_of_the_groups)
{
	struct world w;
	struct resp *r;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "acme-1"));
	r = adm("GET", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, w.grp_test), NULL);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "id"), w.grp_test);
	cr_assert_str_eq(jstr(r->json, "name"), "Testing");
	cr_assert_eq(jint(r->json, "customer_count"), 1, "%s", r->body);
	cr_assert_eq(jint(r->json, "token_count"), 2, "%s", r->body);
	cr_assert_eq(json_array_size(jget(r->json, "data_sources")), 1, "%s", r->body);
	cr_assert_eq(jint(r->json, "data_sources.0.id"), w.ds_test, "%s", r->body);
	cr_assert(json_is_true(jget(r->json, "data_sources.0.is_default")), "%s", r->body);
	cr_assert_str_eq(jstr(r->json, "data_sources.0.schema_name"), "Main");

	r = adm("GET", "/admin/api/groups", NULL);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "total_count"), 2, "%s", r->body);
}
