/*
 * migrate — versioned schema migrations. Each engine keeps its numbered
 * scripts; schema_migrations records which ones ran. `visor migrate` and
 * `visor serve` both bring a database up to date before anything else.
 */
#ifndef VISOR_MIGRATE_H
#define VISOR_MIGRATE_H

#include "db.h"

/* Apply every pending migration, each in its own transaction. *applied
 * gets how many ran. Returns false with msg filled on failure. */
bool migrate_run(struct db *db, int *applied, char *msg, size_t msglen) MUST_CHECK;

#endif
