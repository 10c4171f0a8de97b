/*
 * test_hierarchy — parents and levels (a parent sits at a strictly higher
 * level, in the same group), the computed mapping in rule 4's order (own →
 * parent's computed → group default → team default if a member → none),
 * computed_properties merged down the ancestry, the v1 list filters, and
 * deletion taking the descendants along.
 */
#include <string.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;

/* Levels Region > Enterprise > Customer, above whatever the team has. */
static void make_levels(void)
{
	json_int_t base = level_rank("Customer");

	cr_assert_geq(base, 0, "a new team must have the level \"Customer\"");
	mk_level("Enterprise", base + 10);
	mk_level("Region", base + 20);
}

static json_t *mk_at(const char *id, const char *level, const char *parent)
{
	json_t *body = J("{s:s, s:s}", "provided_id", id, "hierarchy_level_name", level);

	if (parent)
		json_object_set_new(body, "parent_provided_id", json_string(parent));
	return mk_customer(w.tok_test, body);
}

VTEST(hierarchy, parent_must_be_at_a_higher_level)
{
	const char *before;
	json_t *c;

	world_tour(&w);
	make_levels();
	mk_at("ent", "Enterprise", NULL);
	c = mk_at("cust", "Customer", "ent");
	cr_assert_str_eq(level_of(c), "Customer");
	mk_at("cust-2", "Customer", NULL);

	before = db_dump();
	expect_error(api(w.tok_test, "POST", "/api/create_customer/",
	                 J("{s:s, s:s, s:s}", "provided_id", "same", "hierarchy_level_name",
	                   "Enterprise", "parent_provided_id", "ent")),
	             400, "invalid_parent");
	expect_error(api(w.tok_test, "POST", "/api/create_customer/",
	                 J("{s:s, s:s, s:s}", "provided_id", "upside", "hierarchy_level_name",
	                   "Region", "parent_provided_id", "cust")),
	             400, "invalid_parent");
	expect_error(api(w.tok_test, "POST", "/api/create_customer/",
	                 J("{s:s, s:s, s:s}", "provided_id", "orphan", "hierarchy_level_name",
	                   "Customer", "parent_provided_id", "no-such-parent")),
	             400, "invalid_parent");
	expect_error(api(w.tok_test, "POST", "/api/update_customer/",
	                 J("{s:s, s:s}", "provided_id", "ent", "parent_provided_id", "cust-2")),
	             400, "invalid_parent");
	expect_error(api(w.tok_test, "POST", "/api/update_customer/",
	                 J("{s:s, s:s}", "provided_id", "ent", "parent_provided_id", "ent")),
	             400, "invalid_parent");
	expect_db_unchanged(before, "refused parents");
}

VTEST(hierarchy, parent_can_be_set_by_update)
{
	world_tour(&w);
	make_levels();
	mk_at("ent", "Enterprise", NULL);
	mk_at("cust", "Customer", NULL);
	expect_status(api(w.tok_test, "POST", "/api/update_customer/",
	                  J("{s:s, s:s}", "provided_id", "cust", "parent_provided_id", "ent")),
	              200);
	expect_status(api(w.tok_test, "POST", "/api/update_customer/",
	                  J("{s:s, s:{s:i}}", "provided_id", "ent", "properties", "x", 1)),
	              200);
	cr_assert_str_eq(jdump(jget(get_customer(w.tok_test, "cust"), "computed_properties")),
	                 "{\"x\":1}", "the child does not inherit from its new parent");
}

VTEST(hierarchy, parent_must_be_in_the_same_group)
{
	struct resp *other, *missing;

	world_tour(&w);
	make_levels();
	mk_customer(w.tok_prod, J("{s:s, s:s}", "provided_id", "prod-ent", "hierarchy_level_name",
	                          "Enterprise"));
	other = api(w.tok_test, "POST", "/api/create_customer/",
	            J("{s:s, s:s, s:s}", "provided_id", "kid", "hierarchy_level_name", "Customer",
	              "parent_provided_id", "prod-ent"));
	missing = api(w.tok_test, "POST", "/api/create_customer/",
	              J("{s:s, s:s, s:s}", "provided_id", "kid", "hierarchy_level_name", "Customer",
	                "parent_provided_id", "nobody-here"));
	expect_status(missing, 400);
	expect_hidden(other, missing, "prod-ent", "nobody-here");
}

/* Rule 4, one step at a time on a three-level family. */
VTEST(hierarchy, computed_mapping_follows_rule_4)
{
	json_int_t g_def, t_def, own, par, outside;

	world_tour(&w);
	make_levels();
	g_def = w.ds_test;
	t_def = mk_ds("Team default", w.schema);
	own = mk_ds("Own", w.schema);
	par = mk_ds("Parent's", w.schema);
	outside = mk_ds("Outside", w.schema);
	group_add_ds(w.grp_test, t_def);
	group_add_ds(w.grp_test, own);
	group_add_ds(w.grp_test, par);
	schema_set_default(w.schema, t_def);
	mk_at("region", "Region", NULL);
	mk_at("ent", "Enterprise", "region");
	mk_at("cust", "Customer", "ent");

	/* No mapping anywhere: the group's default. */
	expect_computed(get_customer(w.tok_test, "cust"), map1(w.schema, g_def));

	/* No group default: the team default, which is a member. */
	expect_status(
	    adm("DELETE",
	        fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/defaults/%" JSON_INTEGER_FORMAT,
	            w.grp_test, w.schema),
	        NULL),
	    200);
	expect_computed(get_customer(w.tok_test, "cust"), map1(w.schema, t_def));

	/* A team default outside the group: none. */
	schema_set_default(w.schema, outside);
	expect_computed(get_customer(w.tok_test, "cust"), json_object());
	expect_computed(get_customer(w.tok_test, "region"), json_object());

	/* The grandparent's own mapping reaches the grandchild. */
	expect_status(api(w.tok_test, "POST", "/api/update_customer/",
	                  J("{s:s, s:o}", "provided_id", "region", "mapping", map1(w.schema, par))),
	              200);
	expect_computed(get_customer(w.tok_test, "ent"), map1(w.schema, par));
	expect_computed(get_customer(w.tok_test, "cust"), map1(w.schema, par));

	/* The group default does not override an inherited mapping. */
	group_set_default(w.grp_test, w.schema, g_def);
	expect_computed(get_customer(w.tok_test, "cust"), map1(w.schema, par));

	/* The customer's own mapping wins over everything. */
	expect_status(api(w.tok_test, "POST", "/api/update_customer/",
	                  J("{s:s, s:o}", "provided_id", "cust", "mapping", map1(w.schema, own))),
	              200);
	expect_computed(get_customer(w.tok_test, "cust"), map1(w.schema, own));
	expect_computed(get_customer(w.tok_test, "ent"), map1(w.schema, par));
	cr_assert_str_eq(
	    mapping_text(jget(get_customer(w.tok_test, "ent"), "parent_schema_datasource_mapping")),
	    "{}", "the parent's own mapping changed");
}

VTEST(hierarchy, computed_mapping_per_schema)
{
	json_int_t s2, a2;
	json_t *c, *want;

	world_tour(&w);
	make_levels();
	s2 = mk_schema("Analytics");
	a2 = mk_ds("Analytics test", s2);
	group_add_ds(w.grp_test, a2);
	mk_customer(w.tok_test, J("{s:s, s:s, s:o}", "provided_id", "ent", "hierarchy_level_name",
	                          "Enterprise", "mapping", map1(s2, a2)));
	c = mk_at("cust", "Customer", "ent");
	want = map1(w.schema, w.ds_test);
	json_object_set_new(want, ids(s2), json_string(ids(a2)));
	expect_computed(c, want);
}

VTEST(hierarchy, computed_properties_merge_down)
{
	json_t *c;

	world_tour(&w);
	make_levels();
	mk_customer(w.tok_test,
	            J("{s:s, s:s, s:{s:i, s:s}}", "provided_id", "region", "hierarchy_level_name",
	              "Region", "properties", "a", 1, "b", "region"));
	mk_customer(w.tok_test, J("{s:s, s:s, s:s, s:{s:s, s:i}}", "provided_id", "ent",
	                          "hierarchy_level_name", "Enterprise", "parent_provided_id",
	                          "region", "properties", "b", "ent", "c", 2));
	c = mk_customer(w.tok_test, J("{s:s, s:s, s:s, s:{s:i, s:i}}", "provided_id", "cust",
	                              "hierarchy_level_name", "Customer", "parent_provided_id",
	                              "ent", "properties", "c", 3, "d", 4));
	cr_assert_str_eq(jdump(jget(c, "properties")), "{\"c\":3,\"d\":4}", "own properties");
	cr_assert_str_eq(jdump(jget(c, "computed_properties")),
	                 "{\"a\":1,\"b\":\"ent\",\"c\":3,\"d\":4}", "merged properties");
	c = get_customer(w.tok_test, "ent");
	cr_assert_str_eq(jdump(jget(c, "computed_properties")), "{\"a\":1,\"b\":\"ent\",\"c\":2}");

	/* A change up the tree shows below at once. */
	api(w.tok_test, "POST", "/api/update_customer/",
	    J("{s:s, s:{s:i, s:s, s:i}}", "provided_id", "region", "properties", "a", 9, "b",
	      "region", "z", 26));
	c = get_customer(w.tok_test, "cust");
	cr_assert_str_eq(jdump(jget(c, "computed_properties")),
	                 "{\"a\":9,\"b\":\"ent\",\"c\":3,\"d\":4,\"z\":26}");
}

static const char *listed_ids(const char *query)
{
	struct resp *r = api(w.tok_test, "GET", fmt("/api/customers/?%s", query), NULL);
	json_t *list = jget(r->json, "customers");
	const char *out = "";

	expect_status(r, 200);
	for (size_t i = 0; i < json_array_size(list); i++)
		out =
		    fmt("%s%s%s", out, i ? "," : "", jstr(json_array_get(list, i), "provided_id"));
	return out;
}

VTEST(hierarchy, list_filters)
{
	world_tour(&w);
	make_levels();
	mk_at("ent-a", "Enterprise", NULL);
	mk_at("ent-b", "Enterprise", NULL);
	mk_at("a-1", "Customer", "ent-a");
	mk_at("a-2", "Customer", "ent-a");
	mk_at("b-1", "Customer", "ent-b");
	mk_at("loner", "Customer", NULL);

	cr_assert_str_eq(listed_ids("parent_provided_id=ent-a"), "a-1,a-2");
	cr_assert_str_eq(listed_ids("parent_provided_id=ent-b"), "b-1");
	cr_assert_str_eq(listed_ids("hierarchy_level_name=Enterprise"), "ent-a,ent-b");
	cr_assert_str_eq(listed_ids("hierarchy_level_name=Customer"), "a-1,a-2,b-1,loner");
	cr_assert_str_eq(listed_ids("hierarchy_level_name=Customer&parent_provided_id=ent-a"),
	                 "a-1,a-2");
	cr_assert_str_eq(listed_ids("hierarchy_level_name=Region"), "");
}

VTEST(hierarchy, delete_takes_the_descendants)
{
	struct resp *r;

	world_tour(&w);
	make_levels();
	mk_at("region", "Region", NULL);
	mk_at("ent", "Enterprise", "region");
	mk_at("cust", "Customer", "ent");
	mk_at("other-ent", "Enterprise", NULL);
	mk_at("other-cust", "Customer", "other-ent");
	r = api(w.tok_test, "POST", "/api/delete_customer/", J("{s:s}", "provided_id", "region"));
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "deleted"), 3, "deleted count: %s", r->body);
	cr_assert_null(get_customer(w.tok_test, "region"));
	cr_assert_null(get_customer(w.tok_test, "ent"), "a child survived its parent");
	cr_assert_null(get_customer(w.tok_test, "cust"), "a grandchild survived");
	cr_assert_not_null(get_customer(w.tok_test, "other-ent"));
	cr_assert_not_null(get_customer(w.tok_test, "other-cust"));
	cr_assert_eq(db_count("customers"), 2);
}

VTEST(hierarchy, null_parent_detaches)
{
	json_t *c;

	world_tour(&w);
	make_levels();
	mk_customer(w.tok_test,
	            J("{s:s, s:s, s:{s:i}}", "provided_id", "ent", "hierarchy_level_name",
	              "Enterprise", "properties", "inherited", 1));
	mk_at("cust", "Customer", "ent");
	expect_status(api(w.tok_test, "POST", "/api/update_customer/",
	                  J("{s:s, s:n}", "provided_id", "cust", "parent_provided_id")),
	              200);
	c = get_customer(w.tok_test, "cust");
	cr_assert_str_eq(jdump(jget(c, "computed_properties")), "{}", "still inherits: %s",
	                 jdump(c));
	cr_assert_str_eq(listed_ids("parent_provided_id=ent"), "");
	expect_status(
	    api(w.tok_test, "POST", "/api/delete_customer/", J("{s:s}", "provided_id", "ent")),
	    200);
	cr_assert_not_null(get_customer(w.tok_test, "cust"),
	                   "a detached child went with its parent");
}

/* Changing a level must not put a child at or above its parent. */
VTEST(hierarchy, level_changes_keep_parents_higher)
{
	const char *before;

	world_tour(&w);
	make_levels();
	mk_at("ent", "Enterprise", NULL);
	mk_at("cust", "Customer", "ent");
	before = db_dump();
	expect_error(api(w.tok_test, "POST", "/api/update_customer/",
	                 J("{s:s, s:s}", "provided_id", "cust", "hierarchy_level_name", "Region")),
	             400, "invalid_parent");
	expect_error(
	    api(w.tok_test, "POST", "/api/update_customer/",
	        J("{s:s, s:s}", "provided_id", "cust", "hierarchy_level_name", "Enterprise")),
	    400, "invalid_parent");
	expect_status(
	    api(w.tok_test, "POST", "/api/update_customer/",
	        J("{s:s, s:s}", "provided_id", "ent", "hierarchy_level_name", "Customer")),
	    400);
	expect_db_unchanged(before, "level changes that would invert the hierarchy");
	/* Moving the parent up keeps the order and is allowed. */
	expect_status(api(w.tok_test, "POST", "/api/update_customer/",
	                  J("{s:s, s:s}", "provided_id", "ent", "hierarchy_level_name", "Region")),
	              200);
}

/* Re-ranking a level must not invert the customers sitting at it. */
VTEST(hierarchy, reranking_levels_keeps_parents_higher)
{
	json_int_t ent;
	const char *before;
	struct resp *r;

	world_tour(&w);
	ent = mk_level("Enterprise", level_rank("Customer") + 10);
	mk_at("ent", "Enterprise", NULL);
	mk_at("cust", "Customer", "ent");
	before = db_dump();
	r = adm("PATCH", fmt("/admin/api/hierarchy_levels/%" JSON_INTEGER_FORMAT, ent),
	        J("{s:I}", "rank", level_rank("Customer") - 10));
	cr_assert(r->status >= 400 && r->status < 500,
	          "re-ranking put a parent below its child: %ld %s", r->status, r->body);
	expect_db_unchanged(before, "a re-ranking that would invert the hierarchy");
}

/* Raising a child's level above its parent is refused too: otherwise the
 * parent could then take its own child as parent, a cycle. */
VTEST(hierarchy, raising_a_level_above_a_parent_is_refused)
{
	json_int_t customer = 0;
	const char *before;
	json_t *levels;
	size_t i;

	world_tour(&w);
	mk_level("Enterprise", level_rank("Customer") + 10);
	mk_at("ent", "Enterprise", NULL);
	mk_at("cust", "Customer", "ent");
	levels = jget(adm("GET", "/admin/api/hierarchy_levels", NULL)->json, "items");
	for (i = 0; i < json_array_size(levels); i++) {
		if (strcmp(jstr(json_array_get(levels, i), "name"), "Customer") == 0)
			customer = jint(json_array_get(levels, i), "id");
	}
	before = db_dump();
	expect_error(adm("PATCH",
	                 fmt("/admin/api/hierarchy_levels/%" JSON_INTEGER_FORMAT, customer),
	                 J("{s:I}", "rank", level_rank("Customer") + 20)),
	             409, "level_order_conflict");
	expect_db_unchanged(before, "a re-ranking that would put a child above its parent");
	expect_error(api(w.tok_test, "POST", "/api/update_customer/",
	                 J("{s:s, s:s}", "provided_id", "ent", "parent_provided_id", "cust")),
	             400, "invalid_parent");
	expect_status(
	    api(w.tok_test, "POST", "/api/delete_customer/", J("{s:s}", "provided_id", "ent")),
	    200);
}
