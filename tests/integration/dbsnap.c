/*
 * dbsnap — a read-only look at the server's SQLite database: whole-table
 * dumps as sorted text for "nothing changed" checks, row counts for "one
 * audit row per write", and a substring search for "no secret at rest" —
 * plus one writing door, for the tests that tamper with the file on purpose.
 */
#include "dbsnap.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Columns that change on reads and so stay out of every dump. */
static const char *const volatile_columns[] = {"last_used_at", NULL};

static sqlite3 *open_db(void)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open_v2(S.db_path, &h, SQLITE_OPEN_READONLY, NULL);

	cr_assert_eq(rc, SQLITE_OK, "open %s: %s", S.db_path, h ? sqlite3_errmsg(h) : "?");
	sqlite3_busy_timeout(h, 5000);
	return h;
}

static bool is_volatile(const char *col)
{
	for (int i = 0; volatile_columns[i]; i++)
		if (strcmp(col, volatile_columns[i]) == 0)
			return true;
	return false;
}

struct lines {
	char **v;
	size_t n, cap;
};

static void add_line(struct lines *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

static char *row_text(sqlite3_stmt *st, const char *table)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);

	fputs(table, f);
	for (int i = 0; i < sqlite3_column_count(st); i++) {
		const char *col = sqlite3_column_name(st, i);
		const unsigned char *v = sqlite3_column_text(st, i);
		if (is_volatile(col))
			continue;
		fprintf(f, " | %s=%s", col, v ? (const char *)v : "NULL");
	}
	fclose(f);
	return line;
}

static void dump_table(sqlite3 *h, const char *table, struct lines *out)
{
	char *sql = sqlite3_mprintf("SELECT * FROM \"%w\"", table);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);

	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		add_line(out, row_text(st, table));
	cr_assert_eq(rc, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_free(sql);
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(struct lines *l)
{
	size_t total = 1;
	char *s, *p;

	for (size_t i = 0; i < l->n; i++)
		total += strlen(l->v[i]) + 1;
	s = p = xrealloc(NULL, total);
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(l->v[i]);
		memcpy(p, l->v[i], n);
		p[n] = '\n';
		p += n + 1;
		free(l->v[i]);
	}
	*p = '\0';
	free(l->v);
	return s;
}

char *db_dump(void)
{
	sqlite3 *h = open_db();
	sqlite3_stmt *st = NULL;
	struct lines tables = {0}, rows = {0};

	cr_assert_eq(sqlite3_prepare_v2(h,
	                                "SELECT name FROM sqlite_master WHERE type = 'table' "
	                                "AND name NOT LIKE 'sqlite_%' ORDER BY name",
	                                -1, &st, NULL),
	             SQLITE_OK, "list tables: %s", sqlite3_errmsg(h));
	while (sqlite3_step(st) == SQLITE_ROW)
		add_line(&tables, strdup((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	for (size_t i = 0; i < tables.n; i++) {
		dump_table(h, tables.v[i], &rows);
		free(tables.v[i]);
	}
	free(tables.v);
	sqlite3_close(h);
	qsort(rows.v, rows.n, sizeof(*rows.v), cmp_lines);
	return keep(join(&rows));
}

long db_count(const char *table)
{
	sqlite3 *h = open_db();
	char *sql = sqlite3_mprintf("SELECT COUNT(*) FROM \"%w\"", table);
	sqlite3_stmt *st = NULL;
	long n;

	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(h));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(h));
	n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_free(sql);
	sqlite3_close(h);
	return n;
}

long db_scalar(const char *sql)
{
	sqlite3 *h = open_db();
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		cr_log_warn("invariant check skipped (%s): %s", sqlite3_errmsg(h), sql);
	} else if (sqlite3_step(st) == SQLITE_ROW) {
		n = (long)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* Each query counts the rows that break one rule; all must count 0. */
static const char *const invariants[][2] = {
    {"rule 3/7: a customer maps to a data source outside its group",
     "SELECT COUNT(*) FROM customer_mappings m JOIN customers c ON c.id = m.customer_id "
     "WHERE NOT EXISTS (SELECT 1 FROM group_data_sources g WHERE g.group_id = c.group_id "
     "AND g.data_source_id = m.data_source_id)"},
    {"rule 3: a mapping names a data source of another schema",
     "SELECT COUNT(*) FROM customer_mappings m JOIN data_sources d ON d.id = m.data_source_id "
     "WHERE d.schema_id != m.schema_id"},
    {"rule 5: a group member is filed under the wrong schema",
     "SELECT COUNT(*) FROM group_data_sources g JOIN data_sources d ON d.id = g.data_source_id "
     "WHERE d.schema_id != g.schema_id"},
    {"a schema's team default is missing or of another schema",
     "SELECT COUNT(*) FROM schemas s WHERE s.default_data_source_id IS NOT NULL AND NOT EXISTS "
     "(SELECT 1 FROM data_sources d WHERE d.id = s.default_data_source_id AND d.schema_id = "
     "s.id)"},
    {"hierarchy: a parent in another group or not at a strictly higher level",
     "SELECT COUNT(*) FROM customers c JOIN customers p ON p.id = c.parent_id "
     "JOIN hierarchy_levels lc ON lc.id = c.level_id JOIN hierarchy_levels lp ON lp.id = "
     "p.level_id WHERE p.group_id != c.group_id OR lp.rank <= lc.rank"},
    {"teams: a customer in another team's group",
     "SELECT COUNT(*) FROM customers c JOIN groups g ON g.id = c.group_id "
     "WHERE g.team_id != c.team_id"},
    {"teams: a group holds another team's data source",
     "SELECT COUNT(*) FROM group_data_sources gd JOIN groups g ON g.id = gd.group_id "
     "JOIN data_sources d ON d.id = gd.data_source_id WHERE g.team_id != d.team_id"},
    {"teams: a data source in another team's schema",
     "SELECT COUNT(*) FROM data_sources d JOIN schemas s ON s.id = d.schema_id "
     "WHERE s.team_id != d.team_id"},
    {"teams: a customer carries another team's tag",
     "SELECT COUNT(*) FROM customer_tags ct JOIN customers c ON c.id = ct.customer_id "
     "JOIN group_tags t ON t.id = ct.tag_id WHERE t.team_id != c.team_id"},
    {"teams: a token of another team's group",
     "SELECT COUNT(*) FROM api_tokens k JOIN groups g ON g.id = k.group_id "
     "WHERE g.team_id != k.team_id"},
};

void db_check_invariants(void)
{
	for (size_t i = 0; i < sizeof(invariants) / sizeof(invariants[0]); i++) {
		long n = db_scalar(invariants[i][1]);
		cr_expect(n <= 0, "stored data breaks %s (%ld rows)", invariants[i][0], n);
	}
}

bool db_contains(const char *needle)
{
	return strstr(db_dump(), needle) != NULL;
}

const char *db_diff(const char *before, const char *after)
{
	const char *a = before, *b = after;

	while (*a && *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
		size_t la = ea ? (size_t)(ea - a) : strlen(a),
		       lb = eb ? (size_t)(eb - b) : strlen(b);
		if (la != lb || memcmp(a, b, la) != 0)
			return fmt("before: %.*s\nafter:  %.*s", (int)la, a, (int)lb, b);
		a += la + (ea ? 1 : 0);
		b += lb + (eb ? 1 : 0);
	}
	if (*a)
		return fmt("row gone: %.*s", (int)strcspn(a, "\n"), a);
	if (*b)
		return fmt("row added: %.*s", (int)strcspn(b, "\n"), b);
	return NULL;
}

const char *db_texts(const char *sql)
{
	sqlite3 *h = open_db();
	sqlite3_stmt *st = NULL;
	struct lines rows = {0};
	int rc;

	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(h));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		add_line(&rows, strdup(v ? (const char *)v : "NULL"));
	}
	cr_assert_eq(rc, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return keep(join(&rows));
}

void db_write(const char *sql)
{
	sqlite3 *h = NULL;
	char *msg = NULL;
	int rc = sqlite3_open_v2(S.db_path, &h, SQLITE_OPEN_READWRITE, NULL);

	cr_assert_eq(rc, SQLITE_OK, "open %s: %s", S.db_path, h ? sqlite3_errmsg(h) : "?");
	sqlite3_busy_timeout(h, 5000);
	rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_close(h);
}
