/*
 * test_secrets — rule 9: data source secrets (config keys password, secret,
 * private_key, token, api_key, credentials) are stored but never returned by
 * any read; API token secrets and admin keys are kept only as hashes; and
 * no secret ever reaches the server's log.
 */
#include <string.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;

/* Every read that could show a data source, a group or an audit event. */
static const char *const admin_reads[] = {
    "/admin/api/data_sources",
    "/admin/api/data_sources?page=1&page_size=1000",
    "/admin/api/schemas",
    "/admin/api/groups",
    "/admin/api/audit?page_size=1000",
    NULL,
};

static void expect_no_secret_in(const struct resp *r, const char *secret)
{
	cr_assert_null(strstr(r->body, secret), "%s %s shows a secret: %s", r->method, r->path,
	               r->body);
}

VTEST(secrets, data_source_secrets_are_write_only)
{
	struct resp *r;
	json_int_t ds;

	world_tour(&w);
	r = adm("POST", "/admin/api/data_sources",
	        J("{s:s, s:I, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}}", "name", "Vault",
	          "schema_id", w.schema, "type", "snowflake", "config", "account", "acme",
	          "password", "pw-" DS_PASSWORD, "secret", "se-" DS_PASSWORD, "private_key",
	          "pk-" DS_PASSWORD, "token", "to-" DS_PASSWORD, "api_key", "ak-" DS_PASSWORD,
	          "credentials", "cr-" DS_PASSWORD));
	expect_status(r, 201);
	expect_no_secret_in(r, DS_PASSWORD);
	ds = jint(r->json, "id");
	cr_assert_str_eq(jstr(r->json, "config.account"), "acme", "plain settings are shown");
	cr_assert_eq(json_object_size(jget(r->json, "config")), 1, "%s", r->body);
	cr_assert_eq(json_array_size(jget(r->json, "secret_fields")), 6, "%s", r->body);
	cr_assert_not_null(strstr(jdump(jget(r->json, "secret_fields")), "\"private_key\""));
	group_add_ds(w.grp_test, ds);

	expect_no_secret_in(
	    adm("GET", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, ds), NULL),
	    DS_PASSWORD);
	expect_no_secret_in(adm("PATCH", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, ds),
	                        J("{s:s}", "name", "Vault 2")),
	                    DS_PASSWORD);
	for (int i = 0; admin_reads[i]; i++)
		expect_no_secret_in(adm("GET", admin_reads[i], NULL), DS_PASSWORD);
	expect_no_secret_in(
	    adm("GET", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, w.grp_test), NULL),
	    DS_PASSWORD);
	expect_no_secret_in(api(w.tok_test, "GET", "/api/data_sources/", NULL), DS_PASSWORD);
	expect_no_secret_in(api(w.ro_test, "GET", "/api/data_sources/", NULL), DS_PASSWORD);
}

VTEST(secrets, data_source_secrets_are_encrypted_at_rest)
{
	world_tour(&w);
	cr_assert(!db_contains(DS_PASSWORD),
	          "a data source password is stored in clear text (DESIGN §6: secretbox)");
}

VTEST(secrets, token_secrets_are_kept_only_as_hashes)
{
	struct resp *r;
	const char *fresh;

	world_tour(&w);
	r = adm("POST", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT "/refresh", w.ro_prod_id),
	        NULL);
	expect_status(r, 200);
	fresh = jstr(r->json, "token");
	const char *const secrets[] = {w.tok_test, w.tok_prod,          w.ro_test,
	                               fresh,      S.team[0].admin_key, S.team[0].password};

	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		/* Most of the secret is enough to find it. */
		const char *core = fmt("%.*s", (int)strlen(secrets[i]) - 6, secrets[i] + 6);
		cr_assert(!db_contains(core), "secret %zu is stored in clear text", i);
		for (int j = 0; admin_reads[j]; j++)
			expect_no_secret_in(adm("GET", admin_reads[j], NULL), core);
		expect_no_secret_in(
		    adm("GET", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", w.grp_test),
		        NULL),
		    core);
	}
}

VTEST(secrets, nothing_secret_in_the_log)
{
	const char *log;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "logged"));
	api(w.tok_prod, "GET", "/api/customers/", NULL);
	api("vis_wrong", "GET", "/api/customers/", NULL);
	adm("POST", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT "/refresh", w.ro_test_id), NULL);
	log = srv_log();
	cr_assert_null(strstr(log, DS_PASSWORD), "a data source secret is in the log");
	cr_assert_null(strstr(log, w.tok_test + 8), "an API token is in the log");
	cr_assert_null(strstr(log, w.tok_prod + 8), "an API token is in the log");
	cr_assert_null(strstr(log, S.team[0].admin_key + 10), "the admin key is in the log");
}

VTEST(secrets, audit_never_holds_secrets)
{
	struct resp *r;

	world_tour(&w);
	r = adm("GET", "/admin/api/audit?page_size=1000", NULL);
	expect_status(r, 200);
	expect_no_secret_in(r, DS_PASSWORD);
	expect_no_secret_in(r, w.tok_test + 8);
	expect_no_secret_in(r, w.ro_prod + 8);
}

/* A refused write must not echo the secret it was sent. */
VTEST(secrets, errors_never_echo_secrets)
{
	static const char *const bodies[] = {
	    "{\"name\":\"x\",\"schema_id\":999999,\"type\":\"sqlite\",\"config\":{\"password\":\"%"
	    "s\"}}",
	    "{\"name\":\"x\",\"schema_id\":%s,\"type\":\"sqlite\",\"config\":{\"password\":5}}",
	    "{\"name\":\"x\",\"type\":\"sqlite\",\"config\":{\"password\":\"%s\"},\"extra\":1}",
	    "{\"name\":\"x\",\"schema_id\":1,\"type\":\"sqlite\",\"config\":\"%s\"}", NULL};
	const char *hdrs[] = {NULL, NULL};

	world_tour(&w);
	hdrs[0] = fmt("Authorization: Bearer %s", S.team[0].admin_key);
	for (int i = 0; bodies[i]; i++) {
		const char *body = replace_all(bodies[i], "%s", DS_PASSWORD);
		struct resp *r = http("POST", "/admin/api/data_sources", hdrs, body, strlen(body));
		cr_assert_geq(r->status, 400, "%s was accepted", body);
		expect_no_secret_in(r, DS_PASSWORD);
	}
	expect_no_secret_in(api(w.tok_test, "POST", "/api/create_customer/",
	                        J("{s:s, s:s}", "provided_id", "x", "password", DS_PASSWORD)),
	                    DS_PASSWORD);
}
