/*
 * test_audit — rule 10: every accepted write, through either API, leaves at
 * least one audit event in the same transaction; a refused write leaves
 * none; and GET /admin/api/audit shows who did what, before and after.
 */
#include <string.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;

/* The write r must have been accepted and have added an audit row since
 * n rows were counted; n moves on to the new count. */
#define expect_audited(r, n)                                                                       \
	do {                                                                                       \
		const struct resp *ea_ = (r);                                                      \
		long ea_now_ = db_count("audit_events");                                           \
		expect_ok(ea_);                                                                    \
		cr_assert_gt(ea_now_, (n), "%s %s was accepted without an audit event",            \
		             ea_->method, ea_->path);                                              \
		(n) = ea_now_;                                                                     \
	} while (0)

/* The write r must have been refused and have left the count at n. */
#define expect_not_audited(r, n)                                                                   \
	do {                                                                                       \
		const struct resp *en_ = (r);                                                      \
		cr_assert_geq(en_->status, 400, "%s %s: %s", en_->method, en_->path, en_->body);   \
		cr_assert_eq(db_count("audit_events"), (n), "%s %s was refused but audited",       \
		             en_->method, en_->path);                                              \
	} while (0)

VTEST(audit, every_admin_write_is_audited)
{
	long n = db_count("audit_events");
	json_int_t schema, ds, group, token, tag, level, cust;
	struct resp *r;

	r = adm("POST", "/admin/api/schemas", J("{s:s}", "name", "S"));
	expect_audited(r, n);
	schema = jint(r->json, "id");
	r = adm("POST", "/admin/api/data_sources",
	        J("{s:s, s:I, s:s, s:{}}", "name", "D", "schema_id", schema, "type", "sqlite",
	          "config"));
	expect_audited(r, n);
	ds = jint(r->json, "id");
	expect_audited(adm("PATCH", fmt("/admin/api/schemas/%" JSON_INTEGER_FORMAT, schema),
	                   J("{s:I}", "default_data_source_id", ds)),
	               n);
	expect_audited(adm("PATCH", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, ds),
	                   J("{s:s}", "name", "D2")),
	               n);
	r = adm("POST", "/admin/api/groups", J("{s:s}", "name", "G"));
	expect_audited(r, n);
	group = jint(r->json, "id");
	expect_audited(adm("PATCH", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, group),
	                   J("{s:s}", "name", "G2")),
	               n);
	expect_audited(
	    adm("PUT",
	        fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/data_sources/%" JSON_INTEGER_FORMAT,
	            group, ds),
	        NULL),
	    n);
	expect_audited(
	    adm("PUT",
	        fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/defaults/%" JSON_INTEGER_FORMAT,
	            group, schema),
	        J("{s:I}", "data_source_id", ds)),
	    n);
	expect_audited(
	    adm("DELETE",
	        fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/defaults/%" JSON_INTEGER_FORMAT,
	            group, schema),
	        NULL),
	    n);
	r = adm("POST", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/tokens", group),
	        J("{s:s, s:s}", "name", "T", "permission", "read_write"));
	expect_audited(r, n);
	token = jint(r->json, "id");
	expect_audited(adm("PATCH", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT, token),
	                   J("{s:s}", "permission", "read_only")),
	               n);
	expect_audited(
	    adm("POST", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT "/refresh", token), NULL), n);
	r = adm("POST", "/admin/api/group_tags", J("{s:s}", "name", "tag"));
	expect_audited(r, n);
	tag = jint(r->json, "id");
	expect_audited(adm("PATCH", fmt("/admin/api/group_tags/%" JSON_INTEGER_FORMAT, tag),
	                   J("{s:s}", "name", "tag2")),
	               n);
	r = adm("POST", "/admin/api/hierarchy_levels",
	        J("{s:s, s:i}", "name", "Top", "rank", 1000));
	expect_audited(r, n);
	level = jint(r->json, "id");
	r = adm("POST", "/admin/api/customers",
	        J("{s:I, s:s, s:s}", "group_id", group, "provided_id", "c", "name", "C"));
	expect_audited(r, n);
	cust = jint(r->json, "id");
	expect_audited(adm("PATCH", fmt("/admin/api/customers/%" JSON_INTEGER_FORMAT, cust),
	                   J("{s:s}", "name", "C2")),
	               n);
	expect_audited(adm("DELETE", fmt("/admin/api/customers/%" JSON_INTEGER_FORMAT, cust), NULL),
	               n);
	expect_audited(
	    adm("DELETE", fmt("/admin/api/hierarchy_levels/%" JSON_INTEGER_FORMAT, level), NULL),
	    n);
	expect_audited(adm("DELETE", fmt("/admin/api/group_tags/%" JSON_INTEGER_FORMAT, tag), NULL),
	               n);
	expect_audited(adm("DELETE", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT, token), NULL),
	               n);
	expect_audited(
	    adm("DELETE",
	        fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/data_sources/%" JSON_INTEGER_FORMAT,
	            group, ds),
	        NULL),
	    n);
	expect_audited(adm("DELETE", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, group), NULL),
	               n);
	expect_audited(
	    adm("DELETE", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, ds), NULL), n);
	expect_audited(adm("DELETE", fmt("/admin/api/schemas/%" JSON_INTEGER_FORMAT, schema), NULL),
	               n);
}

VTEST(audit, every_customer_api_write_is_audited)
{
	long n;
	const char *embed;

	world_tour(&w);
	n = db_count("audit_events");
	expect_audited(
	    api(w.tok_test, "POST", "/api/create_customer/", J("{s:s}", "provided_id", "a")), n);
	expect_audited(api(w.tok_test, "POST", "/api/update_customer/",
	                   J("{s:s, s:s}", "provided_id", "a", "name", "A")),
	               n);
	expect_audited(
	    api(w.tok_test, "POST", "/api/refresh_customer_token/", J("{s:s}", "provided_id", "a")),
	    n);
	embed = jstr(get_customer(w.tok_test, "a"), "token");
	expect_audited(
	    api(w.tok_test, "POST", "/api/update_customer/", J("{s:s}", "current_token", embed)),
	    n);
	expect_audited(api(w.tok_test, "POST", "/api/create_group_tag/", J("{s:s}", "name", "t")),
	               n);
	expect_audited(api(w.tok_test, "POST", "/api/rename_group_tag/",
	                   J("{s:s, s:s}", "name", "t", "new_name", "u")),
	               n);
	expect_audited(api(w.tok_test, "POST", "/api/delete_group_tag/", J("{s:s}", "name", "u")),
	               n);
	expect_audited(
	    api(w.tok_test, "POST", "/api/delete_customer/", J("{s:s}", "provided_id", "a")), n);
}

VTEST(audit, refused_writes_leave_no_event)
{
	long n;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "a"));
	n = db_count("audit_events");
	expect_not_audited(
	    api(w.ro_test, "POST", "/api/create_customer/", J("{s:s}", "provided_id", "b")), n);
	expect_not_audited(
	    api(w.tok_test, "POST", "/api/create_customer/",
	        J("{s:s, s:o}", "provided_id", "b", "mapping", map1(w.schema, w.ds_prod))),
	    n);
	expect_not_audited(api(w.tok_test, "POST", "/api/update_customer/",
	                       J("{s:s, s:s}", "provided_id", "ghost", "name", "x")),
	                   n);
	expect_not_audited(adm("POST", "/admin/api/groups", J("{s:s}", "name", "Testing")), n);
	expect_not_audited(
	    adm("DELETE", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, w.grp_test), NULL), n);
	/* A get-or-create that finds the customer writes nothing. */
	expect_status(
	    api(w.tok_test, "POST", "/api/create_customer/", J("{s:s}", "provided_id", "a")), 200);
	cr_assert_eq(db_count("audit_events"), n, "a create that changed nothing was audited");
}

static json_t *find_event(json_t *items, const char *object_type, const char *action_part)
{
	json_t *it;
	size_t i;

	json_array_foreach (items, i, it) {
		const char *ot = jstr(it, "object_type"), *ac = jstr(it, "action");
		if (ot && ac && strcmp(ot, object_type) == 0 && strstr(ac, action_part))
			return it;
	}
	return NULL;
}

VTEST(audit, events_say_who_what_before_and_after)
{
	struct resp *r;
	json_t *ev;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s, s:s}", "provided_id", "a", "name", "Old name"));
	api(w.tok_test, "POST", "/api/update_customer/",
	    J("{s:s, s:s}", "provided_id", "a", "name", "New name"));
	r = adm("GET", "/admin/api/audit?page_size=1000", NULL);
	expect_status(r, 200);
	cr_assert(json_is_integer(jget(r->json, "total_count")), "%s", r->body);
	ev = jget(r->json, "items.0");
	for (const char *f = "id\0at\0actor_type\0actor_id\0action\0object_type\0object_id\0"
	                     "before\0after\0request_id\0";
	     *f; f += strlen(f) + 1)
		cr_assert_not_null(jget(ev, f), "audit event lacks %s: %s", f, jdump(ev));

	ev = find_event(jget(r->json, "items"), "customer", "update");
	cr_assert_not_null(ev, "no customer update event: %s", r->body);
	cr_assert_not_null(strstr(jstr(ev, "actor_type"), "token"), "actor: %s", jdump(ev));
	cr_assert_eq(jint(ev, "actor_id"), w.tok_test_id, "actor_id: %s", jdump(ev));
	cr_assert_not_null(strstr(jdump(jget(ev, "before")), "Old name"), "before: %s", jdump(ev));
	cr_assert_not_null(strstr(jdump(jget(ev, "after")), "New name"), "after: %s", jdump(ev));

	ev = find_event(jget(r->json, "items"), "group", "create");
	cr_assert_not_null(ev, "no group create event: %s", r->body);
	cr_assert_not_null(strstr(jstr(ev, "actor_type"), "admin"), "actor: %s", jdump(ev));
}

VTEST(audit, list_is_paginated)
{
	struct resp *r;

	world_tour(&w);
	r = adm("GET", "/admin/api/audit?page=1&page_size=2", NULL);
	expect_status(r, 200);
	cr_assert_eq(json_array_size(jget(r->json, "items")), 2, "%s", r->body);
	cr_assert_geq(jint(r->json, "total_count"), 10, "the tour makes many events: %s", r->body);
	cr_assert_eq(jint(r->json, "total_count"), db_count("audit_events"));
}
