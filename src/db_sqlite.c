/*
 * db_sqlite — the embedded engine. One connection per server thread, WAL
 * journal with synchronous=FULL so that an acknowledged commit survives a
 * crash, foreign keys on, and a per-connection cache of prepared
 * statements keyed by the SQL text. "$N" parameters become "?N".
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "mem.h"

#define CACHE_SLOTS 512

struct cached {
	const char *key; /* caller's SQL pointer */
	char *sql;       /* a copy, to detect a reused pointer */
	sqlite3_stmt *stmt;
	bool busy;
};

struct sqlite_db {
	struct db base;
	sqlite3 *h;
	bool holds_writer; /* this connection holds the process's writer lock */
	struct cached cache[CACHE_SLOTS];
};

static const char *const migrations[] = {
    /* 1: the domain of DESIGN.md §1 */
    "CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE members (id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL REFERENCES teams(id),"
    "  email TEXT NOT NULL UNIQUE, role TEXT NOT NULL, password_hash TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE admin_keys (id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL REFERENCES teams(id), name TEXT NOT NULL,"
    "  hash TEXT NOT NULL UNIQUE, head TEXT NOT NULL, last4 TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE schemas (id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL REFERENCES teams(id), name TEXT NOT NULL,"
    "  default_data_source_id INTEGER, created_at INTEGER NOT NULL,"
    "  UNIQUE (team_id, name));"
    "CREATE TABLE data_sources (id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL REFERENCES teams(id),"
    "  schema_id INTEGER NOT NULL REFERENCES schemas(id), name TEXT NOT NULL,"
    "  type TEXT NOT NULL, config TEXT NOT NULL, secrets TEXT NOT NULL,"
    "  secret_names TEXT NOT NULL DEFAULT '[]',"
    "  created_at INTEGER NOT NULL, UNIQUE (schema_id, name));"
    "CREATE TABLE groups (id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL REFERENCES teams(id), name TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, UNIQUE (team_id, name));"
    "CREATE TABLE group_data_sources ("
    "  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
    "  data_source_id INTEGER NOT NULL REFERENCES data_sources(id),"
    "  schema_id INTEGER NOT NULL, is_default INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (group_id, data_source_id));"
    "CREATE UNIQUE INDEX group_one_default ON group_data_sources (group_id, schema_id)"
    "  WHERE is_default = 1;"
    "CREATE INDEX group_data_sources_ds ON group_data_sources (data_source_id);"
    "CREATE TABLE api_tokens (id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL REFERENCES teams(id),"
    "  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL, permission TEXT NOT NULL"
    "  CHECK (permission IN ('read_only', 'read_write')),"
    "  hash TEXT NOT NULL UNIQUE, head TEXT NOT NULL, last4 TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, expires_at INTEGER, last_used_at INTEGER);"
    "CREATE TABLE hierarchy_levels (id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL REFERENCES teams(id), name TEXT NOT NULL,"
    "  rank INTEGER NOT NULL, UNIQUE (team_id, name), UNIQUE (team_id, rank));"
    "CREATE TABLE group_tags (id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL REFERENCES teams(id), name TEXT NOT NULL,"
    "  UNIQUE (team_id, name));"
    "CREATE TABLE customers (id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL REFERENCES teams(id),"
    "  group_id INTEGER NOT NULL REFERENCES groups(id),"
    "  provided_id TEXT NOT NULL, name TEXT NOT NULL,"
    "  is_demo INTEGER NOT NULL DEFAULT 0, properties TEXT NOT NULL,"
    "  emails TEXT NOT NULL, parent_id INTEGER REFERENCES customers(id),"
    "  level_id INTEGER NOT NULL REFERENCES hierarchy_levels(id),"
    "  embed_token TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL, UNIQUE (group_id, provided_id));"
    "CREATE INDEX customers_parent ON customers (parent_id);"
    "CREATE TABLE customer_tags ("
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  tag_id INTEGER NOT NULL REFERENCES group_tags(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (customer_id, tag_id));"
    "CREATE TABLE customer_mappings ("
    "  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,"
    "  schema_id INTEGER NOT NULL REFERENCES schemas(id),"
    "  data_source_id INTEGER NOT NULL REFERENCES data_sources(id),"
    "  PRIMARY KEY (customer_id, schema_id));"
    "CREATE INDEX customer_mappings_ds ON customer_mappings (data_source_id);"
    "CREATE TABLE audit_events (id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL, at INTEGER NOT NULL, actor_type TEXT NOT NULL,"
    "  actor_id INTEGER NOT NULL, action TEXT NOT NULL, object_type TEXT NOT NULL,"
    "  object_id TEXT NOT NULL, before TEXT, after TEXT, request_id TEXT NOT NULL);"
    "CREATE INDEX audit_team_at ON audit_events (team_id, id);",

    /* 2: token lifecycle, signing keys, sealed secrets, the audit chain */
    "ALTER TABLE api_tokens ADD COLUMN previous_hash TEXT;"
    "ALTER TABLE api_tokens ADD COLUMN previous_until INTEGER;"
    "CREATE UNIQUE INDEX api_tokens_previous ON api_tokens (previous_hash);"
    "ALTER TABLE teams ADD COLUMN token_max_lifetime INTEGER;"
    "CREATE TABLE signing_keys (id INTEGER PRIMARY KEY,"
    "  key_id TEXT NOT NULL UNIQUE, team_id INTEGER NOT NULL REFERENCES teams(id),"
    "  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
    "  sealed_key TEXT NOT NULL, created_at INTEGER NOT NULL, retired_at INTEGER);"
    "CREATE INDEX signing_keys_group ON signing_keys (group_id);"
    "ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;"
    "ALTER TABLE audit_events ADD COLUMN hash TEXT;"
    "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);",

    /* 3: customer pages in id order, per team and per group */
    "CREATE INDEX customers_team_order ON customers (team_id, id);"
    "CREATE INDEX customers_group_order ON customers (group_id, id);",
};

static const char *sqlite_migrations(int version)
{
	if (version < 1 || version > (int)(sizeof(migrations) / sizeof(migrations[0])))
		return NULL;
	return migrations[version - 1];
}

static enum db_rc map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return DB_OK;
	case SQLITE_CONSTRAINT:
		return DB_CONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_BUSY;
	default:
		return DB_ERROR;
	}
}

static enum db_rc sq_run(struct db *db, const char *sql)
{
	struct sqlite_db *s = (struct sqlite_db *)db;
	char *msg = NULL;
	int rc = sqlite3_exec(s->h, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		log_error("sqlite: %s", msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return map_rc(rc);
}

/* Transactions go through the statement cache like any query: a request
 * would otherwise parse BEGIN and COMMIT every time. */
/* SQLite lets one connection write at a time. Writers of this process
 * queue here, in order, instead of in SQLite's busy handler, whose growing
 * sleeps let one thread starve another for seconds. */
static pthread_mutex_t writer = PTHREAD_MUTEX_INITIALIZER;

static enum db_rc sq_begin(struct db *db, bool write)
{
	struct sqlite_db *s = (struct sqlite_db *)db;
	enum db_rc rc;

	if (write)
		pthread_mutex_lock(&writer);
	rc = db_exec(db, NULL, write ? "BEGIN IMMEDIATE" : "BEGIN", "");
	s->holds_writer = write && rc == DB_OK;
	if (write && rc != DB_OK)
		pthread_mutex_unlock(&writer);
	return rc;
}

static enum db_rc sq_begin_if_free(struct db *db)
{
	struct sqlite_db *s = (struct sqlite_db *)db;
	enum db_rc rc;

	if (pthread_mutex_trylock(&writer) != 0)
		return DB_BUSY;
	rc = db_exec(db, NULL, "BEGIN IMMEDIATE", "");
	s->holds_writer = rc == DB_OK;
	if (rc != DB_OK)
		pthread_mutex_unlock(&writer);
	return rc;
}

static void sq_end(struct db *db)
{
	struct sqlite_db *s = (struct sqlite_db *)db;

	if (s->holds_writer)
		pthread_mutex_unlock(&writer);
	s->holds_writer = false;
}

static char *dollar_to_question(const char *sql)
{
	char *out = xstrdup(sql);

	for (char *p = out; *p; p++) {
		if (*p == '$' && p[1] >= '0' && p[1] <= '9')
			*p = '?';
	}
	return out;
}

static sqlite3_stmt *prepare(struct sqlite_db *s, const char *sql, unsigned flags)
{
	char *text = dollar_to_question(sql);
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v3(s->h, text, -1, flags, &stmt, NULL);

	if (rc != SQLITE_OK)
		log_error("sqlite prepare: %s", sqlite3_errmsg(s->h));
	free(text);
	return stmt;
}

static struct cached *cache_slot(struct sqlite_db *s, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 3) % CACHE_SLOTS;

	for (size_t probe = 0; probe < CACHE_SLOTS; probe++) {
		struct cached *c = &s->cache[(h + probe) % CACHE_SLOTS];

		if (!c->key || (c->key == sql && strcmp(c->sql, sql) == 0))
			return c;
	}
	return NULL;
}

static sqlite3_stmt *acquire(struct sqlite_db *s, const char *sql, struct db_cur *cur)
{
	struct cached *c = cache_slot(s, sql);

	cur->owned = true;
	if (!c || (c->key && c->busy))
		return prepare(s, sql, 0);
	if (!c->key) {
		c->stmt = prepare(s, sql, SQLITE_PREPARE_PERSISTENT);
		if (!c->stmt)
			return NULL;
		c->key = sql;
		c->sql = xstrdup(sql);
	}
	c->busy = true;
	cur->owned = false;
	cur->row = (int)(c - s->cache);
	return c->stmt;
}

static enum db_rc sq_query(struct db *db, const char *sql, int n, const struct db_param *p,
                           struct db_cur *cur)
{
	struct sqlite_db *s = (struct sqlite_db *)db;
	sqlite3_stmt *stmt = acquire(s, sql, cur);

	if (!stmt)
		return DB_ERROR;
	for (int i = 0; i < n; i++) {
		if (p[i].type == 't')
			sqlite3_bind_text(stmt, i + 1, p[i].s, -1, SQLITE_STATIC);
		else if (p[i].type == '0')
			sqlite3_bind_null(stmt, i + 1);
		else
			sqlite3_bind_int64(stmt, i + 1, p[i].i);
	}
	cur->impl = stmt;
	cur->ncols = sqlite3_column_count(stmt);
	cur->rc = DB_OK;
	return DB_OK;
}

static bool sq_next(struct db_cur *cur)
{
	int rc = sqlite3_step(cur->impl);

	if (rc == SQLITE_ROW)
		return true;
	if (rc != SQLITE_DONE) {
		cur->rc = map_rc(sqlite3_extended_errcode(sqlite3_db_handle(cur->impl)));
		if (cur->rc != DB_CONSTRAINT)
			log_error("sqlite step: %s", sqlite3_errmsg(sqlite3_db_handle(cur->impl)));
	}
	return false;
}

static bool sq_is_null(struct db_cur *cur, int col)
{
	return sqlite3_column_type(cur->impl, col) == SQLITE_NULL;
}

static bool sq_col_is_int(struct db_cur *cur, int col)
{
	return sqlite3_column_type(cur->impl, col) == SQLITE_INTEGER;
}

static int64_t sq_col_int(struct db_cur *cur, int col)
{
	return sqlite3_column_int64(cur->impl, col);
}

static const char *sq_col_text(struct db_cur *cur, int col)
{
	const char *t = (const char *)sqlite3_column_text(cur->impl, col);

	return t ? t : "";
}

static const char *sq_col_name(struct db_cur *cur, int col)
{
	return sqlite3_column_name(cur->impl, col);
}

static void sq_done(struct db_cur *cur)
{
	struct sqlite_db *s = (struct sqlite_db *)cur->db;

	if (!cur->impl)
		return;
	if (cur->owned) {
		sqlite3_finalize(cur->impl);
	} else {
		sqlite3_reset(cur->impl);
		sqlite3_clear_bindings(cur->impl);
		s->cache[cur->row].busy = false;
	}
	cur->impl = NULL;
}

static int64_t sq_changes(struct db *db)
{
	return sqlite3_changes64(((struct sqlite_db *)db)->h);
}

static void sq_close(struct db *db)
{
	struct sqlite_db *s = (struct sqlite_db *)db;

	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		sqlite3_finalize(s->cache[i].stmt);
		free(s->cache[i].sql);
	}
	sqlite3_close_v2(s->h);
	free(s);
}

static const char pragmas[] = "PRAGMA journal_mode = WAL;"
                              "PRAGMA synchronous = FULL;"
                              "PRAGMA foreign_keys = ON;"
                              "PRAGMA busy_timeout = 5000;";

static enum db_rc sq_open(const char *path, struct db **out, char *msg, size_t msglen);

const struct db_driver db_sqlite_driver = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .run = sq_run,
    .begin = sq_begin,
    .begin_if_free = sq_begin_if_free,
    .end = sq_end,
    .query = sq_query,
    .next = sq_next,
    .is_null = sq_is_null,
    .col_int = sq_col_int,
    .col_text = sq_col_text,
    .col_name = sq_col_name,
    .col_is_int = sq_col_is_int,
    .done = sq_done,
    .changes = sq_changes,
    .migrations = sqlite_migrations,
};

static enum db_rc sq_open(const char *path, struct db **out, char *msg, size_t msglen)
{
	struct sqlite_db *s = xcalloc(1, sizeof(*s));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	char *emsg = NULL;
	int rc;

	s->base.drv = &db_sqlite_driver;
	rc = sqlite3_open_v2(path, &s->h, flags, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->h, pragmas, NULL, NULL, &emsg);
	if (rc != SQLITE_OK) {
		snprintf(msg, msglen, "cannot open SQLite database \"%s\": %s", path,
		         emsg ? emsg : sqlite3_errmsg(s->h));
		sqlite3_free(emsg);
		sq_close(&s->base);
		return DB_ERROR;
	}
	*out = &s->base;
	return DB_OK;
}
