/*
 * store — Visor's data access, written once in the SQL subset that both
 * engines run. Each function is one step of a request's transaction; the
 * caller (the router) owns BEGIN and COMMIT.
 */
#include "store.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "util.h"

static enum store_rc rc_of(enum db_rc rc)
{
	return rc == DB_OK ? STORE_OK : rc == DB_CONSTRAINT ? STORE_CONFLICT : STORE_ERROR;
}

/* A write that must touch exactly one row: none means not found. */
static enum store_rc one_row(enum db_rc rc, int64_t changed)
{
	if (rc != DB_OK)
		return rc_of(rc);
	return changed > 0 ? STORE_OK : STORE_NOT_FOUND;
}

/* Run a write that must touch exactly one row: none means not found. */
static enum store_rc exec_one(struct db *db, const char *sql, const char *types, ...)
{
	int64_t n = 0;
	enum db_rc rc;
	va_list ap;

	va_start(ap, types);
	rc = db_vexec(db, &n, sql, types, ap);
	va_end(ap);
	return one_row(rc, n);
}

/* The first row of a query as a JSON object. */
static enum store_rc first_json(enum db_rc rc, json_t *rows, json_t **out)
{
	if (rc != DB_OK)
		return rc_of(rc);
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		return STORE_NOT_FOUND;
	}
	*out = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return STORE_OK;
}

/* found is read through a pointer: the order in which a call's arguments
 * are evaluated is unspecified, and db_scalar sets it. */
static enum store_rc inserted(enum db_rc rc, const bool *found)
{
	if (rc != DB_OK)
		return rc_of(rc);
	return *found ? STORE_OK : STORE_ERROR;
}

static enum store_rc count(struct db *db, int64_t *n, const char *sql, int64_t a, int64_t b)
{
	bool found = false;

	*n = 0;
	return rc_of(db_scalar(db, n, &found, sql, "ii", a, b));
}

/* credentials */

/* A token answers to its current secret, and to the one before a refresh
 * until the grace period ends. The matching hash comes back for the
 * constant-time compare. */
static const char token_by_hash[] =
    "SELECT id, team_id, group_id, permission, expires_at, hash, last_used_at "
    "FROM api_tokens WHERE hash = $1 "
    "UNION ALL SELECT id, team_id, group_id, permission, expires_at, previous_hash, "
    "last_used_at FROM api_tokens WHERE previous_hash = $1 AND previous_until > $2";

enum store_rc store_token_by_hash(struct db *db, const char *hash, struct cred *out)
{
	struct db_cur cur;
	enum store_rc rc = STORE_NOT_FOUND;

	if (db_query(db, &cur, token_by_hash, "ti", hash, util_now()) != DB_OK)
		return STORE_ERROR;
	if (db_next(&cur)) {
		out->id = db_int(&cur, 0);
		out->team_id = db_int(&cur, 1);
		out->group_id = db_int(&cur, 2);
		out->read_write = strcmp(db_text(&cur, 3), "read_write") == 0;
		out->expires_at = db_is_null(&cur, 4) ? 0 : db_int(&cur, 4);
		util_strlcpy(out->hash, db_text(&cur, 5), sizeof(out->hash));
		out->last_used_at = db_is_null(&cur, 6) ? 0 : db_int(&cur, 6);
		rc = STORE_OK;
	}
	if (cur.rc != DB_OK)
		rc = STORE_ERROR;
	db_done(&cur);
	return rc;
}

enum store_rc store_token_touch(struct db *db, int64_t id, int64_t now)
{
	return rc_of(db_exec(db, NULL, "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
	                     "ii", id, now));
}

enum store_rc store_admin_key_by_hash(struct db *db, const char *hash, struct cred *out)
{
	struct db_cur cur;
	enum store_rc rc = STORE_NOT_FOUND;

	if (db_query(db, &cur, "SELECT id, team_id, hash FROM admin_keys WHERE hash = $1", "t",
	             hash) != DB_OK)
		return STORE_ERROR;
	if (db_next(&cur)) {
		out->id = db_int(&cur, 0);
		out->team_id = db_int(&cur, 1);
		out->role = ROLE_ADMIN;
		util_strlcpy(out->hash, db_text(&cur, 2), sizeof(out->hash));
		rc = STORE_OK;
	}
	if (cur.rc != DB_OK)
		rc = STORE_ERROR;
	db_done(&cur);
	return rc;
}

enum store_rc store_member_login(struct db *db, const char *email, struct cred *out,
                                 char **password_hash)
{
	struct db_cur cur;
	enum store_rc rc = STORE_NOT_FOUND;

	if (db_query(db, &cur,
	             "SELECT id, team_id, role, password_hash FROM members WHERE email = $1", "t",
	             email) != DB_OK)
		return STORE_ERROR;
	if (db_next(&cur)) {
		out->id = db_int(&cur, 0);
		out->team_id = db_int(&cur, 1);
		if (!domain_parse_role(db_text(&cur, 2), &out->role))
			out->role = ROLE_VIEWER;
		*password_hash = xstrdup(db_text(&cur, 3));
		rc = STORE_OK;
	}
	db_done(&cur);
	return rc;
}

/* teams, members, admin keys */

enum store_rc store_team_create(struct db *db, const char *name, int64_t *id)
{
	bool found = false;

	return inserted(
	    db_scalar(db, id, &found,
	              "INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id", "ti",
	              name, util_now()),
	    &found);
}

enum store_rc store_team_token_policy(struct db *db, int64_t team, int64_t *max_life)
{
	bool found = false;
	enum db_rc rc = db_scalar(db, max_life, &found,
	                          "SELECT token_max_lifetime FROM teams WHERE id = $1", "i", team);

	if (rc != DB_OK)
		return rc_of(rc);
	return found ? STORE_OK : STORE_NOT_FOUND;
}

enum store_rc store_team_get(struct db *db, int64_t team, json_t **out)
{
	json_t *rows = NULL;
	enum db_rc rc = db_rows_json(db, &rows,
	                             "SELECT id, name, token_max_lifetime / 86400 AS "
	                             "token_max_lifetime_days, created_at FROM teams WHERE id = $1",
	                             "i", team);

	return first_json(rc, rows, out);
}

enum store_rc store_team_update(struct db *db, int64_t team, const char *name, bool set_life,
                                int64_t max_life)
{
	return exec_one(db,
	                "UPDATE teams SET name = COALESCE($2, name), token_max_lifetime = "
	                "CASE WHEN $3 = 1 THEN $4 ELSE token_max_lifetime END WHERE id = $1",
	                "itin", team, name, (int64_t)set_life, max_life);
}

enum store_rc store_member_create(struct db *db, int64_t team, const char *email, enum role role,
                                  const char *pw_hash, int64_t *id)
{
	bool found = false;

	return inserted(db_scalar(db, id, &found,
	                          "INSERT INTO members (team_id, email, role, password_hash, "
	                          "created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
	                          "ittti", team, email, domain_role_name(role), pw_hash,
	                          util_now()),
	                &found);
}

enum store_rc store_member_get(struct db *db, int64_t team, int64_t id, json_t **out)
{
	json_t *rows = NULL;
	enum db_rc rc = db_rows_json(
	    db, &rows,
	    "SELECT id, email, role, created_at FROM members WHERE team_id = $1 AND id = $2", "ii",
	    team, id);

	return first_json(rc, rows, out);
}

/* A page of rows and the count of all of them, for the admin lists. */
static enum store_rc page_of(struct db *db, const char *rows_sql, const char *count_sql,
                             int64_t team, struct page pg, json_t **items, int64_t *total)
{
	enum store_rc rc = count(db, total, count_sql, team, 0);

	if (rc != STORE_OK)
		return rc;
	return rc_of(db_rows_json(db, items, rows_sql, "iii", team, pg.limit, pg.offset));
}

enum store_rc store_member_list(struct db *db, int64_t team, struct page pg, json_t **items,
                                int64_t *total)
{
	return page_of(db,
	               "SELECT id, email, role, created_at FROM members WHERE team_id = $1 "
	               "ORDER BY id LIMIT $2 OFFSET $3",
	               "SELECT COUNT(*) FROM members WHERE team_id = $1 AND $2 = 0", team, pg,
	               items, total);
}

enum store_rc store_member_update(struct db *db, int64_t team, int64_t id, const char *role)
{
	return exec_one(db, "UPDATE members SET role = $3 WHERE team_id = $1 AND id = $2", "iit",
	                team, id, role);
}

enum store_rc store_member_delete(struct db *db, int64_t team, int64_t id)
{
	return exec_one(db, "DELETE FROM members WHERE team_id = $1 AND id = $2", "ii", team, id);
}

enum store_rc store_admin_key_create(struct db *db, int64_t team, const char *name,
                                     const char *hash, const char *head, const char *last4,
                                     int64_t *id)
{
	bool found = false;

	return inserted(db_scalar(db, id, &found,
	                          "INSERT INTO admin_keys (team_id, name, hash, head, last4, "
	                          "created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
	                          "itttti", team, name, hash, head, last4, util_now()),
	                &found);
}

enum store_rc store_admin_key_get(struct db *db, int64_t team, int64_t id, json_t **out)
{
	json_t *rows = NULL;
	enum db_rc rc = db_rows_json(db, &rows,
	                             "SELECT id, name, head AS prefix, last4 AS last_four, "
	                             "created_at FROM admin_keys WHERE team_id = $1 AND id = $2",
	                             "ii", team, id);

	return first_json(rc, rows, out);
}

enum store_rc store_admin_key_list(struct db *db, int64_t team, struct page pg, json_t **items,
                                   int64_t *total)
{
	return page_of(db,
	               "SELECT id, name, head AS prefix, last4 AS last_four, created_at "
	               "FROM admin_keys WHERE team_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
	               "SELECT COUNT(*) FROM admin_keys WHERE team_id = $1 AND $2 = 0", team, pg,
	               items, total);
}

enum store_rc store_admin_key_delete(struct db *db, int64_t team, int64_t id)
{
	return exec_one(db, "DELETE FROM admin_keys WHERE team_id = $1 AND id = $2", "ii", team,
	                id);
}

/* schemas */

enum store_rc store_schema_create(struct db *db, int64_t team, const char *name, int64_t *id)
{
	bool found = false;

	return inserted(
	    db_scalar(db, id, &found,
	              "INSERT INTO schemas (team_id, name, created_at) VALUES ($1, $2, $3) "
	              "RETURNING id",
	              "iti", team, name, util_now()),
	    &found);
}

#define SCHEMA_COLS                                                                                \
	"SELECT id, name, default_data_source_id, created_at, "                                    \
	"(SELECT COUNT(*) FROM data_sources d WHERE d.schema_id = schemas.id) AS "                 \
	"data_source_count FROM schemas "

enum store_rc store_schema_get(struct db *db, int64_t team, int64_t id, json_t **out)
{
	json_t *rows = NULL;
	enum db_rc rc =
	    db_rows_json(db, &rows, SCHEMA_COLS "WHERE team_id = $1 AND id = $2", "ii", team, id);

	return first_json(rc, rows, out);
}

enum store_rc store_schema_list(struct db *db, int64_t team, struct page pg, json_t **items,
                                int64_t *total)
{
	return page_of(db, SCHEMA_COLS "WHERE team_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
	               "SELECT COUNT(*) FROM schemas WHERE team_id = $1 AND $2 = 0", team, pg,
	               items, total);
}

enum store_rc store_schema_rename(struct db *db, int64_t team, int64_t id, const char *name)
{
	return exec_one(db, "UPDATE schemas SET name = $3 WHERE team_id = $1 AND id = $2", "iit",
	                team, id, name);
}

enum store_rc store_schema_set_default(struct db *db, int64_t team, int64_t id, int64_t ds)
{
	return exec_one(
	    db, "UPDATE schemas SET default_data_source_id = $3 WHERE team_id = $1 AND id = $2",
	    "iin", team, id, ds);
}

enum store_rc store_schema_delete(struct db *db, int64_t team, int64_t id)
{
	return exec_one(db, "DELETE FROM schemas WHERE team_id = $1 AND id = $2", "ii", team, id);
}

enum store_rc store_schema_ds_count(struct db *db, int64_t team, int64_t id, int64_t *n)
{
	return count(db, n,
	             "SELECT COUNT(*) FROM data_sources WHERE team_id = $1 AND schema_id = $2",
	             team, id);
}

/* data sources */

enum store_rc store_ds_create(struct db *db, int64_t team, int64_t schema, const char *name,
                              const char *type, const char *config, const char *secrets,
                              const char *secret_names, int64_t *id)
{
	bool found = false;

	return inserted(
	    db_scalar(db, id, &found,
	              "INSERT INTO data_sources (team_id, schema_id, name, type, config, "
	              "secrets, secret_names, created_at) "
	              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
	              "iittttti", team, schema, name, type, config, secrets, secret_names,
	              util_now()),
	    &found);
}

#define DS_COLS                                                                                    \
	"SELECT d.id, d.name, d.schema_id, s.name AS schema_name, d.type, d.config AS "            \
	"config_json, "                                                                            \
	"d.secret_names AS secret_fields_json, "                                                   \
	"CASE WHEN s.default_data_source_id = d.id THEN 1 ELSE 0 END AS is_team_default, "         \
	"d.created_at FROM data_sources d JOIN schemas s ON s.id = d.schema_id "

enum store_rc store_ds_get(struct db *db, int64_t team, int64_t id, json_t **out)
{
	json_t *rows = NULL;
	enum db_rc rc =
	    db_rows_json(db, &rows, DS_COLS "WHERE d.team_id = $1 AND d.id = $2", "ii", team, id);

	return first_json(rc, rows, out);
}

enum store_rc store_ds_schema(struct db *db, int64_t team, int64_t id, int64_t *schema)
{
	bool found = false;
	enum db_rc rc = db_scalar(
	    db, schema, &found, "SELECT schema_id FROM data_sources WHERE team_id = $1 AND id = $2",
	    "ii", team, id);

	if (rc != DB_OK)
		return rc_of(rc);
	return found ? STORE_OK : STORE_NOT_FOUND;
}

enum store_rc store_ds_list(struct db *db, int64_t team, struct page pg, json_t **items,
                            int64_t *total)
{
	return page_of(db, DS_COLS "WHERE d.team_id = $1 ORDER BY d.id LIMIT $2 OFFSET $3",
	               "SELECT COUNT(*) FROM data_sources WHERE team_id = $1 AND $2 = 0", team, pg,
	               items, total);
}

enum store_rc store_ds_update(struct db *db, int64_t team, int64_t id, const char *name,
                              const char *type, const char *config, const char *secrets,
                              const char *secret_names)
{
	return exec_one(db,
	                "UPDATE data_sources SET name = $3, type = $4, config = $5, "
	                "secrets = $6, secret_names = $7 WHERE team_id = $1 AND id = $2",
	                "iittttt", team, id, name, type, config, secrets, secret_names);
}

enum store_rc store_ds_secrets(struct db *db, int64_t team, int64_t id, char **sealed)
{
	struct db_cur cur;

	*sealed = NULL;
	if (db_query(db, &cur, "SELECT secrets FROM data_sources WHERE team_id = $1 AND id = $2",
	             "ii", team, id) != DB_OK)
		return STORE_ERROR;
	if (db_next(&cur))
		*sealed = xstrdup(db_text(&cur, 0));
	db_done(&cur);
	if (cur.rc != DB_OK) {
		free(*sealed);
		*sealed = NULL;
		return STORE_ERROR;
	}
	return *sealed ? STORE_OK : STORE_NOT_FOUND;
}

enum store_rc store_ds_delete(struct db *db, int64_t team, int64_t id)
{
	int64_t n = 0;
	enum db_rc rc;

	rc = db_exec(db, NULL,
	             "UPDATE schemas SET default_data_source_id = NULL "
	             "WHERE team_id = $1 AND default_data_source_id = $2",
	             "ii", team, id);
	if (rc == DB_OK)
		rc = db_exec(db, &n, "DELETE FROM data_sources WHERE team_id = $1 AND id = $2",
		             "ii", team, id);
	return one_row(rc, n);
}

enum store_rc store_ds_mapped_count(struct db *db, int64_t group, int64_t ds, int64_t *n)
{
	if (group > 0)
		return count(
		    db, n,
		    "SELECT COUNT(*) FROM customer_mappings m JOIN customers c "
		    "ON c.id = m.customer_id WHERE c.group_id = $1 AND m.data_source_id = $2",
		    group, ds);
	return count(db, n,
	             "SELECT COUNT(*) FROM customer_mappings WHERE $1 = 0 AND data_source_id = $2",
	             0, ds);
}

enum store_rc store_ds_drop_mappings(struct db *db, int64_t group, int64_t ds)
{
	if (group > 0)
		return rc_of(
		    db_exec(db, NULL,
		            "DELETE FROM customer_mappings WHERE data_source_id = $2 AND "
		            "customer_id IN (SELECT id FROM customers WHERE group_id = $1)",
		            "ii", group, ds));
	return rc_of(
	    db_exec(db, NULL, "DELETE FROM customer_mappings WHERE data_source_id = $1", "i", ds));
}

enum store_rc store_group_ds_list(struct db *db, int64_t group, json_t **items)
{
	return rc_of(
	    db_rows_json(db, items,
	                 "SELECT d.id, d.name, d.type, d.schema_id, s.name AS schema_name, "
	                 "g.is_default FROM group_data_sources g "
	                 "JOIN data_sources d ON d.id = g.data_source_id "
	                 "JOIN schemas s ON s.id = d.schema_id WHERE g.group_id = $1 ORDER BY d.id",
	                 "i", group));
}

/* groups */

enum store_rc store_group_create(struct db *db, int64_t team, const char *name, int64_t *id)
{
	bool found = false;

	return inserted(
	    db_scalar(db, id, &found,
	              "INSERT INTO groups (team_id, name, created_at) VALUES ($1, $2, $3) "
	              "RETURNING id",
	              "iti", team, name, util_now()),
	    &found);
}

#define GROUP_COLS                                                                                 \
	"SELECT id, name, created_at, "                                                            \
	"(SELECT COUNT(*) FROM customers c WHERE c.group_id = groups.id) AS customer_count, "      \
	"(SELECT COUNT(*) FROM api_tokens t WHERE t.group_id = groups.id) AS token_count "         \
	"FROM groups "

enum store_rc store_group_get(struct db *db, int64_t team, int64_t id, json_t **out)
{
	json_t *rows = NULL;
	enum db_rc rc =
	    db_rows_json(db, &rows, GROUP_COLS "WHERE team_id = $1 AND id = $2", "ii", team, id);

	return first_json(rc, rows, out);
}

enum store_rc store_group_list(struct db *db, int64_t team, struct page pg, json_t **items,
                               int64_t *total)
{
	return page_of(db, GROUP_COLS "WHERE team_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
	               "SELECT COUNT(*) FROM groups WHERE team_id = $1 AND $2 = 0", team, pg, items,
	               total);
}

enum store_rc store_group_rename(struct db *db, int64_t team, int64_t id, const char *name)
{
	return exec_one(db, "UPDATE groups SET name = $3 WHERE team_id = $1 AND id = $2", "iit",
	                team, id, name);
}

enum store_rc store_group_delete(struct db *db, int64_t team, int64_t id)
{
	return exec_one(db, "DELETE FROM groups WHERE team_id = $1 AND id = $2", "ii", team, id);
}

enum store_rc store_group_customer_count(struct db *db, int64_t group, int64_t *n)
{
	return count(db, n, "SELECT COUNT(*) FROM customers WHERE group_id = $1 AND $2 = 0", group,
	             0);
}

static void push_pair(struct pair **v, size_t *n, size_t *cap, int64_t schema, int64_t ds)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[*n].schema_id = schema;
	(*v)[(*n)++].ds_id = ds;
}

/* Everything the rules need of a group in one statement: a "g" row when it
 * exists in the team, an "m" row per member data source (is_default in the
 * last column), and a "t" row per schema with a team default. */
static const char group_view_sql[] =
    "SELECT 'g', 0, 0, 0 FROM groups WHERE team_id = $1 AND id = $2 "
    "UNION ALL SELECT 'm', schema_id, data_source_id, is_default FROM group_data_sources "
    "WHERE group_id = $2 "
    "UNION ALL SELECT 't', id, default_data_source_id, 0 FROM schemas "
    "WHERE team_id = $1 AND default_data_source_id IS NOT NULL";

enum store_rc store_group_view(struct db *db, int64_t team, int64_t id, struct group_view *g)
{
	size_t cap_m = 0, cap_d = 0, cap_t = 0;
	struct db_cur cur;
	bool found = false;

	memset(g, 0, sizeof(*g));
	if (db_query(db, &cur, group_view_sql, "ii", team, id) != DB_OK)
		return STORE_ERROR;
	while (db_next(&cur)) {
		char kind = db_text(&cur, 0)[0];
		int64_t schema = db_int(&cur, 1), ds = db_int(&cur, 2);

		if (kind == 'g')
			found = true;
		else if (kind == 't')
			push_pair(&g->team_defaults, &g->n_team_defaults, &cap_t, schema, ds);
		else
			push_pair(&g->members, &g->n_members, &cap_m, schema, ds);
		if (kind == 'm' && db_int(&cur, 3))
			push_pair(&g->defaults, &g->n_defaults, &cap_d, schema, ds);
	}
	db_done(&cur);
	if (cur.rc != DB_OK || !found) {
		group_view_free(g);
		return cur.rc != DB_OK ? STORE_ERROR : STORE_NOT_FOUND;
	}
	g->id = id;
	return STORE_OK;
}

void group_view_free(struct group_view *g)
{
	free(g->members);
	free(g->defaults);
	free(g->team_defaults);
	memset(g, 0, sizeof(*g));
}

enum store_rc store_group_add_ds(struct db *db, int64_t group, int64_t ds, int64_t schema)
{
	return rc_of(db_exec(db, NULL,
	                     "INSERT INTO group_data_sources (group_id, data_source_id, schema_id) "
	                     "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
	                     "iii", group, ds, schema));
}

enum store_rc store_group_remove_ds(struct db *db, int64_t group, int64_t ds)
{
	return exec_one(db,
	                "DELETE FROM group_data_sources WHERE group_id = $1 AND "
	                "data_source_id = $2",
	                "ii", group, ds);
}

enum store_rc store_group_set_default(struct db *db, int64_t group, int64_t schema, int64_t ds)
{
	enum db_rc rc = db_exec(db, NULL,
	                        "UPDATE group_data_sources SET is_default = 0 "
	                        "WHERE group_id = $1 AND schema_id = $2",
	                        "ii", group, schema);

	if (rc == DB_OK)
		rc = db_exec(db, NULL,
		             "UPDATE group_data_sources SET is_default = 1 "
		             "WHERE group_id = $1 AND data_source_id = $2",
		             "ii", group, ds);
	return rc_of(rc);
}

enum store_rc store_group_clear_default(struct db *db, int64_t group, int64_t schema)
{
	return exec_one(db,
	                "UPDATE group_data_sources SET is_default = 0 "
	                "WHERE group_id = $1 AND schema_id = $2 AND is_default = 1",
	                "ii", group, schema);
}

enum store_rc store_ds_leave_groups(struct db *db, int64_t ds)
{
	return rc_of(
	    db_exec(db, NULL, "DELETE FROM group_data_sources WHERE data_source_id = $1", "i", ds));
}

/* API tokens */

enum store_rc store_token_create(struct db *db, int64_t team, int64_t group, const char *name,
                                 const char *permission, const char *hash, const char *head,
                                 const char *last4, int64_t expires_at, int64_t *id)
{
	bool found = false;

	return inserted(
	    db_scalar(db, id, &found,
	              "INSERT INTO api_tokens (team_id, group_id, name, permission, hash, "
	              "head, last4, created_at, expires_at) "
	              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
	              "iitttttin", team, group, name, permission, hash, head, last4, util_now(),
	              expires_at),
	    &found);
}

#define TOKEN_COLS                                                                                 \
	"SELECT id, group_id, name, permission, head AS prefix, last4 AS last_four, created_at, "  \
	"expires_at, last_used_at, previous_until AS grace_ends_at FROM api_tokens "

enum store_rc store_token_get(struct db *db, int64_t team, int64_t id, json_t **out)
{
	json_t *rows = NULL;
	enum db_rc rc =
	    db_rows_json(db, &rows, TOKEN_COLS "WHERE team_id = $1 AND id = $2", "ii", team, id);

	return first_json(rc, rows, out);
}

enum store_rc store_token_list(struct db *db, int64_t team, int64_t group, struct page pg,
                               json_t **items, int64_t *total)
{
	enum store_rc rc =
	    count(db, total, "SELECT COUNT(*) FROM api_tokens WHERE team_id = $1 AND group_id = $2",
	          team, group);

	if (rc != STORE_OK)
		return rc;
	return rc_of(db_rows_json(db, items,
	                          TOKEN_COLS "WHERE team_id = $1 AND group_id = $2 ORDER BY id "
	                                     "LIMIT $3 OFFSET $4",
	                          "iiii", team, group, pg.limit, pg.offset));
}

enum store_rc store_token_update(struct db *db, int64_t team, int64_t id, const char *name,
                                 const char *permission)
{
	return exec_one(db,
	                "UPDATE api_tokens SET name = COALESCE($3, name), "
	                "permission = COALESCE($4, permission) WHERE team_id = $1 AND id = $2",
	                "iitt", team, id, name, permission);
}

enum store_rc store_token_rehash(struct db *db, int64_t team, int64_t id, const char *hash,
                                 const char *head, const char *last4, int64_t grace_until)
{
	return exec_one(db,
	                "UPDATE api_tokens SET previous_hash = CASE WHEN $6 > 0 THEN hash "
	                "ELSE NULL END, previous_until = CASE WHEN $6 > 0 THEN $6 ELSE NULL "
	                "END, hash = $3, head = $4, last4 = $5 WHERE team_id = $1 AND id = $2",
	                "iittti", team, id, hash, head, last4, grace_until);
}

enum store_rc store_token_delete(struct db *db, int64_t team, int64_t id)
{
	return exec_one(db, "DELETE FROM api_tokens WHERE team_id = $1 AND id = $2", "ii", team,
	                id);
}

/* customers */

void customer_init(struct customer *c)
{
	memset(c, 0, sizeof(*c));
	mapping_init(&c->own);
}

void customer_free(struct customer *c)
{
	free(c->provided_id);
	free(c->name);
	free(c->token);
	free(c->level_name);
	free(c->group_name);
	json_decref(c->properties);
	json_decref(c->emails);
	json_decref(c->tags);
	mapping_free(&c->own);
	customer_init(c);
}

#define CUSTOMER_COLS                                                                              \
	"SELECT c.id, c.team_id, c.group_id, c.parent_id, c.level_id, l.rank, c.provided_id, "     \
	"c.name, c.embed_token, l.name, g.name, c.is_demo, c.properties, c.emails "                \
	"FROM customers c JOIN hierarchy_levels l ON l.id = c.level_id "                           \
	"JOIN groups g ON g.id = c.group_id "

static json_t *parse_or(const char *text, json_t *fallback)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	if (!v)
		return fallback;
	json_decref(fallback);
	return v;
}

static void read_customer_row(struct db_cur *cur, struct customer *c)
{
	c->id = db_int(cur, 0);
	c->team_id = db_int(cur, 1);
	c->group_id = db_int(cur, 2);
	c->parent_id = db_is_null(cur, 3) ? 0 : db_int(cur, 3);
	c->level_id = db_int(cur, 4);
	c->level_rank = db_int(cur, 5);
	c->provided_id = xstrdup(db_text(cur, 6));
	c->name = xstrdup(db_text(cur, 7));
	c->token = xstrdup(db_text(cur, 8));
	c->level_name = xstrdup(db_text(cur, 9));
	c->group_name = xstrdup(db_text(cur, 10));
	c->is_demo = db_int(cur, 11) != 0;
	c->properties = parse_or(db_text(cur, 12), json_object());
	c->emails = parse_or(db_text(cur, 13), json_array());
}

/* One row of a customer's parts, from column `col` on: ("t", tag name) or
 * ("m", "", schema id, data source id). */
static void add_part(struct customer *c, struct db_cur *cur, int col)
{
	if (db_text(cur, col)[0] == 't')
		json_array_append_new(c->tags, json_string(db_text(cur, col + 1)));
	else
		mapping_put(&c->own, db_int(cur, col + 2), db_int(cur, col + 3));
}

/* A customer's tags ("t" rows, by name) and mapping ("m" rows) in one
 * statement. */
static enum store_rc load_customer_parts(struct db *db, struct customer *c)
{
	struct db_cur cur;

	if (db_query(db, &cur,
	             "SELECT 't', t.name, 0, 0 FROM customer_tags ct "
	             "JOIN group_tags t ON t.id = ct.tag_id WHERE ct.customer_id = $1 "
	             "UNION ALL SELECT 'm', '', schema_id, data_source_id FROM customer_mappings "
	             "WHERE customer_id = $1 ORDER BY 1, 2, 3",
	             "i", c->id) != DB_OK)
		return STORE_ERROR;
	c->tags = json_array();
	while (db_next(&cur))
		add_part(c, &cur, 0);
	db_done(&cur);
	return cur.rc == DB_OK ? STORE_OK : STORE_ERROR;
}

static enum store_rc load_customer(struct db *db, struct customer *c, const char *sql,
                                   const char *types, int64_t a, int64_t b, const char *s)
{
	struct db_cur cur;
	enum db_rc rc = types[2] == 't' ? db_query(db, &cur, sql, types, a, b, s)
	                                : db_query(db, &cur, sql, types, a, b);
	bool found;

	if (rc != DB_OK)
		return rc_of(rc);
	found = db_next(&cur);
	if (found)
		read_customer_row(&cur, c);
	rc = cur.rc;
	db_done(&cur);
	if (rc != DB_OK)
		return rc_of(rc);
	if (!found)
		return STORE_NOT_FOUND;
	return load_customer_parts(db, c);
}

enum store_rc store_customer_by_provided(struct db *db, int64_t team, int64_t group,
                                         const char *provided_id, struct customer *c)
{
	return load_customer(db, c,
	                     CUSTOMER_COLS "WHERE c.team_id = $1 AND c.group_id = $2 "
	                                   "AND c.provided_id = $3",
	                     "iit", team, group, provided_id);
}

enum store_rc store_customer_by_id(struct db *db, int64_t team, int64_t id, struct customer *c)
{
	return load_customer(db, c, CUSTOMER_COLS "WHERE c.team_id = $1 AND c.id = $2", "ii", team,
	                     id, NULL);
}

enum store_rc store_customer_by_token(struct db *db, int64_t team, int64_t group, const char *token,
                                      struct customer *c)
{
	return load_customer(db, c,
	                     CUSTOMER_COLS "WHERE c.team_id = $1 AND c.group_id = $2 "
	                                   "AND c.embed_token = $3",
	                     "iit", team, group, token);
}

static enum store_rc save_parts(struct db *db, struct customer *c)
{
	enum db_rc rc =
	    db_exec(db, NULL, "DELETE FROM customer_tags WHERE customer_id = $1", "i", c->id);
	size_t i;
	json_t *tag;

	json_array_foreach (c->tags, i, tag) {
		if (rc == DB_OK)
			rc =
			    db_exec(db, NULL,
			            "INSERT INTO customer_tags (customer_id, tag_id) SELECT $1, id "
			            "FROM group_tags WHERE team_id = $2 AND name = $3 "
			            "ON CONFLICT DO NOTHING",
			            "iit", c->id, c->team_id, json_string_value(tag));
	}
	if (rc == DB_OK)
		rc = db_exec(db, NULL, "DELETE FROM customer_mappings WHERE customer_id = $1", "i",
		             c->id);
	for (i = 0; rc == DB_OK && i < c->own.n; i++)
		rc = db_exec(
		    db, NULL,
		    "INSERT INTO customer_mappings (customer_id, schema_id, data_source_id) "
		    "VALUES ($1, $2, $3)",
		    "iii", c->id, c->own.v[i].schema_id, c->own.v[i].ds_id);
	return rc_of(rc);
}

static char *dump(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	return s ? s : xstrdup("null");
}

enum store_rc store_customer_insert(struct db *db, struct customer *c)
{
	char *props = dump(c->properties);
	char *emails = dump(c->emails);
	bool found = false;
	enum db_rc rc;
	int64_t now = util_now();

	rc = db_scalar(db, &c->id, &found,
	               "INSERT INTO customers (team_id, group_id, provided_id, name, is_demo, "
	               "properties, emails, parent_id, level_id, embed_token, created_at, "
	               "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) "
	               "RETURNING id",
	               "iitti"
	               "ttnit"
	               "i",
	               c->team_id, c->group_id, c->provided_id, c->name, (int64_t)c->is_demo, props,
	               emails, c->parent_id, c->level_id, c->token, now);
	free(props);
	free(emails);
	if (rc != DB_OK || !found)
		return rc != DB_OK ? rc_of(rc) : STORE_ERROR;
	return save_parts(db, c);
}

enum store_rc store_customer_save(struct db *db, struct customer *c)
{
	char *props = dump(c->properties);
	char *emails = dump(c->emails);
	int64_t n = 0;
	enum db_rc rc;

	rc = db_exec(db, &n,
	             "UPDATE customers SET group_id = $2, provided_id = $3, name = $4, "
	             "is_demo = $5, properties = $6, emails = $7, parent_id = $8, level_id = $9, "
	             "embed_token = $10, updated_at = $11 WHERE id = $1",
	             "iitti"
	             "ttnit"
	             "i",
	             c->id, c->group_id, c->provided_id, c->name, (int64_t)c->is_demo, props,
	             emails, c->parent_id, c->level_id, c->token, util_now());
	free(props);
	free(emails);
	if (rc != DB_OK || n == 0)
		return one_row(rc, n);
	return save_parts(db, c);
}

/* One pair of statements per combination of filters, so that each can use
 * its index (a "$2 = 0 OR group_id = $2" form would scan the table). */
struct page_sql {
	const char *count;
	const char *ids;
};

#define CUSTOMER_PAGE(where, limit)                                                                \
	{                                                                                          \
		"SELECT COUNT(*) FROM customers " where,                                           \
		    "SELECT id FROM customers " where " ORDER BY id " limit                        \
	}

static const struct page_sql page_sql[] = {
    CUSTOMER_PAGE("WHERE team_id = $1", "LIMIT $2 OFFSET $3"),
    CUSTOMER_PAGE("WHERE team_id = $1 AND group_id = $2", "LIMIT $3 OFFSET $4"),
    CUSTOMER_PAGE("WHERE team_id = $1 AND group_id = $2 AND parent_id = $3", "LIMIT $4 OFFSET $5"),
    CUSTOMER_PAGE("WHERE team_id = $1 AND group_id = $2 AND level_id = $3", "LIMIT $4 OFFSET $5"),
    CUSTOMER_PAGE("WHERE team_id = $1 AND group_id = $2 AND parent_id = $3 AND level_id = $4",
                  "LIMIT $5 OFFSET $6"),
};

static void put_id(struct db_param *p, int *n, int64_t v)
{
	p[*n].type = 'i';
	p[*n].i = v;
	p[*n].s = NULL;
	(*n)++;
}

/* Which statements serve these filters (parent and level only within a group). */
static size_t page_variant(int64_t group, int64_t parent, int64_t level)
{
	if (!group)
		return 0;
	if (parent && level)
		return 4;
	return level ? 3 : parent ? 2 : 1;
}

/* The filters as parameters, in the order the statements number them. */
static int page_params(struct db_param *p, int64_t team, int64_t group, int64_t parent,
                       int64_t level)
{
	int np = 0;

	put_id(p, &np, team);
	if (group)
		put_id(p, &np, group);
	if (group && parent)
		put_id(p, &np, parent);
	if (group && level)
		put_id(p, &np, level);
	return np;
}

enum store_rc store_customer_ids(struct db *db, int64_t team, int64_t group, int64_t parent,
                                 int64_t level, struct page pg, int64_t **ids, size_t *n,
                                 int64_t *total)
{
	const struct page_sql *q = &page_sql[page_variant(group, parent, level)];
	struct db_param p[6];
	struct db_cur cur;
	size_t cap = 0;
	int np = page_params(p, team, group, parent, level);

	*ids = NULL;
	*n = 0;
	if (db_query_params(db, &cur, q->count, np, p) != DB_OK)
		return STORE_ERROR;
	*total = db_next(&cur) ? db_int(&cur, 0) : 0;
	db_done(&cur);
	put_id(p, &np, pg.limit);
	put_id(p, &np, pg.offset);
	if (db_query_params(db, &cur, q->ids, np, p) != DB_OK)
		return STORE_ERROR;
	while (db_next(&cur)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*ids = xrealloc(*ids, cap * sizeof(**ids));
		}
		(*ids)[(*n)++] = db_int(&cur, 0);
	}
	db_done(&cur);
	return cur.rc == DB_OK ? STORE_OK : STORE_ERROR;
}

/* A page with its ancestors: the page (its ids are contiguous in id order,
 * so the range of the first and last replaces a costly OFFSET), then every
 * parent up the hierarchy, as one set of ids the statements read from. */
#define LINEAGE(where, range)                                                                      \
	"WITH RECURSIVE page(id) AS (SELECT id FROM customers " where " " range                    \
	"), lineage(id) AS (SELECT id FROM page UNION SELECT c.parent_id FROM customers c "        \
	"JOIN lineage l ON c.id = l.id WHERE c.parent_id IS NOT NULL) "

#define LINEAGE_SQL(where, range)                                                                  \
	{                                                                                          \
		LINEAGE(where, range)                                                              \
		CUSTOMER_COLS "WHERE c.id IN (SELECT id FROM lineage)",                            \
		    LINEAGE(where, range) "SELECT ct.customer_id, 't', t.name, 0, 0 "              \
		                          "FROM customer_tags ct JOIN group_tags t "               \
		                          "ON t.id = ct.tag_id "                                   \
		                          "WHERE ct.customer_id IN (SELECT id FROM lineage) "      \
		                          "UNION ALL SELECT customer_id, 'm', '', schema_id, "     \
		                          "data_source_id FROM customer_mappings "                 \
		                          "WHERE customer_id IN (SELECT id FROM lineage) "         \
		                          "ORDER BY 1, 2, 3, 4"                                    \
	}

struct lineage_sql {
	const char *rows;
	const char *parts; /* tags and mappings, as load_customer_parts reads them */
};

static const struct lineage_sql lineage_sql[] = {
    LINEAGE_SQL("WHERE team_id = $1", "AND id BETWEEN $2 AND $3"),
    LINEAGE_SQL("WHERE team_id = $1 AND group_id = $2", "AND id BETWEEN $3 AND $4"),
    LINEAGE_SQL("WHERE team_id = $1 AND group_id = $2 AND parent_id = $3",
                "AND id BETWEEN $4 AND $5"),
    LINEAGE_SQL("WHERE team_id = $1 AND group_id = $2 AND level_id = $3",
                "AND id BETWEEN $4 AND $5"),
    LINEAGE_SQL("WHERE team_id = $1 AND group_id = $2 AND parent_id = $3 AND level_id = $4",
                "AND id BETWEEN $5 AND $6"),
};

static int by_id(const void *a, const void *b)
{
	const struct customer *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

struct customer *customer_set_find(const struct customer_set *set, int64_t id)
{
	struct customer key = {.id = id};

	return set->n ? bsearch(&key, set->v, set->n, sizeof(key), by_id) : NULL;
}

void customer_set_free(struct customer_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		customer_free(&set->v[i]);
	free(set->v);
	free(set->page);
	memset(set, 0, sizeof(*set));
}

static enum store_rc read_rows(struct db *db, const char *sql, int np, const struct db_param *p,
                               struct customer_set *set)
{
	struct db_cur cur;
	size_t cap = 0;

	if (db_query_params(db, &cur, sql, np, p) != DB_OK)
		return STORE_ERROR;
	while (db_next(&cur)) {
		if (set->n == cap) {
			cap = cap ? cap * 2 : 64;
			set->v = xrealloc(set->v, cap * sizeof(*set->v));
		}
		customer_init(&set->v[set->n]);
		read_customer_row(&cur, &set->v[set->n]);
		set->v[set->n++].tags = json_array();
	}
	db_done(&cur);
	qsort(set->v, set->n, sizeof(*set->v), by_id);
	return cur.rc == DB_OK ? STORE_OK : STORE_ERROR;
}

static enum store_rc read_parts(struct db *db, const char *sql, int np, const struct db_param *p,
                                struct customer_set *set)
{
	struct db_cur cur;
	struct customer *c;

	if (db_query_params(db, &cur, sql, np, p) != DB_OK)
		return STORE_ERROR;
	while (db_next(&cur)) {
		c = customer_set_find(set, db_int(&cur, 0));
		if (c)
			add_part(c, &cur, 1);
	}
	db_done(&cur);
	return cur.rc == DB_OK ? STORE_OK : STORE_ERROR;
}

enum store_rc store_customer_page(struct db *db, int64_t team, int64_t group, int64_t parent,
                                  int64_t level, struct page pg, struct customer_set *set,
                                  int64_t *total)
{
	const struct lineage_sql *q = &lineage_sql[page_variant(group, parent, level)];
	struct db_param p[6];
	enum store_rc rc;
	int np;

	memset(set, 0, sizeof(*set));
	rc =
	    store_customer_ids(db, team, group, parent, level, pg, &set->page, &set->n_page, total);
	if (rc != STORE_OK || set->n_page == 0) {
		if (rc != STORE_OK)
			customer_set_free(set);
		return rc;
	}
	np = page_params(p, team, group, parent, level);
	put_id(p, &np, set->page[0]);
	put_id(p, &np, set->page[set->n_page - 1]);
	if (rc == STORE_OK)
		rc = read_rows(db, q->rows, np, p, set);
	if (rc == STORE_OK)
		rc = read_parts(db, q->parts, np, p, set);
	if (rc != STORE_OK)
		customer_set_free(set);
	return rc;
}

enum store_rc store_customer_delete_tree(struct db *db, int64_t id, int64_t *deleted)
{
	/* One statement: foreign keys are checked when it ends, by which time
	 * the whole subtree is gone. */
	return rc_of(db_exec(db, deleted,
	                     "DELETE FROM customers WHERE id IN (WITH RECURSIVE tree(id) AS ("
	                     "SELECT CAST($1 AS BIGINT) UNION SELECT c.id FROM customers c "
	                     "JOIN tree t ON c.parent_id = t.id) SELECT id FROM tree)",
	                     "i", id));
}

enum store_rc store_customer_in_subtree(struct db *db, int64_t root, int64_t id, bool *inside)
{
	int64_t n = 0;
	enum store_rc rc = count(db, &n,
	                         "WITH RECURSIVE tree(id) AS (SELECT CAST($1 AS BIGINT) UNION "
	                         "SELECT c.id FROM customers c JOIN tree t ON c.parent_id = t.id) "
	                         "SELECT COUNT(*) FROM tree WHERE id = $2",
	                         root, id);

	*inside = n > 0;
	return rc;
}

enum store_rc store_level_rank_conflicts(struct db *db, int64_t level, int64_t rank, int64_t *n)
{
	return count(
	    db, n,
	    "SELECT (SELECT COUNT(*) FROM customers c JOIN customers p ON p.id = c.parent_id "
	    "JOIN hierarchy_levels pl ON pl.id = p.level_id "
	    "WHERE c.level_id = $1 AND pl.rank <= $2) + "
	    "(SELECT COUNT(*) FROM customers p JOIN customers c ON c.parent_id = p.id "
	    "JOIN hierarchy_levels cl ON cl.id = c.level_id "
	    "WHERE p.level_id = $1 AND cl.rank >= $2)",
	    level, rank);
}

enum store_rc store_customer_child_count(struct db *db, int64_t id, int64_t *n)
{
	return count(db, n, "SELECT COUNT(*) FROM customers WHERE parent_id = $1 AND $2 = 0", id,
	             0);
}

enum store_rc store_customer_children_not_below(struct db *db, int64_t id, int64_t rank, int64_t *n)
{
	return count(
	    db, n,
	    "SELECT COUNT(*) FROM customers c JOIN hierarchy_levels l ON l.id = c.level_id "
	    "WHERE c.parent_id = $1 AND l.rank >= $2",
	    id, rank);
}

/* group tags and hierarchy levels */

enum store_rc store_tag_list(struct db *db, int64_t team, json_t **items)
{
	return rc_of(db_rows_json(
	    db, items, "SELECT id, name FROM group_tags WHERE team_id = $1 ORDER BY name", "i",
	    team));
}

enum store_rc store_tag_create(struct db *db, int64_t team, const char *name, int64_t *id)
{
	bool found = false;

	return inserted(
	    db_scalar(db, id, &found,
	              "INSERT INTO group_tags (team_id, name) VALUES ($1, $2) RETURNING id", "it",
	              team, name),
	    &found);
}

enum store_rc store_tag_find(struct db *db, int64_t team, const char *name, int64_t *id)
{
	bool found = false;
	enum db_rc rc =
	    db_scalar(db, id, &found, "SELECT id FROM group_tags WHERE team_id = $1 AND name = $2",
	              "it", team, name);

	if (rc != DB_OK)
		return rc_of(rc);
	return found ? STORE_OK : STORE_NOT_FOUND;
}

enum store_rc store_tag_rename(struct db *db, int64_t team, int64_t id, const char *name)
{
	return exec_one(db, "UPDATE group_tags SET name = $3 WHERE team_id = $1 AND id = $2", "iit",
	                team, id, name);
}

enum store_rc store_tag_delete(struct db *db, int64_t team, int64_t id)
{
	return exec_one(db, "DELETE FROM group_tags WHERE team_id = $1 AND id = $2", "ii", team,
	                id);
}

enum store_rc store_level_list(struct db *db, int64_t team, json_t **items)
{
	return rc_of(db_rows_json(db, items,
	                          "SELECT id, name, rank FROM hierarchy_levels WHERE team_id = $1 "
	                          "ORDER BY rank DESC",
	                          "i", team));
}

enum store_rc store_level_create(struct db *db, int64_t team, const char *name, int64_t rank,
                                 int64_t *id)
{
	bool found = false;

	return inserted(db_scalar(db, id, &found,
	                          "INSERT INTO hierarchy_levels (team_id, name, rank) "
	                          "VALUES ($1, $2, $3) RETURNING id",
	                          "iti", team, name, rank),
	                &found);
}

static enum store_rc level_pair(struct db *db, const char *sql, const char *types, int64_t team,
                                int64_t a, const char *s, int64_t *id, int64_t *rank)
{
	struct db_cur cur;
	enum db_rc rc =
	    s ? db_query(db, &cur, sql, types, team, s) : db_query(db, &cur, sql, types, team, a);
	bool found;

	if (rc != DB_OK)
		return rc_of(rc);
	found = db_next(&cur);
	if (found) {
		*id = db_int(&cur, 0);
		*rank = db_int(&cur, 1);
	}
	rc = cur.rc;
	db_done(&cur);
	if (rc != DB_OK)
		return rc_of(rc);
	return found ? STORE_OK : STORE_NOT_FOUND;
}

enum store_rc store_level_find(struct db *db, int64_t team, const char *name, int64_t *id,
                               int64_t *rank)
{
	return level_pair(db,
	                  "SELECT id, rank FROM hierarchy_levels WHERE team_id = $1 AND name = $2",
	                  "it", team, 0, name, id, rank);
}

enum store_rc store_level_by_id(struct db *db, int64_t team, int64_t id, int64_t *rank)
{
	int64_t same = 0;

	return level_pair(db,
	                  "SELECT id, rank FROM hierarchy_levels WHERE team_id = $1 AND id = $2",
	                  "ii", team, id, NULL, &same, rank);
}

enum store_rc store_level_root(struct db *db, int64_t team, int64_t *id, int64_t *rank)
{
	return level_pair(db,
	                  "SELECT id, rank FROM hierarchy_levels WHERE team_id = $1 AND $2 = 0 "
	                  "ORDER BY rank DESC LIMIT 1",
	                  "ii", team, 0, NULL, id, rank);
}

enum store_rc store_level_below(struct db *db, int64_t team, int64_t rank, int64_t *id,
                                int64_t *below_rank)
{
	return level_pair(db,
	                  "SELECT id, rank FROM hierarchy_levels WHERE team_id = $1 AND rank < $2 "
	                  "ORDER BY rank DESC LIMIT 1",
	                  "ii", team, rank, NULL, id, below_rank);
}

enum store_rc store_level_update(struct db *db, int64_t team, int64_t id, const char *name,
                                 bool set_rank, int64_t rank)
{
	return exec_one(db,
	                "UPDATE hierarchy_levels SET name = COALESCE($3, name), "
	                "rank = CASE WHEN $4 = 1 THEN $5 ELSE rank END "
	                "WHERE team_id = $1 AND id = $2",
	                "iitii", team, id, name, (int64_t)set_rank, rank);
}

enum store_rc store_level_delete(struct db *db, int64_t team, int64_t id)
{
	return exec_one(db, "DELETE FROM hierarchy_levels WHERE team_id = $1 AND id = $2", "ii",
	                team, id);
}

/* audit */

enum store_rc store_audit_head(struct db *db, char hash[65])
{
	struct db_cur cur;

	hash[0] = '\0';
	if (db_query(db, &cur, "SELECT value FROM settings WHERE name = 'audit_head'", "") != DB_OK)
		return STORE_ERROR;
	if (db_next(&cur))
		util_strlcpy(hash, db_text(&cur, 0), 65);
	db_done(&cur);
	return cur.rc == DB_OK ? STORE_OK : STORE_ERROR;
}

enum store_rc store_audit_last_hash(struct db *db, char hash[65])
{
	struct db_cur cur;

	hash[0] = '\0';
	if (db_query(db, &cur, "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1", "") !=
	    DB_OK)
		return STORE_ERROR;
	if (db_next(&cur) && !db_is_null(&cur, 0))
		util_strlcpy(hash, db_text(&cur, 0), 65);
	db_done(&cur);
	return cur.rc == DB_OK ? STORE_OK : STORE_ERROR;
}

enum store_rc store_audit_insert(struct db *db, const struct audit_event *ev, const char *head)
{
	enum db_rc rc;

	rc = db_exec(db, NULL,
	             "INSERT INTO audit_events (team_id, at, actor_type, actor_id, action, "
	             "object_type, object_id, before, after, request_id, prev_hash, hash) "
	             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
	             "iititttttt"
	             "tt",
	             ev->team_id, ev->at, ev->actor_type, ev->actor_id, ev->action, ev->object_type,
	             ev->object_id, ev->before, ev->after, ev->request_id, ev->prev_hash, ev->hash);
	if (rc == DB_OK)
		rc = db_exec(db, NULL,
		             "INSERT INTO settings (name, value) VALUES ('audit_head', $1) "
		             "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
		             "t", head);
	return rc_of(rc);
}

enum store_rc store_audit_scan(struct db *db, int64_t team, int64_t after_id, int64_t limit,
                               bool (*fn)(void *ctx, const struct audit_event *ev), void *ctx,
                               int64_t *seen)
{
	struct db_cur cur;
	struct audit_event ev;
	bool go = true;

	*seen = 0;
	if (db_query(db, &cur,
	             "SELECT team_id, at, actor_type, actor_id, action, object_type, object_id, "
	             "before, after, request_id, prev_hash, hash, id FROM audit_events "
	             "WHERE ($1 = 0 OR team_id = $1) AND id > $2 ORDER BY id LIMIT $3",
	             "iii", team, after_id, limit) != DB_OK)
		return STORE_ERROR;
	while (go && db_next(&cur)) {
		ev.team_id = db_int(&cur, 0);
		ev.at = db_int(&cur, 1);
		ev.actor_type = db_text(&cur, 2);
		ev.actor_id = db_int(&cur, 3);
		ev.action = db_text(&cur, 4);
		ev.object_type = db_text(&cur, 5);
		ev.object_id = db_text(&cur, 6);
		ev.before = db_is_null(&cur, 7) ? NULL : db_text(&cur, 7);
		ev.after = db_is_null(&cur, 8) ? NULL : db_text(&cur, 8);
		ev.request_id = db_text(&cur, 9);
		util_strlcpy(ev.prev_hash, db_is_null(&cur, 10) ? "" : db_text(&cur, 10), 65);
		util_strlcpy(ev.hash, db_is_null(&cur, 11) ? "" : db_text(&cur, 11), 65);
		ev.id = db_int(&cur, 12);
		(*seen)++;
		go = fn(ctx, &ev);
	}
	db_done(&cur);
	return cur.rc == DB_OK ? STORE_OK : STORE_ERROR;
}

enum store_rc store_audit_set_chain(struct db *db, int64_t id, const char *prev, const char *hash)
{
	return exec_one(db, "UPDATE audit_events SET prev_hash = $2, hash = $3 WHERE id = $1",
	                "itt", id, prev, hash);
}

enum store_rc store_team_count(struct db *db, int64_t *n)
{
	return count(db, n, "SELECT COUNT(*) FROM teams WHERE $1 = $2", 0, 0);
}

enum store_rc store_audit_list(struct db *db, int64_t team, const char *actor_type,
                               int64_t actor_id, const char *object_type, const char *object_id,
                               int64_t since, struct page pg, json_t **items, int64_t *total)
{
	bool found = false;

	if (db_scalar(db, total, &found,
	              "SELECT COUNT(*) FROM audit_events WHERE team_id = $1 "
	              "AND ($2 IS NULL OR actor_type = $2) AND ($3 = 0 OR actor_id = $3) "
	              "AND ($4 IS NULL OR object_type = $4) AND ($5 IS NULL OR object_id = $5) "
	              "AND at >= $6",
	              "ititti", team, actor_type, actor_id, object_type, object_id, since) != DB_OK)
		return STORE_ERROR;
	return rc_of(db_rows_json(
	    db, items,
	    "SELECT id, at, actor_type, actor_id, action, object_type, object_id, "
	    "before AS before_json, after AS after_json, request_id FROM audit_events "
	    "WHERE team_id = $1 AND ($2 IS NULL OR actor_type = $2) "
	    "AND ($3 = 0 OR actor_id = $3) AND ($4 IS NULL OR object_type = $4) "
	    "AND ($5 IS NULL OR object_id = $5) AND at >= $6 ORDER BY id DESC "
	    "LIMIT $7 OFFSET $8",
	    "ititti"
	    "ii",
	    team, actor_type, actor_id, object_type, object_id, since, pg.limit, pg.offset));
}

/* settings */

enum store_rc store_setting_get(struct db *db, const char *name, char **value)
{
	struct db_cur cur;

	*value = NULL;
	if (db_query(db, &cur, "SELECT value FROM settings WHERE name = $1", "t", name) != DB_OK)
		return STORE_ERROR;
	if (db_next(&cur))
		*value = xstrdup(db_text(&cur, 0));
	db_done(&cur);
	if (cur.rc != DB_OK)
		return STORE_ERROR;
	return *value ? STORE_OK : STORE_NOT_FOUND;
}

enum store_rc store_setting_set(struct db *db, const char *name, const char *value)
{
	return rc_of(db_exec(db, NULL,
	                     "INSERT INTO settings (name, value) VALUES ($1, $2) "
	                     "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
	                     "tt", name, value));
}

/* signing keys */

enum store_rc store_key_create(struct db *db, int64_t team, int64_t group, const char *key_id,
                               const char *sealed)
{
	return rc_of(db_exec(db, NULL,
	                     "INSERT INTO signing_keys (key_id, team_id, group_id, sealed_key, "
	                     "created_at) VALUES ($1, $2, $3, $4, $5)",
	                     "tiiti", key_id, team, group, sealed, util_now()));
}

enum store_rc store_key_list(struct db *db, int64_t team, int64_t group, json_t **items)
{
	return rc_of(db_rows_json(db, items,
	                          "SELECT key_id, group_id, created_at FROM signing_keys "
	                          "WHERE team_id = $1 AND group_id = $2 ORDER BY id DESC",
	                          "ii", team, group));
}

enum store_rc store_key_get(struct db *db, int64_t team, const char *key_id, json_t **out)
{
	json_t *rows = NULL;
	enum db_rc rc = db_rows_json(db, &rows,
	                             "SELECT key_id, group_id, created_at FROM signing_keys "
	                             "WHERE team_id = $1 AND key_id = $2",
	                             "it", team, key_id);

	return first_json(rc, rows, out);
}

enum store_rc store_key_sealed(struct db *db, int64_t group, const char *key_id, char found_id[37],
                               char **sealed)
{
	struct db_cur cur;
	enum db_rc rc = key_id ? db_query(db, &cur,
	                                  "SELECT key_id, sealed_key FROM signing_keys "
	                                  "WHERE group_id = $1 AND key_id = $2",
	                                  "it", group, key_id)
	                       : db_query(db, &cur,
	                                  "SELECT key_id, sealed_key FROM signing_keys "
	                                  "WHERE group_id = $1 ORDER BY id DESC LIMIT 1",
	                                  "i", group);

	*sealed = NULL;
	if (rc != DB_OK)
		return rc_of(rc);
	if (db_next(&cur)) {
		util_strlcpy(found_id, db_text(&cur, 0), 37);
		*sealed = xstrdup(db_text(&cur, 1));
	}
	db_done(&cur);
	if (cur.rc != DB_OK)
		return STORE_ERROR;
	return *sealed ? STORE_OK : STORE_NOT_FOUND;
}

enum store_rc store_key_delete(struct db *db, int64_t team, const char *key_id)
{
	return exec_one(db, "DELETE FROM signing_keys WHERE team_id = $1 AND key_id = $2", "it",
	                team, key_id);
}

/* everything sealed under the master key, for `visor rekey` */

enum store_rc store_sealed_list(struct db *db, json_t **items)
{
	return rc_of(
	    db_rows_json(db, items,
	                 "SELECT 'data_source' AS kind, id, secrets AS value FROM data_sources "
	                 "UNION ALL SELECT 'signing_key', id, sealed_key FROM signing_keys",
	                 ""));
}

enum store_rc store_sealed_update(struct db *db, const char *kind, int64_t id, const char *value)
{
	int64_t n = 0;
	enum db_rc rc;

	if (strcmp(kind, "data_source") == 0)
		rc = db_exec(db, &n, "UPDATE data_sources SET secrets = $2 WHERE id = $1", "it", id,
		             value);
	else
		rc = db_exec(db, &n, "UPDATE signing_keys SET sealed_key = $2 WHERE id = $1", "it",
		             id, value);
	return one_row(rc, n);
}
