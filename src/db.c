/*
 * db — engine-neutral entry points: picks the driver from the URL, packs
 * type-string arguments into parameters, and turns rows into JSON.
 */
#include "db.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define PARAMS_MAX 16

extern const struct db_driver db_sqlite_driver;
extern const struct db_driver db_pg_driver __attribute__((weak));

enum db_rc db_open(const char *url, struct db **out, char *msg, size_t msglen)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return db_sqlite_driver.open(url + 7, out, msg, msglen);
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
		if (&db_pg_driver)
			return db_pg_driver.open(url, out, msg, msglen);
		snprintf(msg, msglen, "this build has no PostgreSQL support");
		return DB_ERROR;
	}
	snprintf(msg, msglen, "unknown database URL \"%s\" (use sqlite:PATH or postgresql://…)",
	         url);
	return DB_ERROR;
}

void db_close(struct db *db)
{
	if (db)
		db->drv->close(db);
}

enum db_rc db_begin(struct db *db, bool write)
{
	enum db_rc rc = db->drv->begin(db, write);

	db->in_tx = rc == DB_OK;
	return rc;
}

enum db_rc db_begin_if_free(struct db *db)
{
	enum db_rc rc = db->drv->begin_if_free(db);

	db->in_tx = rc == DB_OK;
	return rc;
}

enum db_rc db_commit(struct db *db)
{
	enum db_rc rc = db_exec(db, NULL, "COMMIT", "");

	if (rc != DB_OK) {
		db_rollback(db);
		return rc;
	}
	db->in_tx = false;
	db->drv->end(db);
	return rc;
}

void db_rollback(struct db *db)
{
	if (!db->in_tx)
		return;
	if (db_exec(db, NULL, "ROLLBACK", "") != DB_OK)
		log_warn("rollback failed");
	db->in_tx = false;
	db->drv->end(db);
}

static int pack(const char *types, va_list ap, struct db_param *p)
{
	int n = 0;

	for (; types && *types && n < PARAMS_MAX; types++, n++) {
		p[n].type = *types;
		p[n].s = NULL;
		p[n].i = 0;
		if (*types == 't')
			p[n].s = va_arg(ap, const char *);
		else
			p[n].i = va_arg(ap, int64_t);
		if (*types == 'n' && p[n].i == 0)
			p[n].type = '0';
		else if (*types == 'n')
			p[n].type = 'i';
		if (*types == 't' && !p[n].s)
			p[n].type = '0';
	}
	return n;
}

static enum db_rc vquery(struct db *db, struct db_cur *cur, const char *sql, const char *types,
                         va_list ap)
{
	struct db_param p[PARAMS_MAX];
	int n = pack(types, ap, p);

	memset(cur, 0, sizeof(*cur));
	cur->db = db;
	return db->drv->query(db, sql, n, p, cur);
}

enum db_rc db_vexec(struct db *db, int64_t *changed, const char *sql, const char *types, va_list ap)
{
	struct db_cur cur;
	enum db_rc rc = vquery(db, &cur, sql, types, ap);

	if (rc != DB_OK)
		return rc;
	while (db_next(&cur))
		;
	rc = cur.rc;
	db_done(&cur);
	if (changed)
		*changed = db->drv->changes(db);
	return rc;
}

enum db_rc db_exec(struct db *db, int64_t *changed, const char *sql, const char *types, ...)
{
	enum db_rc rc;
	va_list ap;

	va_start(ap, types);
	rc = db_vexec(db, changed, sql, types, ap);
	va_end(ap);
	return rc;
}

enum db_rc db_query(struct db *db, struct db_cur *cur, const char *sql, const char *types, ...)
{
	enum db_rc rc;
	va_list ap;

	va_start(ap, types);
	rc = vquery(db, cur, sql, types, ap);
	va_end(ap);
	return rc;
}

enum db_rc db_query_params(struct db *db, struct db_cur *cur, const char *sql, int n,
                           const struct db_param *p)
{
	memset(cur, 0, sizeof(*cur));
	cur->db = db;
	return db->drv->query(db, sql, n, p, cur);
}

bool db_next(struct db_cur *cur)
{
	return cur->db->drv->next(cur);
}

bool db_is_null(struct db_cur *cur, int col)
{
	return cur->db->drv->is_null(cur, col);
}

int64_t db_int(struct db_cur *cur, int col)
{
	return cur->db->drv->col_int(cur, col);
}

const char *db_text(struct db_cur *cur, int col)
{
	return cur->db->drv->col_text(cur, col);
}

void db_done(struct db_cur *cur)
{
	if (cur->db)
		cur->db->drv->done(cur);
	cur->db = NULL;
}

enum db_rc db_scalar(struct db *db, int64_t *out, bool *found, const char *sql, const char *types,
                     ...)
{
	struct db_cur cur;
	enum db_rc rc;
	va_list ap;

	va_start(ap, types);
	rc = vquery(db, &cur, sql, types, ap);
	va_end(ap);
	if (rc != DB_OK)
		return rc;
	*found = db_next(&cur);
	if (*found)
		*out = db_is_null(&cur, 0) ? 0 : db_int(&cur, 0);
	while (db_next(&cur))
		;
	rc = cur.rc;
	db_done(&cur);
	return rc;
}

enum column_kind { COL_PLAIN, COL_JSON, COL_BOOL, COL_TIME };

static enum column_kind kind_of(const char *name, size_t len)
{
	if (len > 5 && strcmp(name + len - 5, "_json") == 0)
		return COL_JSON;
	if (strncmp(name, "is_", 3) == 0)
		return COL_BOOL;
	if ((len > 3 && strcmp(name + len - 3, "_at") == 0) || strcmp(name, "at") == 0)
		return COL_TIME;
	return COL_PLAIN;
}

static json_t *column_value(struct db_cur *cur, int col, enum column_kind kind)
{
	const char *text;
	char when[24];

	if (db_is_null(cur, col))
		return json_null();
	if (kind == COL_BOOL)
		return json_boolean(db_int(cur, col) != 0);
	if (kind == COL_TIME) {
		util_time_format(db_int(cur, col), when);
		return json_string(when);
	}
	if (cur->db->drv->col_is_int(cur, col))
		return json_integer(db_int(cur, col));
	text = db_text(cur, col);
	if (kind == COL_JSON) {
		json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

		return v ? v : json_null();
	}
	return json_string(text);
}

json_t *db_row_json(struct db_cur *cur)
{
	json_t *row = json_object();

	for (int i = 0; i < cur->ncols; i++) {
		const char *name = cur->db->drv->col_name(cur, i);
		size_t len = strlen(name);
		enum column_kind kind = kind_of(name, len);
		char key[64];

		snprintf(key, sizeof(key), "%.*s", (int)(kind == COL_JSON ? len - 5 : len), name);
		json_object_set_new(row, key, column_value(cur, i, kind));
	}
	return row;
}

enum db_rc db_rows_json(struct db *db, json_t **out, const char *sql, const char *types, ...)
{
	struct db_cur cur;
	enum db_rc rc;
	va_list ap;

	va_start(ap, types);
	rc = vquery(db, &cur, sql, types, ap);
	va_end(ap);
	if (rc != DB_OK)
		return rc;
	*out = json_array();
	while (db_next(&cur))
		json_array_append_new(*out, db_row_json(&cur));
	rc = cur.rc;
	db_done(&cur);
	if (rc != DB_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

const char *db_migration(struct db *db, int version)
{
	return db->drv->migrations(version);
}
