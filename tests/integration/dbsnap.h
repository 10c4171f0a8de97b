/*
 * dbsnap — reads the server's SQLite file directly, so that a test can prove
 * a refused request changed nothing: a full dump of every table before and
 * after, compared line by line. Columns that a read legitimately touches
 * (a token's last_used_at) are left out of the dump.
 */
#ifndef VISOR_IT_DBSNAP_H
#define VISOR_IT_DBSNAP_H

#include <stdbool.h>

/* Every row of every table as sorted text lines (harness-owned). */
char *db_dump(void);

/* Rows in one table. */
long db_count(const char *table);

/* Does any stored value contain needle? */
bool db_contains(const char *needle);

/* The single integer a query answers, or -1 when it cannot run (a schema
 * the query does not know: the check is skipped with a warning). */
long db_scalar(const char *sql);

/* The first column of every row a query answers, one per line in the
 * query's order, "NULL" for a null (harness-owned). */
const char *db_texts(const char *sql);

/* Run SQL that changes the file: for tests that tamper with it on purpose. */
void db_write(const char *sql);

/* The rules of DESIGN §2 that the stored data must satisfy whatever the
 * request: fails the test (and names the rule) on any violation. */
void db_check_invariants(void);

/* The first line that differs between two dumps, or NULL when equal. */
const char *db_diff(const char *before, const char *after);

/* Fails the test when the database differs from the dump taken before. */
#define expect_db_unchanged(before, what)                                                          \
	do {                                                                                       \
		const char *d_ = db_diff((before), db_dump());                                     \
		cr_assert_null(d_, "%s changed the database: %s", (what), d_);                     \
	} while (0)

#endif
