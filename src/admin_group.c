/*
 * admin_group — data visibility groups in the admin API: the groups
 * themselves, which data sources they hold and their default per schema
 * (rule 5), and their API tokens (secret shown once, rule 9). Deleting a
 * group with customers is refused (rule 8); deleting an empty one takes
 * its tokens with it in the same transaction.
 */
#include <string.h>

#include "admin.h"
#include "audit.h"
#include "embed.h"
#include "jsonv.h"
#include "limits.h"
#include "router.h"
#include "token.h"
#include "util.h"

static bool group_json(struct req *r, int64_t id, json_t **out)
{
	json_t *ds = NULL;

	if (!req_store_ok(r, store_group_get(r->db, r->who.team_id, id, out), "group"))
		return false;
	if (!req_store_ok(r, store_group_ds_list(r->db, id, &ds), "group")) {
		json_decref(*out);
		return false;
	}
	json_object_set_new(*out, "data_sources", ds);
	return true;
}

static bool reply_group(struct req *r, int64_t id, unsigned status)
{
	json_t *o = NULL;

	return group_json(r, id, &o) && req_reply(r, status, o);
}

static bool group_list(struct req *r)
{
	struct page pg;
	json_t *items = NULL, *item;
	int64_t total = 0;
	size_t i;

	if (!admin_page(r, &pg) ||
	    !req_store_ok(r, store_group_list(r->db, r->who.team_id, pg, &items, &total), "group"))
		return false;
	json_array_foreach (items, i, item) {
		json_t *ds = NULL;

		if (!req_store_ok(r,
		                  store_group_ds_list(
		                      r->db, json_integer_value(json_object_get(item, "id")), &ds),
		                  "group")) {
			json_decref(items);
			return false;
		}
		json_object_set_new(item, "data_sources", ds);
	}
	return admin_list(r, items, total);
}

static bool group_create(struct req *r)
{
	static const char *const fields[] = {"name", NULL};
	const char *name = NULL;
	json_t *body = NULL;
	int64_t id = 0;

	return admin_body(r, fields, &body) &&
	       jsonv_str(body, "name", limits.name_max, true, &name, &r->err) &&
	       req_store_ok(r, store_group_create(r->db, r->who.team_id, name, &id), "group") &&
	       reply_group(r, id, 201) &&
	       audit_record_id(r, "group.create", "group", id, NULL, r->reply);
}

static bool group_get(struct req *r)
{
	return reply_group(r, r->path_ids[0], 200);
}

static bool group_patch(struct req *r)
{
	static const char *const fields[] = {"name", NULL};
	int64_t id = r->path_ids[0];
	const char *name = NULL;
	json_t *body = NULL, *before = NULL;
	bool ok;

	ok = admin_body(r, fields, &body) &&
	     jsonv_str(body, "name", limits.name_max, false, &name, &r->err) &&
	     group_json(r, id, &before) &&
	     (!name ||
	      req_store_ok(r, store_group_rename(r->db, r->who.team_id, id, name), "group")) &&
	     reply_group(r, id, 200) &&
	     audit_record_id(r, "group.update", "group", id, before, r->reply);
	json_decref(before);
	return ok;
}

static bool group_delete(struct req *r)
{
	int64_t id = r->path_ids[0], n = 0;
	json_t *before = NULL;
	bool ok;

	if (!group_json(r, id, &before))
		return false;
	ok = req_store_ok(r, store_group_customer_count(r->db, id, &n), "group");
	if (ok && n > 0)
		ok = err_set(&r->err, 409, "group_not_empty",
		             "The group still has %lld customer(s); move or delete them first.",
		             (long long)n);
	ok = ok && req_store_ok(r, store_group_delete(r->db, r->who.team_id, id), "group") &&
	     audit_record_id(r, "group.delete", "group", id, before, NULL) &&
	     req_reply(r, 200, json_pack("{si}", "success", 1));
	json_decref(before);
	return ok;
}

/* membership and defaults */

static bool load_view(struct req *r, int64_t id, struct group_view *g)
{
	return req_store_ok(r, store_group_view(r->db, r->who.team_id, id, g), "group");
}

static bool member_add(struct req *r)
{
	int64_t group = r->path_ids[0], ds = r->path_ids[1], schema = 0;
	struct group_view g = {0};
	bool ok;

	ok = load_view(r, group, &g) &&
	     req_store_ok(r, store_ds_schema(r->db, r->who.team_id, ds, &schema), "data source") &&
	     req_store_ok(r, store_group_add_ds(r->db, group, ds, schema), "group") &&
	     reply_group(r, group, 200) &&
	     audit_note(r, "group.add_data_source", "group", group,
	                json_pack("{sI}", "data_source_id", (json_int_t)ds));
	group_view_free(&g);
	return ok;
}

static bool member_remove(struct req *r)
{
	int64_t group = r->path_ids[0], ds = r->path_ids[1];
	struct group_view g = {0};
	bool ok;

	ok = load_view(r, group, &g);
	if (ok && !domain_is_member(&g, ds, NULL))
		ok = req_not_found(r, "data source in this group");
	ok = ok && admin_release_mappings(r, group, ds) &&
	     req_store_ok(r, store_group_remove_ds(r->db, group, ds), "data source") &&
	     reply_group(r, group, 200) &&
	     audit_note(r, "group.remove_data_source", "group", group,
	                json_pack("{sI}", "data_source_id", (json_int_t)ds));
	group_view_free(&g);
	return ok;
}

static bool default_set(struct req *r)
{
	static const char *const fields[] = {"data_source_id", NULL};
	int64_t group = r->path_ids[0], schema = r->path_ids[1], ds = 0;
	struct group_view g = {0};
	json_t *body = NULL;
	bool ok;

	ok = admin_body(r, fields, &body) &&
	     jsonv_id(body, "data_source_id", true, &ds, NULL, &r->err) && load_view(r, group, &g);
	if (ok && !domain_default_allowed(&g, schema, ds))
		ok = err_set(&r->err, 400, "invalid_default",
		             "A group's default must be one of its data sources, of that schema.");
	ok = ok && req_store_ok(r, store_group_set_default(r->db, group, schema, ds), "group") &&
	     reply_group(r, group, 200) &&
	     audit_note(r, "group.set_default", "group", group,
	                json_pack("{sI sI}", "schema_id", (json_int_t)schema, "data_source_id",
	                          (json_int_t)ds));
	group_view_free(&g);
	return ok;
}

static bool default_clear(struct req *r)
{
	int64_t group = r->path_ids[0], schema = r->path_ids[1];
	struct group_view g = {0};
	bool ok;

	ok = load_view(r, group, &g) &&
	     req_store_ok(r, store_group_clear_default(r->db, group, schema), "default") &&
	     reply_group(r, group, 200) &&
	     audit_note(r, "group.clear_default", "group", group,
	                json_pack("{sI}", "schema_id", (json_int_t)schema));
	group_view_free(&g);
	return ok;
}

/* API tokens */

static bool reply_token(struct req *r, int64_t id, unsigned status, const char *secret)
{
	json_t *o = NULL;

	if (!req_store_ok(r, store_token_get(r->db, r->who.team_id, id, &o), "token"))
		return false;
	if (secret)
		json_object_set_new(o, "token", json_string(secret));
	return req_reply(r, status, o);
}

static bool parse_permission(struct req *r, json_t *body, bool required, const char **perm)
{
	if (!jsonv_str(body, "permission", 32, required, perm, &r->err))
		return false;
	if (*perm && strcmp(*perm, "read_only") != 0 && strcmp(*perm, "read_write") != 0)
		return err_set(&r->err, 400, "invalid_permission",
		               "\"permission\" must be \"read_only\" or \"read_write\".");
	return true;
}

/* expires_at, bounded by the team's longest token lifetime if it has one
 * (which is also the default then). */
static bool parse_expiry(struct req *r, json_t *body, int64_t *expires_at)
{
	const char *text = NULL;
	int64_t max_life = 0, now = util_now();

	*expires_at = 0;
	if (!jsonv_str(body, "expires_at", 40, false, &text, &r->err) ||
	    !req_store_ok(r, store_team_token_policy(r->db, r->who.team_id, &max_life), "team"))
		return false;
	if (text && (!util_time_parse(text, expires_at) || *expires_at <= now))
		return err_set(&r->err, 400, "invalid_expiry",
		               "\"expires_at\" must be a future time like 2027-01-31T00:00:00Z.");
	if (max_life && !text)
		*expires_at = now + max_life;
	if (max_life && *expires_at > now + max_life)
		return err_set(&r->err, 400, "invalid_expiry",
		               "The team allows tokens to live at most %lld days.",
		               (long long)(max_life / 86400));
	return true;
}

/* A strip of the object for the audit log: never the secret. */
static json_t *without_secret(json_t *o)
{
	json_t *copy = json_deep_copy(o);

	json_object_del(copy, "token");
	return copy;
}

static bool token_create(struct req *r)
{
	static const char *const fields[] = {"name", "permission", "expires_at", NULL};
	int64_t group = r->path_ids[0], expires = 0, id = 0;
	const char *name = NULL, *perm = NULL;
	char text[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX], head[TOKEN_SHOW_HEAD + 1], last4[5];
	struct group_view g = {0};
	json_t *body = NULL, *logged = NULL;
	bool ok;

	ok = admin_body(r, fields, &body) &&
	     jsonv_str(body, "name", limits.name_max, true, &name, &r->err) &&
	     parse_permission(r, body, true, &perm) && parse_expiry(r, body, &expires) &&
	     load_view(r, group, &g);
	if (ok) {
		token_generate(TOKEN_API, text);
		token_hash(text, hash);
		token_display(text, head, last4);
		ok = req_store_ok(r,
		                  store_token_create(r->db, r->who.team_id, group, name, perm, hash,
		                                     head, last4, expires, &id),
		                  "token") &&
		     reply_token(r, id, 201, text) &&
		     audit_record_id(r, "token.create", "token", id, NULL,
		                     logged = without_secret(r->reply));
	}
	json_decref(logged);
	group_view_free(&g);
	return ok;
}

static bool token_list(struct req *r)
{
	int64_t group = r->path_ids[0], total = 0;
	struct group_view g = {0};
	json_t *items = NULL;
	struct page pg;
	bool ok;

	ok = admin_page(r, &pg) && load_view(r, group, &g) &&
	     req_store_ok(r, store_token_list(r->db, r->who.team_id, group, pg, &items, &total),
	                  "token") &&
	     admin_list(r, items, total);
	group_view_free(&g);
	return ok;
}

static bool token_get(struct req *r)
{
	return reply_token(r, r->path_ids[0], 200, NULL);
}

static bool token_patch(struct req *r)
{
	static const char *const fields[] = {"name", "permission", NULL};
	int64_t id = r->path_ids[0];
	const char *name = NULL, *perm = NULL;
	json_t *body = NULL, *before = NULL;
	bool ok;

	ok = admin_body(r, fields, &body) &&
	     jsonv_str(body, "name", limits.name_max, false, &name, &r->err) &&
	     parse_permission(r, body, false, &perm) &&
	     req_store_ok(r, store_token_get(r->db, r->who.team_id, id, &before), "token") &&
	     req_store_ok(r, store_token_update(r->db, r->who.team_id, id, name, perm), "token") &&
	     reply_token(r, id, 200, NULL) &&
	     audit_record_id(r, "token.update", "token", id, before, r->reply);
	json_decref(before);
	return ok;
}

#define GRACE_MAX (7 * 24 * 3600)

static bool token_refresh(struct req *r)
{
	static const char *const fields[] = {"grace_seconds", NULL};
	int64_t id = r->path_ids[0], grace = 0;
	char text[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX], head[TOKEN_SHOW_HEAD + 1], last4[5];
	json_t *body = NULL, *logged = NULL, *g;
	bool ok;

	if (!admin_body(r, fields, &body))
		return false;
	g = json_object_get(body, "grace_seconds");
	if (g &&
	    (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) > GRACE_MAX))
		return err_set(&r->err, 400, "invalid_grace",
		               "\"grace_seconds\" must be a whole number from 0 to %d.", GRACE_MAX);
	grace = g ? json_integer_value(g) : 0;
	token_generate(TOKEN_API, text);
	token_hash(text, hash);
	token_display(text, head, last4);
	ok = req_store_ok(r,
	                  store_token_rehash(r->db, r->who.team_id, id, hash, head, last4,
	                                     grace ? util_now() + grace : 0),
	                  "token") &&
	     reply_token(r, id, 200, text) &&
	     audit_record_id(r, "token.refresh", "token", id, NULL,
	                     logged = without_secret(r->reply));
	json_decref(logged);
	return ok;
}

static bool token_delete(struct req *r)
{
	int64_t id = r->path_ids[0];
	json_t *before = NULL;
	bool ok;

	ok = req_store_ok(r, store_token_get(r->db, r->who.team_id, id, &before), "token") &&
	     req_store_ok(r, store_token_delete(r->db, r->who.team_id, id), "token") &&
	     audit_record_id(r, "token.delete", "token", id, before, NULL) &&
	     req_reply(r, 200, json_pack("{si}", "success", 1));
	json_decref(before);
	return ok;
}

/* signing keys */

static bool key_list(struct req *r)
{
	int64_t group = r->path_ids[0];
	struct group_view g = {0};
	json_t *items = NULL;
	bool ok;

	ok = load_view(r, group, &g) &&
	     req_store_ok(r, store_key_list(r->db, r->who.team_id, group, &items), "signing key") &&
	     admin_list(r, items, (int64_t)json_array_size(items));
	group_view_free(&g);
	return ok;
}

static bool key_create(struct req *r)
{
	int64_t group = r->path_ids[0];
	struct group_view g = {0};
	json_t *body = NULL, *o = NULL;
	static const char *const fields[] = {NULL};
	bool ok;

	ok = admin_body(r, fields, &body) && load_view(r, group, &g) &&
	     embed_key_create(r, group, &o) && admin_created(r, o) &&
	     audit_record(r, "signing_key.create", "signing_key",
	                  json_string_value(json_object_get(o, "key_id")), NULL, o);
	group_view_free(&g);
	return ok;
}

static bool key_delete(struct req *r)
{
	json_t *before = NULL;
	bool ok;

	ok = req_store_ok(r, store_key_get(r->db, r->who.team_id, r->path_key, &before),
	                  "signing key") &&
	     req_store_ok(r, store_key_delete(r->db, r->who.team_id, r->path_key), "signing key") &&
	     audit_record(r, "signing_key.delete", "signing_key", r->path_key, before, NULL) &&
	     req_reply(r, 200, json_pack("{si}", "success", 1));
	json_decref(before);
	return ok;
}

#define ADMIN(m, p, w, need, f)                                                                    \
	{                                                                                          \
		m, p, AUTH_ADMIN, w, need, f                                                       \
	}

const struct route admin_group_routes[] = {
    ADMIN("GET", "/admin/api/groups", false, NEED_READ, group_list),
    ADMIN("POST", "/admin/api/groups", true, NEED_ADMIN, group_create),
    ADMIN("GET", "/admin/api/groups/{}", false, NEED_READ, group_get),
    ADMIN("PATCH", "/admin/api/groups/{}", true, NEED_ADMIN, group_patch),
    ADMIN("DELETE", "/admin/api/groups/{}", true, NEED_ADMIN, group_delete),
    ADMIN("PUT", "/admin/api/groups/{}/data_sources/{}", true, NEED_ADMIN, member_add),
    ADMIN("DELETE", "/admin/api/groups/{}/data_sources/{}", true, NEED_ADMIN, member_remove),
    ADMIN("PUT", "/admin/api/groups/{}/defaults/{}", true, NEED_ADMIN, default_set),
    ADMIN("DELETE", "/admin/api/groups/{}/defaults/{}", true, NEED_ADMIN, default_clear),
    ADMIN("GET", "/admin/api/groups/{}/tokens", false, NEED_READ, token_list),
    ADMIN("POST", "/admin/api/groups/{}/tokens", true, NEED_ADMIN, token_create),
    ADMIN("GET", "/admin/api/tokens/{}", false, NEED_READ, token_get),
    ADMIN("PATCH", "/admin/api/tokens/{}", true, NEED_ADMIN, token_patch),
    ADMIN("DELETE", "/admin/api/tokens/{}", true, NEED_ADMIN, token_delete),
    ADMIN("POST", "/admin/api/tokens/{}/refresh", true, NEED_ADMIN, token_refresh),
    ADMIN("GET", "/admin/api/groups/{}/keys", false, NEED_READ, key_list),
    ADMIN("POST", "/admin/api/groups/{}/keys", true, NEED_ADMIN, key_create),
    ADMIN("DELETE", "/admin/api/keys/{key}", true, NEED_ADMIN, key_delete),
    {NULL, NULL, AUTH_NONE, false, NEED_READ, NULL},
};
