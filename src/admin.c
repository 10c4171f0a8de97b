/*
 * admin — small helpers for the admin API handlers.
 */
#include "admin.h"

#include <string.h>

#include "jsonv.h"
#include "mem.h"

bool admin_body(struct req *r, const char *const *allowed, json_t **body)
{
	return req_body(r, body) && jsonv_only(*body, allowed, &r->err);
}

bool admin_page(struct req *r, struct page *pg)
{
	int64_t page;

	return req_page(r, &pg->limit, &pg->offset, &page);
}

bool admin_list(struct req *r, json_t *items, int64_t total)
{
	return req_reply(r, 200,
	                 json_pack("{so sI}", "items", items, "total_count", (json_int_t)total));
}

bool admin_created(struct req *r, json_t *obj)
{
	return req_reply(r, 201, obj);
}

bool admin_flag(struct req *r, const char *name)
{
	const char *v = req_query(r, name);

	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* Rule 7: refuse while customers map to it, unless asked to drop them. */
bool admin_release_mappings(struct req *r, int64_t group, int64_t ds)
{
	int64_t n = 0;

	if (store_ds_mapped_count(r->db, group, ds, &n) != STORE_OK)
		return err_storage(&r->err);
	if (n == 0)
		return true;
	if (!admin_flag(r, "drop_mappings")) {
		r->err.detail_json = xasprintf("{\"count\": %lld}", (long long)n);
		return err_set(&r->err, 409, "data_source_in_use",
		               "%lld customer(s) map to this data source explicitly; resend with "
		               "?drop_mappings=true to drop those mappings.",
		               (long long)n);
	}
	return req_store_ok(r, store_ds_drop_mappings(r->db, group, ds), "data source");
}
