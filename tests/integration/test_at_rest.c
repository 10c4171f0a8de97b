/*
 * test_at_rest — secrets at rest. `visor init` writes a private master key
 * beside the database; `visor serve` with any other key (a key file or
 * VISOR_MASTER_KEY) exits 1 naming the master key instead of starting;
 * every data source secret and signing key is stored sealed ("v1:") and
 * opens under the key file; `visor rekey` re-seals all of it under a new
 * key, after which the server runs on the new key only, keeping secrets and
 * the embed tokens signed before; and after a long run of operations the
 * raw database file holds none of the secrets the API ever handled.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dbsnap.h"
#include "embedkit.h"
#include "harness.h"
#include "sealkit.h"
#include "world.h"

static struct world w;

/* `visor serve` on the test's database with extra arguments, expected to
 * refuse to start: its exit status (-1 when it ran on) and stderr. */
static int serve_refused(const char *const *extra, char **err)
{
	const char *args[16] = {"serve", "--db", fmt("sqlite:%s", S.db_path), "--listen",
	                        fmt("127.0.0.1:%d", S.port)};
	int n = 5;

	for (int i = 0; extra && extra[i] && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	return visor_run_full(args, 5000, NULL, err);
}

#define expect_start_refused(extra, what)                                                          \
	do {                                                                                       \
		char *er_err = NULL;                                                               \
		int er_rc = serve_refused((extra), &er_err);                                       \
		cr_assert_neq(er_rc, -1, "%s: visor serve started anyway", (what));                \
		cr_assert_eq(er_rc, 1, "%s: visor serve exited %d: %s", (what), er_rc, er_err);    \
		cr_assert_not_null(strcasestr(er_err, "master key"),                               \
		                   "%s: stderr does not mention the master key: %s", (what),       \
		                   er_err);                                                        \
	} while (0)

static void stop(void)
{
	int status = srv_signal_and_wait(SIGTERM);

	cr_assert_neq(status, -1, "visor serve ignored SIGTERM");
}

VTEST(at_rest, init_writes_a_private_key_beside_the_database)
{
	struct stat st;
	size_t n = 0;
	const char *text = file_bytes(kit_key_path(), &n);

	cr_assert_eq(stat(kit_key_path(), &st), 0, "visor init wrote no %s", kit_key_path());
	cr_assert(S_ISREG(st.st_mode), "the key file is not a regular file");
	cr_assert_eq(st.st_mode & 0777, 0600, "the key file has mode %03o, not 600",
	             (unsigned)(st.st_mode & 0777));
	cr_assert(n == 65 && text[64] == '\n', "the key file is not 64 hex digits and a newline");
	cr_assert_eq(strspn(text, "0123456789abcdef"), 64, "the key file: %s", text);
}

VTEST(at_rest, serve_refuses_any_other_master_key)
{
	const char *other, *right;

	world_tour(&w);
	mk_key(w.grp_test);
	right = kit_key_hex(kit_key_path());
	other = kit_new_key_file("other.key");
	stop();
	expect_start_refused(((const char *[]){"--key-file", other, NULL}), "another key file");
	expect_start_refused(((const char *[]){"--key-file", fmt("%s/none.key", S.dir), NULL}),
	                     "a missing key file");
	setenv("VISOR_MASTER_KEY", kit_key_hex(other), 1);
	expect_start_refused(NULL, "VISOR_MASTER_KEY of another key");
	setenv("VISOR_MASTER_KEY", "abc", 1);
	expect_start_refused(NULL, "a malformed VISOR_MASTER_KEY");
	setenv("VISOR_MASTER_KEY", fmt("%.63s", right), 1);
	expect_start_refused(NULL, "a VISOR_MASTER_KEY one digit short");

	/* The right key in the environment wins over a wrong key file. */
	setenv("VISOR_MASTER_KEY", right, 1);
	srv_serve_args((const char *[]){"--key-file", other, NULL});
	srv_restart();
	expect_status(adm("GET", "/admin/api/data_sources", NULL), 200);
	unsetenv("VISOR_MASTER_KEY");
}

/* Every sealed value of the database, one per line. */
static const char *sealed_values(void)
{
	return fmt("%s%s", db_texts("SELECT secrets FROM data_sources ORDER BY id"),
	           db_texts("SELECT sealed_key FROM signing_keys ORDER BY id"));
}

/* Each sealed value starts with v1: and opens under the key file at path;
 * answers them all opened, one per line. */
static const char *open_all(const char *path)
{
	unsigned char key[KIT_KEY_BYTES];
	const char *all = sealed_values(), *opened = "";

	kit_master_key(path, key);
	for (const char *p = all; *p; p += strcspn(p, "\n") + 1) {
		const char *v = fmt("%.*s", (int)strcspn(p, "\n"), p);
		const char *plain = kit_unseal(key, v);

		cr_assert(strncmp(v, "v1:", 3) == 0, "a stored secret is not sealed: %s", v);
		cr_assert_not_null(plain, "a sealed value does not open under %s", path);
		opened = fmt("%s%s\n", opened, plain);
	}
	return opened;
}

VTEST(at_rest, secrets_are_sealed_under_the_key_file)
{
	const char *opened;

	world_tour(&w);
	mk_key(w.grp_test);
	mk_key(w.grp_prod);
	opened = open_all(kit_key_path());
	cr_assert_not_null(strstr(opened, DS_PASSWORD), "the password is not among the secrets");
	cr_assert(!db_contains(DS_PASSWORD), "a data source password is stored in clear");
	cr_assert_null(strstr(db_texts("SELECT config FROM data_sources"), "password"),
	               "the public config holds a secret");
}

VTEST(at_rest, every_secret_field_is_sealed)
{
	static const char *const names[] = {"password",        "secret",     "private_key",
	                                    "token",           "api_key",    "credentials",
	                                    "service_account", "passphrase", NULL};
	json_t *config = J("{s:s}", "account", "acme");
	struct resp *r;
	const char *all;

	world_tour(&w);
	for (int i = 0; names[i]; i++)
		json_object_set_new(config, names[i],
		                    json_string(fmt("v-%s-%s", names[i], DS_PASSWORD)));
	r = adm("POST", "/admin/api/data_sources",
	        J("{s:s, s:I, s:s, s:o}", "name", "All", "schema_id", w.schema, "type", "snowflake",
	          "config", config));
	expect_status(r, 201);
	cr_assert_eq(json_array_size(jget(r->json, "secret_fields")), 8, "%s", r->body);
	cr_assert_null(strstr(r->body, DS_PASSWORD), "the answer shows a secret: %s", r->body);
	all = db_dump();
	for (int i = 0; names[i]; i++)
		cr_expect_null(strstr(all, fmt("v-%s-", names[i])), "%s is stored in clear",
		               names[i]);
	cr_assert_not_null(strstr(open_all(kit_key_path()), "v-service_account-"));
}

VTEST(at_rest, rekey_reseals_and_the_server_moves_to_the_new_key)
{
	const char *before, *jwt, *new_key, *opened, *db = fmt("sqlite:%s", S.db_path);
	char *out = NULL, *err = NULL;
	struct resp *r;
	struct stat st;
	int rc;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "acme"));
	mk_key(w.grp_test);
	jwt = mk_jwt(w.tok_test, "acme", "d", NULL);
	before = sealed_values();
	stop();

	new_key = fmt("%s/new.key", S.dir);
	rc = visor_run_full((const char *[]){"rekey", "--db", db, "--new-key-file", new_key, NULL},
	                    10000, &out, &err);
	cr_assert_eq(rc, 0, "visor rekey exited %d: %s %s", rc, out, err);
	cr_assert_eq(stat(new_key, &st), 0, "rekey wrote no new key file");
	cr_assert_eq(st.st_mode & 0777, 0600, "the new key file has mode %03o",
	             (unsigned)(st.st_mode & 0777));
	cr_assert_str_neq(sealed_values(), before, "rekey changed no sealed value");
	opened = open_all(new_key);
	cr_assert_not_null(strstr(opened, DS_PASSWORD), "a secret was lost in the rekey");

	expect_start_refused(NULL, "the old key after a rekey");
	srv_serve_args((const char *[]){"--key-file", new_key, NULL});
	srv_restart();
	expect_verified(verify_jwt(w.tok_test, jwt), "acme");
	expect_verified(verify_jwt(w.tok_test, mk_jwt(w.tok_test, "acme", "d", NULL)), "acme");
	r = adm("PATCH", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, w.ds_test),
	        J("{s:{s:s}}", "config", "host", "db2.internal"));
	expect_status(r, 200);
	cr_assert_not_null(strstr(jdump(jget(r->json, "secret_fields")), "\"password\""),
	                   "the secrets were dropped by a PATCH after the rekey: %s", r->body);
	cr_assert_not_null(strstr(open_all(new_key), DS_PASSWORD),
	                   "the password is gone after a PATCH on the new key");
	mk_ds("After rekey", w.schema);
	open_all(new_key);
}

VTEST(at_rest, a_failed_rekey_changes_nothing)
{
	const char *before, *db = fmt("sqlite:%s", S.db_path), *bad_new = fmt("%s/bad.key", S.dir);
	const char *wrong;
	char *out = NULL, *err = NULL;
	FILE *f;
	int rc;

	world_tour(&w);
	mk_key(w.grp_test);
	wrong = kit_new_key_file("wrong.key");
	stop();
	before = db_dump();
	rc = visor_run_full((const char *[]){"rekey", "--db", db, "--key-file", wrong,
	                                     "--new-key-file", fmt("%s/n1.key", S.dir), NULL},
	                    10000, &out, &err);
	cr_assert_eq(rc, 1, "rekey with the wrong current key exited %d: %s", rc, err);
	expect_db_unchanged(before, "a rekey with the wrong current key");

	f = fopen(bad_new, "w");
	cr_assert_not_null(f);
	fputs("not a key\n", f);
	fclose(f);
	chmod(bad_new, 0600);
	rc = visor_run_full((const char *[]){"rekey", "--db", db, "--new-key-file", bad_new, NULL},
	                    10000, &out, &err);
	cr_assert_neq(rc, 0, "rekey accepted a malformed new key file: %s", out);
	expect_db_unchanged(before, "a rekey to a malformed key");
	srv_restart();
	expect_status(adm("GET", "/admin/api/data_sources", NULL), 200);
}

/* Everything secret the API handed out or was given during a long run. */
struct haul {
	const char *items[64];
	int n;
};

static void add(struct haul *h, const char *s)
{
	cr_assert(s != NULL && h->n < 64, "a secret is missing from an answer");
	h->items[h->n++] = s;
}

static void busy_run(struct haul *h)
{
	struct resp *r;
	const char *k1;
	char hex[65];
	unsigned char key[KIT_KEY_BYTES];

	world_tour(&w);
	for (const char *const *s =
	         (const char *const[]){w.tok_test, w.tok_prod, w.ro_test, w.ro_prod,
	                               S.team[0].admin_key, S.team[0].password, DS_PASSWORD, NULL};
	     *s; s++)
		add(h, *s);
	r = adm("POST", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT "/refresh", w.tok_test_id),
	        J("{s:i}", "grace_seconds", 600));
	add(h, jstr(r->json, "token"));
	r = adm("POST", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT "/refresh", w.ro_prod_id),
	        NULL);
	add(h, jstr(r->json, "token"));
	add(h, jstr(adm("POST", "/admin/api/admin_keys", J("{s:s}", "name", "ci"))->json, "key"));
	add(h, jstr(adm("POST", "/admin/api/members",
	                J("{s:s, s:s}", "email", "ed@acme.test", "role", "editor"))
	                ->json,
	            "password"));
	r = adm("POST", "/admin/api/data_sources",
	        J("{s:s, s:I, s:s, s:{s:s, s:s}}", "name", "Warehouse", "schema_id", w.schema,
	          "type", "bigquery", "config", "service_account", "sa-Kx8pQ2-unique-secret",
	          "passphrase", "pp-Zq93-unique-secret"));
	add(h, "sa-Kx8pQ2-unique-secret");
	add(h, "pp-Zq93-unique-secret");
	adm("PATCH", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, jint(r->json, "id")),
	    J("{s:{s:s}}", "config", "password", "pw-Lm47-rotated-secret"));
	add(h, "pw-Lm47-rotated-secret");
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "acme"));
	mk_customer(w.tok_prod, J("{s:s}", "provided_id", "acme"));
	k1 = mk_key(w.grp_test);
	mk_key(w.grp_test);
	mk_key(w.grp_prod);
	verify_jwt(w.tok_test, mk_jwt(w.tok_test, "acme", "d", NULL));
	kit_signing_key(k1, key, hex);
	add(h, fmt("%s", hex));
	adm("DELETE", key_path(k1), NULL);
	adm("PATCH", "/admin/api/team", J("{s:i}", "token_max_lifetime_days", 30));
	add(h,
	    jstr(adm("POST", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", w.grp_prod),
	             J("{s:s, s:s}", "name", "late", "permission", "read_only"))
	             ->json,
	         "token"));
}

/* The stored bytes: the database and whatever its WAL still holds. */
static const char *raw_bytes(size_t *n)
{
	size_t a = 0, b = 0;
	const char *db = file_bytes(S.db_path, &a);
	const char *wal = file_bytes(fmt("%s-wal", S.db_path), &b);
	char *all = keep(xzalloc(a + b + 1));

	memcpy(all, db, a);
	memcpy(all + a, wal, b);
	*n = a + b;
	return all;
}

static void expect_absent(const char *raw, size_t n, const void *needle, size_t len,
                          const char *what)
{
	cr_expect_null(memmem(raw, n, needle, len), "the raw database file holds %s", what);
}

VTEST(at_rest, the_raw_file_holds_no_secret)
{
	struct haul h = {0};
	const char *keys, *raw;
	size_t n = 0;

	busy_run(&h);
	keys = db_texts("SELECT key_id FROM signing_keys");
	stop();
	raw = raw_bytes(&n);
	cr_assert_not_null(memmem(raw, n, "ed@acme.test", 12), "control: the file was not read");
	for (int i = 0; i < h.n; i++) {
		/* the body of a credential, past its prefix, is enough to find it */
		const char *s = strlen(h.items[i]) > 16 ? h.items[i] + 8 : h.items[i];
		expect_absent(raw, n, s, strlen(s), fmt("secret %d (%.6s…)", i, h.items[i]));
	}
	expect_absent(raw, n, kit_key_hex(kit_key_path()), 64, "the master key");
	for (const char *p = keys; *p; p += strcspn(p, "\n") + 1) {
		unsigned char key[KIT_KEY_BYTES];
		char hex[65];

		kit_signing_key(fmt("%.36s", p), key, hex);
		expect_absent(raw, n, hex, 64, "a signing key in hex");
		expect_absent(raw, n, key, sizeof(key), "a signing key in binary");
		expect_absent(raw, n, b64url(key, sizeof(key)), 43, "a signing key in base64url");
	}
	for (const char *p = sealed_values(); *p; p += strcspn(p, "\n") + 1)
		cr_expect(strncmp(p, "v1:", 3) == 0, "a stored secret is not sealed: %.40s", p);
	srv_restart();
}

/* An admin request over a raw connection, so that any answer, 5xx included,
 * can be looked at rather than failing the test at once. */
static struct raw *raw_admin(const char *method, const char *path, const char *body)
{
	const char *req = fmt("%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
	                      "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	                      "Connection: close\r\n\r\n%s",
	                      method, path, S.team[0].admin_key, strlen(body), body);

	return raw_http(req, strlen(req), 3000);
}

/*
 * Servers still running on the old key after a rekey must not seal new
 * secrets under it: the rekey refuses, the write is refused, or what it
 * wrote opens under the new key once the server restarts on it.
 */
VTEST(at_rest, writes_between_a_rekey_and_the_restart_are_not_lost)
{
	const char *new_key = fmt("%s/new.key", S.dir), *before, *key_id = NULL;
	struct raw *ds, *key;
	char *out = NULL, *err = NULL;
	int rc;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "acme"));
	before = sealed_values();
	rc = visor_run_full((const char *[]){"rekey", "--db", fmt("sqlite:%s", S.db_path),
	                                     "--new-key-file", new_key, NULL},
	                    10000, &out, &err);
	if (rc != 0) {
		cr_assert_str_eq(sealed_values(), before, "a refused rekey changed sealed values");
		return;
	}
	ds = raw_admin("POST", "/admin/api/data_sources",
	               fmt("{\"name\":\"Between\",\"schema_id\":%" JSON_INTEGER_FORMAT
	                   ",\"type\":\"postgresql\",\"config\":{\"password\":\"pw-between\"}}",
	                   w.schema));
	key = raw_admin("POST", keys_path(w.grp_test), "{}");
	if (key->status == 201)
		key_id = fmt("%s", json_string_value(json_object_get(key->json, "key_id")));
	stop();
	srv_serve_args((const char *[]){"--key-file", new_key, NULL});
	srv_restart();
	open_all(new_key);
	if (ds->status == 201) {
		json_int_t id = json_integer_value(json_object_get(ds->json, "id"));
		expect_status(adm("PATCH", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, id),
		                  J("{s:{s:s}}", "config", "host", "h2")),
		              200);
	}
	if (key_id)
		mk_jwt(w.tok_test, "acme", "d", J("{s:s}", "key_id", key_id));
}
