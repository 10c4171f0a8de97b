/*
 * test_mapping — rules 3 and 6: a mapping may name only data sources that
 * are members of the customer's group and belong to the named schema; any
 * other entry is refused with 400 mapping_outside_group naming the schema,
 * on create, update and through the admin API, with nothing written.
 * Moving a customer to another group re-checks its mapping: conflicts are
 * answered 409 with the list, unless the request drops them.
 */
#include <string.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;
static json_int_t s2, an_test, an_prod; /* schema "Analytics" and a source per group */

/* {"<sa>": "<da>", "<sb>": "<db>"} */
static json_t *map2(json_int_t sa, json_int_t da, json_int_t sb, json_int_t db)
{
	json_t *m = map1(sa, da);

	json_object_set_new(m, ids(sb), json_string(ids(db)));
	return m;
}

static void setup(void)
{
	world_tour(&w);
	s2 = mk_schema("Analytics");
	an_test = mk_ds("Analytics test", s2);
	an_prod = mk_ds("Analytics prod", s2);
	group_add_ds(w.grp_test, an_test);
	group_add_ds(w.grp_prod, an_prod);
}

/* 400 mapping_outside_group naming the schema, as a string. */
#define expect_outside(r, schema)                                                                  \
	do {                                                                                       \
		const struct resp *eo_r_ = (r);                                                    \
		json_int_t eo_s_ = (schema);                                                       \
		expect_error(eo_r_, 400, "mapping_outside_group");                                 \
		cr_assert(id_eq(jget(eo_r_->json, "schema_id"), eo_s_),                            \
		          "schema_id must name %" JSON_INTEGER_FORMAT ": %s", eo_s_, eo_r_->body); \
		cr_assert(json_is_string(jget(eo_r_->json, "schema_id")),                          \
		          "schema_id must be a string: %s", eo_r_->body);                          \
	} while (0)

static struct resp *create(json_t *mapping)
{
	return api(w.tok_test, "POST", "/api/create_customer/",
	           J("{s:s, s:o}", "provided_id", "m-1", "mapping", mapping));
}

VTEST(mapping, create_outside_the_group)
{
	const char *before;
	setup();
	before = db_dump();
	expect_outside(create(map1(w.schema, w.ds_prod)), w.schema);
	expect_outside(create(J("{s:I}", ids(w.schema), w.ds_prod)), w.schema);
	/* A member of the group, but of another schema. */
	expect_outside(create(map1(w.schema, an_test)), w.schema);
	expect_outside(create(map1(s2, w.ds_test)), s2);
	/* A data source that does not exist. */
	expect_outside(create(map1(w.schema, 999999)), w.schema);
	/* One good entry does not let a bad one through. */
	expect_outside(create(map2(w.schema, w.ds_test, s2, an_prod)), s2);
	expect_db_unchanged(before, "refused mappings on create");
}

VTEST(mapping, create_with_unknown_schema)
{
	const char *before;
	struct resp *r;

	setup();
	before = db_dump();
	r = create(J("{s:s}", "999999", ids(w.ds_test)));
	expect_outside(r, 999999);
	r = create(J("{s:s}", "not-a-number", ids(w.ds_test)));
	expect_status(r, 400);
	r = create(J("{s:b}", ids(w.schema), 1));
	expect_error(r, 400, "wrong_type");
	expect_db_unchanged(before, "malformed mappings");
}

VTEST(mapping, create_inside_the_group)
{
	json_t *two, *c;

	setup();
	two = jkeep(map2(w.schema, w.ds_test, s2, an_test));
	c = mk_customer(w.tok_test, J("{s:s, s:O}", "provided_id", "m-1", "mapping", two));
	cr_assert_str_eq(mapping_text(jget(c, "parent_schema_datasource_mapping")),
	                 mapping_text(two));
	c = mk_customer(w.tok_test, J("{s:s, s:n}", "provided_id", "m-null", "mapping"));
	cr_assert_str_eq(mapping_text(jget(c, "parent_schema_datasource_mapping")), "{}");
}

VTEST(mapping, update_outside_the_group)
{
	const char *before;

	setup();
	mk_customer(w.tok_test,
	            J("{s:s, s:o}", "provided_id", "m-1", "mapping", map1(w.schema, w.ds_test)));
	before = db_dump();
	expect_outside(
	    api(w.tok_test, "POST", "/api/update_customer/",
	        J("{s:s, s:o}", "provided_id", "m-1", "mapping", map1(w.schema, w.ds_prod))),
	    w.schema);
	expect_outside(api(w.tok_test, "POST", "/api/update_customer/",
	                   J("{s:s, s:s, s:o}", "provided_id", "m-1", "name", "also refused",
	                     "mapping", map1(s2, an_prod))),
	               s2);
	expect_db_unchanged(before, "refused mappings on update");
	cr_assert_str_eq(jstr(get_customer(w.tok_test, "m-1"), "name"), "m-1");
}

VTEST(mapping, update_with_null_clears)
{
	json_t *c;

	setup();
	mk_customer(w.tok_test,
	            J("{s:s, s:o}", "provided_id", "m-1", "mapping", map1(s2, an_test)));
	expect_status(api(w.tok_test, "POST", "/api/update_customer/",
	                  J("{s:s, s:n}", "provided_id", "m-1", "mapping")),
	              200);
	c = get_customer(w.tok_test, "m-1");
	cr_assert_str_eq(mapping_text(jget(c, "parent_schema_datasource_mapping")), "{}");
	expect_computed(c, map1(w.schema, w.ds_test));
}

VTEST(mapping, admin_create_and_patch_outside_the_group)
{
	const char *before;
	json_int_t id;
	struct resp *r;

	setup();
	before = db_dump();
	r = adm("POST", "/admin/api/customers",
	        J("{s:I, s:s, s:o}", "group_id", w.grp_test, "provided_id", "a-1", "mapping",
	          map1(w.schema, w.ds_prod)));
	expect_outside(r, w.schema);
	expect_db_unchanged(before, "admin create with an outside mapping");

	r = adm("POST", "/admin/api/customers",
	        J("{s:I, s:s, s:o}", "group_id", w.grp_test, "provided_id", "a-1", "mapping",
	          map1(w.schema, w.ds_test)));
	expect_status(r, 201);
	id = jint(r->json, "id");
	before = db_dump();
	r = adm("PATCH", fmt("/admin/api/customers/%" JSON_INTEGER_FORMAT, id),
	        J("{s:o}", "mapping", map1(s2, an_prod)));
	expect_outside(r, s2);
	expect_db_unchanged(before, "admin update with an outside mapping");
}

static struct resp *move(json_int_t id, json_int_t group, int drop)
{
	json_t *body = J("{s:I}", "group_id", group);

	if (drop)
		json_object_set_new(body, "drop_mappings", json_true());
	return adm("PATCH", fmt("/admin/api/customers/%" JSON_INTEGER_FORMAT, id), body);
}

VTEST(mapping, move_reports_conflicts)
{
	const char *before;
	json_int_t id;
	struct resp *r;

	setup();
	mk_customer(w.tok_test, J("{s:s, s:o}", "provided_id", "mover", "mapping",
	                          map2(w.schema, w.ds_test, s2, an_test)));
	id = customer_admin_id(w.grp_test, "mover");

	before = db_dump();
	r = move(id, w.grp_prod, 0);
	expect_error(r, 409, "mapping_conflict");
	cr_assert(json_is_object(jget(r->json, "conflicts")), "no conflicts object: %s", r->body);
	cr_assert(id_eq(jget(r->json, fmt("conflicts.%s", ids(w.schema))), w.ds_test),
	          "conflicts must list %s → %s: %s", ids(w.schema), ids(w.ds_test), r->body);
	cr_assert(id_eq(jget(r->json, fmt("conflicts.%s", ids(s2))), an_test),
	          "conflicts must list %s → %s: %s", ids(s2), ids(an_test), r->body);
	cr_assert_eq(json_object_size(jget(r->json, "conflicts")), 2, "%s", r->body);
	expect_db_unchanged(before, "a refused move");
	cr_assert_not_null(get_customer(w.tok_test, "mover"));
	cr_assert_null(get_customer(w.tok_prod, "mover"));
}

VTEST(mapping, move_with_drop_mappings)
{
	json_int_t id;
	struct resp *r;
	json_t *c;

	setup();
	mk_customer(w.tok_test,
	            J("{s:s, s:o}", "provided_id", "mover", "mapping", map1(w.schema, w.ds_test)));
	id = customer_admin_id(w.grp_test, "mover");
	r = move(id, w.grp_prod, 1);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "group_id"), w.grp_prod, "%s", r->body);
	cr_assert_null(get_customer(w.tok_test, "mover"), "Testing still sees the moved customer");
	c = get_customer(w.tok_prod, "mover");
	cr_assert_not_null(c, "Production does not see the moved customer");
	cr_assert_str_eq(jstr(c, "access_group"), "Production");
	cr_assert_str_eq(mapping_text(jget(c, "parent_schema_datasource_mapping")), "{}");
	expect_computed(c, map1(w.schema, w.ds_prod));
}

VTEST(mapping, move_keeps_a_shared_source)
{
	json_int_t shared, id;
	json_t *c;

	setup();
	shared = mk_ds("Shared", w.schema);
	group_add_ds(w.grp_test, shared);
	group_add_ds(w.grp_prod, shared);
	mk_customer(w.tok_test,
	            J("{s:s, s:o}", "provided_id", "mover", "mapping", map1(w.schema, shared)));
	id = customer_admin_id(w.grp_test, "mover");
	expect_status(move(id, w.grp_prod, 0), 200);
	c = get_customer(w.tok_prod, "mover");
	cr_assert_not_null(c);
	cr_assert_str_eq(mapping_text(jget(c, "parent_schema_datasource_mapping")),
	                 mapping_text(map1(w.schema, shared)));
}

VTEST(mapping, move_onto_a_taken_provided_id)
{
	const char *before;
	json_int_t id;

	setup();
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "twin"));
	mk_customer(w.tok_prod, J("{s:s}", "provided_id", "twin"));
	id = customer_admin_id(w.grp_test, "twin");
	before = db_dump();
	expect_error(move(id, w.grp_prod, 1), 409, "already_exists");
	expect_db_unchanged(before, "a move onto a taken provided_id");
}

/* A customer with a parent or children cannot change group alone. */
VTEST(mapping, move_with_family_is_refused)
{
	const char *before;
	json_int_t parent, child;
	struct resp *r;

	setup();
	mk_level("Enterprise", level_rank("Customer") + 10);
	mk_customer(w.tok_test,
	            J("{s:s, s:s}", "provided_id", "parent", "hierarchy_level_name", "Enterprise"));
	mk_customer(w.tok_test,
	            J("{s:s, s:s}", "provided_id", "child", "parent_provided_id", "parent"));
	parent = customer_admin_id(w.grp_test, "parent");
	child = customer_admin_id(w.grp_test, "child");
	before = db_dump();
	r = move(parent, w.grp_prod, 1);
	cr_assert_eq(r->status, 409, "moving a parent alone: %ld %s", r->status, r->body);
	r = move(child, w.grp_prod, 1);
	cr_assert_eq(r->status, 409, "moving a child alone: %ld %s", r->status, r->body);
	expect_db_unchanged(before, "moves that would split a family across groups");
}
