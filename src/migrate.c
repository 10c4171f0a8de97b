/*
 * migrate — brings a database to the newest schema version.
 */
#include "migrate.h"

#include <stdio.h>

#include "log.h"
#include "util.h"

static const char create_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)";

static bool apply_one(struct db *db, int version, const char *sql)
{
	int64_t done = 0;
	bool found = false;

	if (db_begin(db, true) != DB_OK)
		return false;
	if (db_scalar(db, &done, &found, "SELECT version FROM schema_migrations WHERE version = $1",
	              "i", (int64_t)version) != DB_OK)
		goto fail;
	if (found) {
		db_rollback(db);
		return true;
	}
	if (db->drv->run(db, sql) != DB_OK)
		goto fail;
	if (db_exec(db, NULL, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
	            "ii", (int64_t)version, util_now()) != DB_OK)
		goto fail;
	return db_commit(db) == DB_OK;
fail:
	db_rollback(db);
	return false;
}

bool migrate_run(struct db *db, int *applied, char *msg, size_t msglen)
{
	int64_t current = 0;
	bool found = false;
	const char *sql;

	*applied = 0;
	if (db->drv->run(db, create_table) != DB_OK ||
	    db_scalar(db, &current, &found, "SELECT MAX(version) FROM schema_migrations", "") !=
	        DB_OK) {
		snprintf(msg, msglen, "cannot read the migration history");
		return false;
	}
	for (int v = (int)current + 1; (sql = db_migration(db, v)) != NULL; v++) {
		if (!apply_one(db, v, sql)) {
			snprintf(msg, msglen, "migration %d failed", v);
			return false;
		}
		log_info("applied migration %d", v);
		(*applied)++;
	}
	return true;
}
