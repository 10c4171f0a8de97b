/*
 * test_groups — rules 5, 7 and 8 through the admin API: a group's default
 * must be one of its members (one per schema); a data source still mapped
 * explicitly by customers can be neither removed from the group nor deleted
 * (409 with the count) unless drop_mappings=true; a group with customers
 * cannot be deleted, and deleting an empty one revokes its tokens at once.
 */
#include <curl/curl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;

static const char *group_ds_path(json_int_t g, json_int_t ds, const char *query)
{
	return fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/data_sources/%" JSON_INTEGER_FORMAT
	           "%s",
	           g, ds, query);
}

static const char *default_path(json_int_t g, json_int_t schema)
{
	return fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/defaults/%" JSON_INTEGER_FORMAT, g,
	           schema);
}

/* Does the group list this data source, and is it its default? */
static bool group_has(json_int_t g, json_int_t ds, bool *is_default)
{
	struct resp *r = adm("GET", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, g), NULL);
	json_t *it;
	size_t i;

	expect_status(r, 200);
	json_array_foreach (jget(r->json, "data_sources"), i, it) {
		if (jint(it, "id") == ds) {
			if (is_default)
				*is_default = json_is_true(jget(it, "is_default"));
			return true;
		}
	}
	return false;
}

static json_int_t extra;

/* Testing holds "Extra" besides its default; two customers map to it. */
static void setup_mapped(void)
{
	world_tour(&w);
	extra = mk_ds("Extra", w.schema);
	group_add_ds(w.grp_test, extra);
	mk_customer(w.tok_test,
	            J("{s:s, s:o}", "provided_id", "x-1", "mapping", map1(w.schema, extra)));
	mk_customer(w.tok_test,
	            J("{s:s, s:o}", "provided_id", "x-2", "mapping", map1(w.schema, extra)));
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "plain"));
}

VTEST(groups, remove_mapped_source_is_refused)
{
	const char *before;
	struct resp *r;

	setup_mapped();
	before = db_dump();
	r = adm("DELETE", group_ds_path(w.grp_test, extra, ""), NULL);
	expect_error(r, 409, "data_source_in_use");
	cr_assert_eq(jint(r->json, "count"), 2, "count of customers mapping it: %s", r->body);
	r = adm("DELETE", group_ds_path(w.grp_test, extra, "?drop_mappings=false"), NULL);
	expect_error(r, 409, "data_source_in_use");
	expect_db_unchanged(before, "a refused removal");
}

VTEST(groups, remove_mapped_source_with_drop_mappings)
{
	json_t *c;

	setup_mapped();
	expect_status(adm("DELETE", group_ds_path(w.grp_test, extra, "?drop_mappings=true"), NULL),
	              200);
	cr_assert(!group_has(w.grp_test, extra, NULL), "the source is still a member");
	c = get_customer(w.tok_test, "x-1");
	cr_assert_str_eq(mapping_text(jget(c, "parent_schema_datasource_mapping")), "{}");
	expect_computed(c, map1(w.schema, w.ds_test));
	cr_assert_eq(db_count("customer_mappings"), 0, "a mapping to a non-member survived");
	/* The customer API no longer offers it. */
	cr_assert_null(strstr(api(w.tok_test, "GET", "/api/data_sources/", NULL)->body, "Extra"));
}

VTEST(groups, remove_unmapped_default_source)
{
	json_t *c;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "plain"));
	/* Only the group default points there: no explicit mapping blocks it. */
	expect_status(adm("DELETE", group_ds_path(w.grp_test, w.ds_test, ""), NULL), 200);
	cr_assert(!group_has(w.grp_test, w.ds_test, NULL));
	c = get_customer(w.tok_test, "plain");
	expect_computed(c, json_object());
}

VTEST(groups, delete_mapped_source)
{
	json_int_t shared;
	const char *before;
	struct resp *r;

	world_tour(&w);
	shared = mk_ds("Shared", w.schema);
	group_add_ds(w.grp_test, shared);
	group_add_ds(w.grp_prod, shared);
	mk_customer(w.tok_test,
	            J("{s:s, s:o}", "provided_id", "t", "mapping", map1(w.schema, shared)));
	mk_customer(w.tok_prod,
	            J("{s:s, s:o}", "provided_id", "p", "mapping", map1(w.schema, shared)));
	mk_customer(w.tok_prod,
	            J("{s:s, s:o}", "provided_id", "q", "mapping", map1(w.schema, shared)));

	before = db_dump();
	r = adm("DELETE", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, shared), NULL);
	expect_error(r, 409, "data_source_in_use");
	cr_assert_eq(jint(r->json, "count"), 3, "count across groups: %s", r->body);
	expect_db_unchanged(before, "a refused deletion");

	r = adm("DELETE",
	        fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT "?drop_mappings=true", shared),
	        NULL);
	expect_ok(r);
	expect_error(adm("GET", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, shared), NULL),
	             404, "not_found");
	cr_assert(!group_has(w.grp_test, shared, NULL));
	cr_assert(!group_has(w.grp_prod, shared, NULL));
	expect_computed(get_customer(w.tok_prod, "p"), map1(w.schema, w.ds_prod));
	cr_assert_str_eq(
	    mapping_text(jget(get_customer(w.tok_test, "t"), "parent_schema_datasource_mapping")),
	    "{}");
}

VTEST(groups, delete_unmapped_source)
{
	json_int_t lone;

	world_tour(&w);
	lone = mk_ds("Lone", w.schema);
	expect_ok(adm("DELETE", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, lone), NULL));
	expect_error(
	    adm("DELETE", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, lone), NULL), 404,
	    "not_found");
}

VTEST(groups, default_must_be_a_member)
{
	json_int_t other_schema, other_ds;
	const char *before;
	struct resp *r;

	world_tour(&w);
	other_schema = mk_schema("Other");
	other_ds = mk_ds("Other DB", other_schema);
	group_add_ds(w.grp_test, other_ds);
	before = db_dump();
	r = adm("PUT", default_path(w.grp_test, w.schema), J("{s:I}", "data_source_id", w.ds_prod));
	expect_error(r, 400, "invalid_default");
	/* A member, but of another schema. */
	r = adm("PUT", default_path(w.grp_test, w.schema), J("{s:I}", "data_source_id", other_ds));
	expect_error(r, 400, "invalid_default");
	expect_db_unchanged(before, "refused defaults");
}

VTEST(groups, one_default_per_schema)
{
	json_int_t second;
	bool is_default = false;

	world_tour(&w);
	second = mk_ds("Second", w.schema);
	group_add_ds(w.grp_test, second);
	group_set_default(w.grp_test, w.schema, second);
	cr_assert(group_has(w.grp_test, second, &is_default) && is_default);
	cr_assert(group_has(w.grp_test, w.ds_test, &is_default) && !is_default,
	          "two defaults for one schema");
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "c"));
	expect_computed(get_customer(w.tok_test, "c"), map1(w.schema, second));

	expect_status(adm("DELETE", default_path(w.grp_test, w.schema), NULL), 200);
	cr_assert(group_has(w.grp_test, second, &is_default) && !is_default);
	cr_assert(group_has(w.grp_test, w.ds_test, &is_default) && !is_default);
	/* The team default (Production DB) is not a member of Testing. */
	expect_computed(get_customer(w.tok_test, "c"), json_object());
}

VTEST(groups, shared_source_in_both_groups)
{
	json_int_t shared;
	struct resp *r;

	world_tour(&w);
	shared = mk_ds("Shared", w.schema);
	group_add_ds(w.grp_test, shared);
	group_add_ds(w.grp_prod, shared);
	r = api(w.tok_test, "GET", "/api/data_sources/", NULL);
	cr_assert_eq(json_array_size(jget(r->json, "data_sources")), 2, "%s", r->body);
	r = api(w.tok_prod, "GET", "/api/data_sources/", NULL);
	cr_assert_eq(json_array_size(jget(r->json, "data_sources")), 2, "%s", r->body);
	cr_assert_not_null(strstr(r->body, "Shared"), "%s", r->body);
}

VTEST(groups, delete_non_empty_group_is_refused)
{
	const char *before;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "stays"));
	before = db_dump();
	expect_error(
	    adm("DELETE", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, w.grp_test), NULL), 409,
	    "group_not_empty");
	expect_db_unchanged(before, "a refused group deletion");
	expect_status(api(w.tok_test, "GET", "/api/customers/", NULL), 200);
}

VTEST(groups, delete_empty_group_revokes_its_tokens)
{
	world_tour(&w);
	expect_status(api(w.tok_test, "GET", "/api/customers/", NULL), 200);
	expect_ok(adm("DELETE", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, w.grp_test), NULL));
	expect_error(api(w.tok_test, "GET", "/api/customers/", NULL), 401, "unauthorized");
	expect_error(api(w.ro_test, "GET", "/api/customers/", NULL), 401, "unauthorized");
	expect_error(
	    api(w.tok_test, "POST", "/api/create_customer/", J("{s:s}", "provided_id", "too-late")),
	    401, "unauthorized");
	expect_error(adm("GET", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, w.grp_test), NULL),
	             404, "not_found");
	expect_error(
	    adm("GET", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT, w.tok_test_id), NULL), 404,
	    "not_found");
	/* The other group is untouched. */
	expect_status(api(w.tok_prod, "GET", "/api/customers/", NULL), 200);
}

VTEST(groups, emptied_group_can_be_deleted)
{
	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "leaving"));
	expect_status(
	    api(w.tok_test, "POST", "/api/delete_customer/", J("{s:s}", "provided_id", "leaving")),
	    200);
	expect_ok(adm("DELETE", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, w.grp_test), NULL));
	expect_error(api(w.tok_test, "GET", "/api/customers/", NULL), 401, "unauthorized");
}

VTEST(groups, names_are_unique_and_renames_show)
{
	const char *before;
	struct resp *r;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s}", "provided_id", "c"));
	before = db_dump();
	expect_error(adm("POST", "/admin/api/groups", J("{s:s}", "name", "Testing")), 409,
	             "already_exists");
	expect_error(adm("PATCH", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, w.grp_test),
	                 J("{s:s}", "name", "Production")),
	             409, "already_exists");
	expect_db_unchanged(before, "duplicate group names");
	r = adm("PATCH", fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT, w.grp_test),
	        J("{s:s}", "name", "Staging"));
	expect_status(r, 200);
	cr_assert_str_eq(jstr(r->json, "name"), "Staging");
	cr_assert_str_eq(jstr(get_customer(w.tok_test, "c"), "access_group"), "Staging");
}

VTEST(groups, adding_a_member_twice_or_a_missing_one)
{
	world_tour(&w);
	expect_status(adm("PUT", group_ds_path(w.grp_test, w.ds_test, ""), NULL), 200);
	cr_assert(group_has(w.grp_test, w.ds_test, NULL));
	expect_error(adm("PUT", group_ds_path(w.grp_test, 999999, ""), NULL), 404, "not_found");
	expect_error(adm("PUT", group_ds_path(999999, w.ds_test, ""), NULL), 404, "not_found");
}

VTEST(groups, deleting_the_team_default_clears_it)
{
	json_int_t lone;
	struct resp *r;

	world_tour(&w);
	lone = mk_ds("Lone default", w.schema);
	schema_set_default(w.schema, lone);
	expect_ok(adm("DELETE", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, lone), NULL));
	r = adm("GET", fmt("/admin/api/schemas/%" JSON_INTEGER_FORMAT, w.schema), NULL);
	expect_status(r, 200);
	cr_assert(json_is_null(jget(r->json, "default_data_source_id")),
	          "the schema still names a deleted default: %s", r->body);
}

VTEST(groups, a_data_source_cannot_change_schema)
{
	json_int_t other;
	const char *before;
	struct resp *r;

	world_tour(&w);
	other = mk_schema("Other");
	mk_customer(w.tok_test,
	            J("{s:s, s:o}", "provided_id", "c", "mapping", map1(w.schema, w.ds_test)));
	before = db_dump();
	r = adm("PATCH", fmt("/admin/api/data_sources/%" JSON_INTEGER_FORMAT, w.ds_test),
	        J("{s:I}", "schema_id", other));
	cr_assert(r->status >= 400 && r->status < 500,
	          "moving a mapped data source to another schema: %ld %s", r->status, r->body);
	expect_db_unchanged(before, "changing a data source's schema");
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	return size * nmemb;
}

/* A child process creates customers mapped to one source as fast as it can. */
static pid_t start_mapping_writer(const char *token, json_int_t schema, json_int_t ds)
{
	pid_t pid = fork();

	cr_assert_neq(pid, -1, "fork");
	if (pid == 0) {
		CURL *c = curl_easy_init();
		struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
		char auth[128], body[160], url[96];

		snprintf(auth, sizeof(auth), "Explo-Authorization: Token %s", token);
		h = curl_slist_append(h, auth);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/create_customer/", S.port);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		for (int i = 0; i < 300; i++) {
			snprintf(body, sizeof(body),
			         "{\"provided_id\":\"race-%d\",\"mapping\":{\"%" JSON_INTEGER_FORMAT
			         "\":\"%" JSON_INTEGER_FORMAT "\"}}",
			         i, schema, ds);
			curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body);
			curl_easy_perform(c);
		}
		_exit(0);
	}
	return pid;
}

/* Rule 7 under concurrency: removing a source while customers are being
 * mapped to it never leaves one pointing outside the group. */
VTEST(groups, removal_racing_with_new_mappings)
{
	pid_t writer;
	int status;

	setup_mapped();
	writer = start_mapping_writer(w.tok_test, w.schema, extra);
	usleep(100 * 1000);
	expect_status(adm("DELETE", group_ds_path(w.grp_test, extra, "?drop_mappings=true"), NULL),
	              200);
	cr_assert_eq(waitpid(writer, &status, 0), writer, "waitpid");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer failed");
	cr_assert_eq(db_scalar(fmt("SELECT COUNT(*) FROM customer_mappings WHERE data_source_id = "
	                           "%" JSON_INTEGER_FORMAT,
	                           extra)),
	             0, "a customer maps to a source removed from its group");
	cr_assert_gt(db_count("customers"), 3, "the writer created nothing");
}
