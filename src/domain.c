/*
 * domain — the data visibility rules, as pure functions.
 */
#include "domain.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

static const char *const role_names[] = {"viewer", "editor", "publisher", "admin"};

void mapping_init(struct mapping *m)
{
	memset(m, 0, sizeof(*m));
}

void mapping_free(struct mapping *m)
{
	free(m->v);
	mapping_init(m);
}

void mapping_put(struct mapping *m, int64_t schema_id, int64_t ds_id)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].schema_id == schema_id) {
			m->v[i].ds_id = ds_id;
			return;
		}
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
	}
	m->v[m->n].schema_id = schema_id;
	m->v[m->n].ds_id = ds_id;
	m->n++;
}

int64_t mapping_get(const struct mapping *m, int64_t schema_id)
{
	for (size_t i = 0; m && i < m->n; i++) {
		if (m->v[i].schema_id == schema_id)
			return m->v[i].ds_id;
	}
	return 0;
}

static int64_t pairs_find(const struct pair *v, size_t n, int64_t schema_id)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].schema_id == schema_id)
			return v[i].ds_id;
	}
	return 0;
}

bool domain_is_member(const struct group_view *g, int64_t ds_id, int64_t *schema_id)
{
	for (size_t i = 0; i < g->n_members; i++) {
		if (g->members[i].ds_id == ds_id) {
			if (schema_id)
				*schema_id = g->members[i].schema_id;
			return true;
		}
	}
	return false;
}

bool domain_mapping_allowed(const struct group_view *g, const struct mapping *m,
                            int64_t *bad_schema)
{
	for (size_t i = 0; i < m->n; i++) {
		int64_t schema = 0;

		if (!domain_is_member(g, m->v[i].ds_id, &schema) || schema != m->v[i].schema_id) {
			*bad_schema = m->v[i].schema_id;
			return false;
		}
	}
	return true;
}

static void consider(const struct group_view *g, const struct mapping *own,
                     const struct mapping *parent, int64_t schema, struct mapping *out)
{
	int64_t ds = mapping_get(own, schema);

	if (mapping_get(out, schema))
		return;
	if (!ds)
		ds = mapping_get(parent, schema);
	if (!ds)
		ds = pairs_find(g->defaults, g->n_defaults, schema);
	if (!ds) {
		ds = pairs_find(g->team_defaults, g->n_team_defaults, schema);
		if (ds && !domain_is_member(g, ds, NULL))
			ds = 0;
	}
	if (ds)
		mapping_put(out, schema, ds);
}

void domain_compute_mapping(const struct group_view *g, const struct mapping *own,
                            const struct mapping *parent, struct mapping *out)
{
	for (size_t i = 0; own && i < own->n; i++)
		consider(g, own, parent, own->v[i].schema_id, out);
	for (size_t i = 0; parent && i < parent->n; i++)
		consider(g, own, parent, parent->v[i].schema_id, out);
	for (size_t i = 0; i < g->n_defaults; i++)
		consider(g, own, parent, g->defaults[i].schema_id, out);
	for (size_t i = 0; i < g->n_team_defaults; i++)
		consider(g, own, parent, g->team_defaults[i].schema_id, out);
}

void domain_move_conflicts(const struct group_view *target, const struct mapping *own,
                           struct mapping *out)
{
	for (size_t i = 0; i < own->n; i++) {
		int64_t schema = 0;

		if (!domain_is_member(target, own->v[i].ds_id, &schema) ||
		    schema != own->v[i].schema_id)
			mapping_put(out, own->v[i].schema_id, own->v[i].ds_id);
	}
}

bool domain_default_allowed(const struct group_view *g, int64_t schema_id, int64_t ds_id)
{
	int64_t schema = 0;

	return domain_is_member(g, ds_id, &schema) && schema == schema_id;
}

bool domain_role_allows(enum role role, enum need need)
{
	return (int)role >= (int)need;
}

bool domain_parse_role(const char *s, enum role *out)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum role)i;
			return true;
		}
	}
	return false;
}

const char *domain_role_name(enum role role)
{
	return role_names[role];
}

bool domain_parent_allowed(int64_t parent_rank, int64_t child_rank)
{
	return parent_rank > child_rank;
}
