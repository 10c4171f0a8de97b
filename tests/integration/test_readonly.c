/*
 * test_readonly — rule 2: a read_only token may read every route, and every
 * write it attempts answers 403 read_only_token and leaves the database
 * exactly as it was.
 */
#include <string.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;

struct write {
	const char *method;
	const char *path;
	const char *body;
};

static const struct write writes[] = {
    {"POST", "/api/create_customer/", "{\"provided_id\":\"new-one\"}"},
    {"POST", "/api/create_customer", "{\"provided_id\":\"new-one\",\"name\":\"N\"}"},
    {"POST", "/api/create_customer/", "{\"provided_id\":\"ro-1\"}"},
    {"POST", "/api/update_customer/", "{\"provided_id\":\"ro-1\",\"name\":\"changed\"}"},
    {"POST", "/api/update_customer", "{\"provided_id\":\"ro-1\",\"new_provided_id\":\"ro-9\"}"},
    {"POST", "/api/update_customer/", "{\"current_token\":\"{T}\"}"},
    {"POST", "/api/refresh_customer_token/", "{\"provided_id\":\"ro-1\"}"},
    {"POST", "/api/refresh_customer_token", "{\"current_token\":\"{T}\"}"},
    {"POST", "/api/delete_customer/", "{\"provided_id\":\"ro-1\"}"},
    {"DELETE", "/api/delete_customer/", "{\"provided_id\":\"ro-1\"}"},
    {"POST", "/api/delete_customer", "{\"current_token\":\"{T}\"}"},
    {"POST", "/api/create_group_tag/", "{\"name\":\"new-tag\"}"},
    {"POST", "/api/rename_group_tag/", "{\"name\":\"vip\",\"new_name\":\"gold\"}"},
    {"POST", "/api/delete_group_tag/", "{\"name\":\"vip\"}"},
    {"POST", "/api/delete_group_tag", "{\"name\":\"vip\"}"},
    {NULL, NULL, NULL},
};

static void try_writes(const char *auth, const char *embed)
{
	const char *hdrs[] = {auth, NULL};
	const char *before = db_dump();

	for (int i = 0; writes[i].method; i++) {
		const char *body = replace_all(writes[i].body, "{T}", embed);
		struct resp *r = http(writes[i].method, writes[i].path, hdrs, body, strlen(body));

		cr_assert_eq(r->status, 403, "%s %s %s with a read_only token: got %ld: %s",
		             writes[i].method, writes[i].path, body, r->status, r->body);
		cr_assert_str_eq(resp_code(r), "read_only_token", "%s %s: %s", writes[i].method,
		                 writes[i].path, r->body);
		expect_db_unchanged(before,
		                    fmt("%s %s %s", writes[i].method, writes[i].path, body));
	}
}

static const char *setup(void)
{
	world_tour(&w);
	mk_tag("vip");
	return jstr(
	    mk_customer(w.tok_test, J("{s:s, s:[s]}", "provided_id", "ro-1", "group_tags", "vip")),
	    "token");
}

VTEST(readonly, every_write_is_refused)
{
	const char *embed = setup();

	try_writes(fmt("Explo-Authorization: Token %s", w.ro_test), embed);
	try_writes(fmt("Authorization: Bearer %s", w.ro_test), embed);
}

VTEST(readonly, every_read_works)
{
	static const char *const reads[] = {
	    "/api/customers/",  "/v2/api/customers/?page=1",           "/api/data_sources/",
	    "/api/group_tags/", "/api/get_customer/?provided_id=ro-1", NULL};
	struct resp *r;

	setup();
	for (int i = 0; reads[i]; i++)
		expect_status(api(w.ro_test, "GET", reads[i], NULL), 200);
	r = api(w.ro_test, "POST", "/api/get_customer/", J("{s:s}", "provided_id", "ro-1"));
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "customer.provided_id"), "ro-1");
	/* A read_only token reads its own group only. */
	expect_error(api(w.ro_prod, "GET", "/api/get_customer/?provided_id=ro-1", NULL), 404,
	             "not_found");
}

VTEST(readonly, downgrade_takes_effect_at_once)
{
	struct resp *r;
	const char *before;

	setup();
	r = adm("PATCH", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT, w.tok_test_id),
	        J("{s:s}", "permission", "read_only"));
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "permission"), "read_only");
	before = db_dump();
	expect_error(api(w.tok_test, "POST", "/api/create_customer/",
	                 J("{s:s}", "provided_id", "after-downgrade")),
	             403, "read_only_token");
	expect_db_unchanged(before, "a write with a downgraded token");

	r = adm("PATCH", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT, w.tok_test_id),
	        J("{s:s}", "permission", "read_write"));
	expect_status(r, 200);
	expect_ok(api(w.tok_test, "POST", "/api/create_customer/",
	              J("{s:s}", "provided_id", "after-upgrade")));
}
