/*
 * db — the driver interface under the store. A driver runs SQL written in
 * the portable subset both engines share ($1-style parameters, RETURNING,
 * WITH RECURSIVE, partial unique indexes) and hands rows back through a
 * cursor. Only store.c and migrate.c write SQL; only db_*.c know an engine.
 *
 * Parameters are described by a type string, one letter per argument:
 *   'i' int64_t, 't' const char * (NULL binds SQL NULL), 'n' int64_t where
 *   0 binds SQL NULL (for optional ids).
 */
#ifndef VISOR_DB_H
#define VISOR_DB_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

enum db_rc { DB_OK, DB_CONSTRAINT, DB_BUSY, DB_ERROR };

struct db;

struct db_param {
	char type;
	int64_t i;
	const char *s;
};

struct db_cur {
	struct db *db;
	void *impl;
	int row; /* driver-private position */
	int ncols;
	enum db_rc rc; /* set by a failed step */
	bool owned;    /* driver-private */
};

struct db_driver {
	const char *name;
	enum db_rc (*open)(const char *target, struct db **out, char *msg, size_t msglen);
	void (*close)(struct db *db);
	enum db_rc (*run)(struct db *db, const char *sql); /* no parameters, no rows */
	enum db_rc (*begin)(struct db *db, bool write);
	enum db_rc (*begin_if_free)(struct db *db);
	void (*end)(struct db *db); /* after COMMIT or ROLLBACK */
	enum db_rc (*query)(struct db *db, const char *sql, int n, const struct db_param *p,
	                    struct db_cur *cur);
	bool (*next)(struct db_cur *cur);
	bool (*is_null)(struct db_cur *cur, int col);
	int64_t (*col_int)(struct db_cur *cur, int col);
	const char *(*col_text)(struct db_cur *cur, int col);
	const char *(*col_name)(struct db_cur *cur, int col);
	bool (*col_is_int)(struct db_cur *cur, int col);
	void (*done)(struct db_cur *cur);
	int64_t (*changes)(struct db *db);
	const char *(*migrations)(int version); /* NULL past the last */
};

struct db {
	const struct db_driver *drv;
	bool in_tx;
};

/* Open a connection from a URL: "sqlite:PATH" or "postgresql://…". */
enum db_rc db_open(const char *url, struct db **out, char *msg, size_t msglen) MUST_CHECK;
void db_close(struct db *db);

/* Transactions. A write transaction takes the write lock up front. */
enum db_rc db_begin(struct db *db, bool write) MUST_CHECK;
/* A write transaction, only if no other thread of this process is writing:
 * DB_BUSY otherwise, at once. */
enum db_rc db_begin_if_free(struct db *db) MUST_CHECK;
enum db_rc db_commit(struct db *db) MUST_CHECK;
void db_rollback(struct db *db);

/* Run a statement that returns no rows; *changed (may be NULL) gets the
 * number of rows it touched. */
enum db_rc db_exec(struct db *db, int64_t *changed, const char *sql, const char *types,
                   ...) MUST_CHECK;

/* The same with a va_list, for wrappers. */
enum db_rc db_vexec(struct db *db, int64_t *changed, const char *sql, const char *types,
                    va_list ap) MUST_CHECK;

/* Start a query; read rows with db_next and the column getters; always
 * finish with db_done. */
enum db_rc db_query(struct db *db, struct db_cur *cur, const char *sql, const char *types,
                    ...) MUST_CHECK;
/* The same with parameters already packed (for statements whose
 * parameters vary with the filters given). */
enum db_rc db_query_params(struct db *db, struct db_cur *cur, const char *sql, int n,
                           const struct db_param *p) MUST_CHECK;
bool db_next(struct db_cur *cur);
bool db_is_null(struct db_cur *cur, int col);
int64_t db_int(struct db_cur *cur, int col);
const char *db_text(struct db_cur *cur, int col);
void db_done(struct db_cur *cur);

/* One integer from the first row (e.g. a count or RETURNING id).
 * Gives DB_OK with *found false when there is no row. */
enum db_rc db_scalar(struct db *db, int64_t *out, bool *found, const char *sql, const char *types,
                     ...) MUST_CHECK;

/* Every row as a JSON object keyed by column name; integer columns become
 * JSON integers, NULL becomes null, and columns whose name ends in "_json"
 * are parsed (and renamed without the suffix), and columns whose name
 * starts with "is_" become booleans, and integer columns named "at" or
 * ending in "_at" become RFC 3339 UTC times. *out is a new array. */
enum db_rc db_rows_json(struct db *db, json_t **out, const char *sql, const char *types,
                        ...) MUST_CHECK;

/* The current row of a cursor as such an object (new reference). */
json_t *db_row_json(struct db_cur *cur);

/* The SQL of migration `version` for this connection's engine. */
const char *db_migration(struct db *db, int version);

#endif
