/*
 * Unit tests of domain.c: the rules of DESIGN.md §2 as pure functions.
 */
#include <criterion/criterion.h>

#include "domain.h"

/* Group 7 holds ds 10 and 11 (schema 1) and ds 20 (schema 2); its default
 * for schema 1 is ds 11. Team defaults: schema 1 → 10, schema 2 → 20,
 * schema 3 → 30 (30 is not in the group). */
static struct pair members[] = {{1, 10}, {1, 11}, {2, 20}};
static struct pair defaults[] = {{1, 11}};
static struct pair team_defaults[] = {{1, 10}, {2, 20}, {3, 30}};

static const struct group_view group = {
    .id = 7,
    .members = members,
    .n_members = 3,
    .defaults = defaults,
    .n_defaults = 1,
    .team_defaults = team_defaults,
    .n_team_defaults = 3,
};

static struct group_view empty_group(void)
{
	struct group_view g = {.id = 8};

	return g;
}

Test(mapping, put_replaces_the_entry_of_a_schema)
{
	struct mapping m;

	mapping_init(&m);
	mapping_put(&m, 1, 10);
	mapping_put(&m, 1, 11);
	cr_expect_eq(m.n, 1);
	cr_expect_eq(mapping_get(&m, 1), 11);
	cr_expect_eq(mapping_get(&m, 2), 0);
	mapping_free(&m);
}

Test(rule3, mapping_to_members_of_the_named_schema_is_allowed)
{
	struct mapping m;
	int64_t bad = 0;

	mapping_init(&m);
	mapping_put(&m, 1, 10);
	mapping_put(&m, 2, 20);
	cr_expect(domain_mapping_allowed(&group, &m, &bad));
	mapping_free(&m);
}

Test(rule3, data_source_outside_the_group_is_refused_naming_the_schema)
{
	struct mapping m;
	int64_t bad = 0;

	mapping_init(&m);
	mapping_put(&m, 1, 10);
	mapping_put(&m, 3, 30);
	cr_expect_not(domain_mapping_allowed(&group, &m, &bad));
	cr_expect_eq(bad, 3);
	mapping_free(&m);
}

Test(rule3, member_of_another_schema_is_refused)
{
	struct mapping m;
	int64_t bad = 0;

	mapping_init(&m);
	mapping_put(&m, 2, 10); /* ds 10 belongs to schema 1 */
	cr_expect_not(domain_mapping_allowed(&group, &m, &bad));
	cr_expect_eq(bad, 2);
	mapping_free(&m);
}

Test(rule4, own_mapping_wins_over_everything)
{
	struct mapping own, parent, out;

	mapping_init(&own);
	mapping_init(&parent);
	mapping_init(&out);
	mapping_put(&own, 1, 10);
	mapping_put(&parent, 1, 11);
	domain_compute_mapping(&group, &own, &parent, &out);
	cr_expect_eq(mapping_get(&out, 1), 10);
	mapping_free(&own);
	mapping_free(&parent);
	mapping_free(&out);
}

Test(rule4, parent_computed_mapping_comes_before_group_default)
{
	struct mapping own, parent, out;

	mapping_init(&own);
	mapping_init(&parent);
	mapping_init(&out);
	mapping_put(&parent, 1, 10);
	domain_compute_mapping(&group, &own, &parent, &out);
	cr_expect_eq(mapping_get(&out, 1), 10);
	mapping_free(&own);
	mapping_free(&parent);
	mapping_free(&out);
}

Test(rule4, group_default_then_team_default_if_member_then_none)
{
	struct mapping own, out;

	mapping_init(&own);
	mapping_init(&out);
	domain_compute_mapping(&group, &own, NULL, &out);
	cr_expect_eq(mapping_get(&out, 1), 11, "the group default beats the team default");
	cr_expect_eq(mapping_get(&out, 2), 20, "the team default applies when it is a member");
	cr_expect_eq(mapping_get(&out, 3), 0, "a team default outside the group is never used");
	mapping_free(&own);
	mapping_free(&out);
}

Test(rule4, empty_group_resolves_nothing)
{
	struct group_view g = empty_group();
	struct mapping own, out;

	g.team_defaults = team_defaults;
	g.n_team_defaults = 3;
	mapping_init(&own);
	mapping_init(&out);
	domain_compute_mapping(&g, &own, NULL, &out);
	cr_expect_eq(out.n, 0);
	mapping_free(&own);
	mapping_free(&out);
}

Test(rule5, default_must_be_a_member_of_that_schema)
{
	cr_expect(domain_default_allowed(&group, 1, 10));
	cr_expect_not(domain_default_allowed(&group, 2, 10), "member, but of another schema");
	cr_expect_not(domain_default_allowed(&group, 3, 30), "not a member");
}

Test(rule6, move_reports_entries_outside_the_target)
{
	struct pair target_members[] = {{1, 10}};
	struct group_view target = {.id = 9, .members = target_members, .n_members = 1};
	struct mapping own, conflicts;

	mapping_init(&own);
	mapping_init(&conflicts);
	mapping_put(&own, 1, 10);
	mapping_put(&own, 2, 20);
	domain_move_conflicts(&target, &own, &conflicts);
	cr_expect_eq(conflicts.n, 1);
	cr_expect_eq(mapping_get(&conflicts, 2), 20);
	mapping_free(&own);
	mapping_free(&conflicts);
}

Test(roles, each_role_may_do_what_the_ones_before_it_may)
{
	cr_expect(domain_role_allows(ROLE_VIEWER, NEED_READ));
	cr_expect_not(domain_role_allows(ROLE_VIEWER, NEED_EDIT));
	cr_expect(domain_role_allows(ROLE_EDITOR, NEED_EDIT));
	cr_expect_not(domain_role_allows(ROLE_EDITOR, NEED_DELETE));
	cr_expect(domain_role_allows(ROLE_PUBLISHER, NEED_DELETE));
	cr_expect_not(domain_role_allows(ROLE_PUBLISHER, NEED_ADMIN));
	cr_expect(domain_role_allows(ROLE_ADMIN, NEED_ADMIN));
}

Test(roles, names_round_trip_and_junk_is_refused)
{
	enum role r;

	cr_expect(domain_parse_role("publisher", &r));
	cr_expect_str_eq(domain_role_name(r), "publisher");
	cr_expect_not(domain_parse_role("root", &r));
	cr_expect_not(domain_parse_role("", &r));
}

Test(hierarchy, parent_must_sit_strictly_higher)
{
	cr_expect(domain_parent_allowed(2, 1));
	cr_expect_not(domain_parent_allowed(1, 1));
	cr_expect_not(domain_parent_allowed(0, 1));
}
