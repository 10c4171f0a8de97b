/*
 * domain — the rules of DESIGN.md §2 as pure functions: no I/O, no
 * allocation beyond the caller's arrays, no knowledge of HTTP or SQL.
 * Handlers load what a rule needs (a group's view, a mapping), ask here,
 * and act on the answer; unit tests exercise every branch directly.
 */
#ifndef VISOR_DOMAIN_H
#define VISOR_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One schema → data source entry. */
struct pair {
	int64_t schema_id;
	int64_t ds_id;
};

/* A mapping: at most one entry per schema, in any order. */
struct mapping {
	struct pair *v;
	size_t n;
	size_t cap;
};

/* What one data visibility group holds, as far as the rules need it. */
struct group_view {
	int64_t id;
	struct pair *members; /* data sources of the group with their schema */
	size_t n_members;
	struct pair *defaults; /* the group's default per schema */
	size_t n_defaults;
	struct pair *team_defaults; /* each schema's team-wide default */
	size_t n_team_defaults;
};

/* Roles, ordered: each may do what the ones before it may. */
enum role { ROLE_VIEWER, ROLE_EDITOR, ROLE_PUBLISHER, ROLE_ADMIN };

/* What a request wants to do, for the role check. */
enum need { NEED_READ, NEED_EDIT, NEED_DELETE, NEED_ADMIN };

void mapping_init(struct mapping *m);
void mapping_free(struct mapping *m);
/* Set (or replace) the entry of a schema. */
void mapping_put(struct mapping *m, int64_t schema_id, int64_t ds_id);
/* The data source of a schema, or 0. */
int64_t mapping_get(const struct mapping *m, int64_t schema_id);

/* Rule 5 ingredient: is ds a member of g? Its schema goes to *schema_id. */
bool domain_is_member(const struct group_view *g, int64_t ds_id, int64_t *schema_id);

/* Rule 3: every entry names a member of g that belongs to the named
 * schema. On the first entry that does not, false with *bad_schema set. */
bool domain_mapping_allowed(const struct group_view *g, const struct mapping *m,
                            int64_t *bad_schema);

/* Rule 4: the mapping a customer loads from. parent may be NULL. out must
 * be initialised and empty; the caller frees it. */
void domain_compute_mapping(const struct group_view *g, const struct mapping *own,
                            const struct mapping *parent, struct mapping *out);

/* Rule 6: the entries of own that would point outside target (into out). */
void domain_move_conflicts(const struct group_view *target, const struct mapping *own,
                           struct mapping *out);

/* Rule 5: may ds be g's default for schema_id? */
bool domain_default_allowed(const struct group_view *g, int64_t schema_id, int64_t ds_id);

/* Rule 2 and §4.3: may a role do what the request needs? */
bool domain_role_allows(enum role role, enum need need);
bool domain_parse_role(const char *s, enum role *out);
const char *domain_role_name(enum role role);

/* Hierarchy: may a customer at child_rank have a parent at parent_rank?
 * Only a strictly higher level may be a parent. */
bool domain_parent_allowed(int64_t parent_rank, int64_t child_rank);

#endif
