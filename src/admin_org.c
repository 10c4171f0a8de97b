/*
 * admin_org — the team's own records in the admin API: members, admin
 * keys, group tags, hierarchy levels and the audit log, plus the health
 * check that needs no credential.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "audit.h"
#include "jsonv.h"
#include "limits.h"
#include "router.h"
#include "token.h"
#include "util.h"

static bool health(struct req *r)
{
	return req_reply(r, 200, json_pack("{si}", "success", 1));
}

/* the team */

static bool team_get(struct req *r)
{
	json_t *o = NULL;

	return req_store_ok(r, store_team_get(r->db, r->who.team_id, &o), "team") &&
	       req_reply(r, 200, o);
}

static bool team_patch(struct req *r)
{
	static const char *const fields[] = {"name", "token_max_lifetime_days", NULL};
	const char *name = NULL;
	json_t *body = NULL, *days, *before = NULL;
	int64_t life = 0;
	bool ok;

	if (!admin_body(r, fields, &body) ||
	    !jsonv_str(body, "name", limits.name_max, false, &name, &r->err))
		return false;
	days = json_object_get(body, "token_max_lifetime_days");
	if (days && !json_is_null(days) &&
	    (!json_is_integer(days) || json_integer_value(days) < 1 ||
	     json_integer_value(days) > 3650))
		return err_set(&r->err, 400, "wrong_type",
		               "\"token_max_lifetime_days\" must be a whole number from 1 to 3650, "
		               "or null for no limit.");
	if (days && json_is_integer(days))
		life = json_integer_value(days) * 86400;
	ok = req_store_ok(r, store_team_get(r->db, r->who.team_id, &before), "team") &&
	     req_store_ok(r, store_team_update(r->db, r->who.team_id, name, days != NULL, life),
	                  "team") &&
	     team_get(r) &&
	     audit_record_id(r, "team.update", "team", r->who.team_id, before, r->reply);
	json_decref(before);
	return ok;
}

/* members */

static bool member_list(struct req *r)
{
	struct page pg;
	json_t *items = NULL;
	int64_t total = 0;

	return admin_page(r, &pg) &&
	       req_store_ok(r, store_member_list(r->db, r->who.team_id, pg, &items, &total),
	                    "member") &&
	       admin_list(r, items, total);
}

static bool parse_role(struct req *r, json_t *body, bool required, const char **name,
                       enum role *role)
{
	if (!jsonv_str(body, "role", 32, required, name, &r->err))
		return false;
	if (*name && !domain_parse_role(*name, role))
		return err_set(&r->err, 400, "invalid_role",
		               "\"role\" must be viewer, editor, publisher or admin.");
	return true;
}

static bool member_create(struct req *r)
{
	static const char *const fields[] = {"email", "role", NULL};
	const char *email = NULL, *role_name = NULL;
	char password[25], hash[crypto_pwhash_STRBYTES];
	enum role role = ROLE_VIEWER;
	json_t *body = NULL, *o = NULL;
	int64_t id = 0;

	if (!admin_body(r, fields, &body) ||
	    !jsonv_str(body, "email", limits.id_max, true, &email, &r->err) ||
	    !parse_role(r, body, true, &role_name, &role))
		return false;
	if (!strchr(email, '@'))
		return err_set(&r->err, 400, "invalid_email", "\"email\" must be an address.");
	token_password(password);
	if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return err_storage(&r->err);
	if (!req_store_ok(r, store_member_create(r->db, r->who.team_id, email, role, hash, &id),
	                  "member") ||
	    !req_store_ok(r, store_member_get(r->db, r->who.team_id, id, &o), "member") ||
	    !audit_record_id(r, "member.create", "member", id, NULL, o)) {
		json_decref(o);
		return false;
	}
	json_object_set_new(o, "password", json_string(password));
	sodium_memzero(password, sizeof(password));
	return admin_created(r, o);
}

static bool member_get(struct req *r)
{
	json_t *o = NULL;

	return req_store_ok(r, store_member_get(r->db, r->who.team_id, r->path_ids[0], &o),
	                    "member") &&
	       req_reply(r, 200, o);
}

static bool member_patch(struct req *r)
{
	static const char *const fields[] = {"role", NULL};
	int64_t id = r->path_ids[0];
	const char *role_name = NULL;
	enum role role;
	json_t *body = NULL, *before = NULL, *after = NULL;
	bool ok;

	ok = admin_body(r, fields, &body) && parse_role(r, body, false, &role_name, &role) &&
	     req_store_ok(r, store_member_get(r->db, r->who.team_id, id, &before), "member") &&
	     (!role_name ||
	      req_store_ok(r, store_member_update(r->db, r->who.team_id, id, role_name),
	                   "member")) &&
	     req_store_ok(r, store_member_get(r->db, r->who.team_id, id, &after), "member") &&
	     audit_record_id(r, "member.update", "member", id, before, after);
	json_decref(before);
	if (!ok) {
		json_decref(after);
		return false;
	}
	return req_reply(r, 200, after);
}

static bool member_delete(struct req *r)
{
	int64_t id = r->path_ids[0];
	json_t *before = NULL;
	bool ok;

	if (r->who.kind == ACTOR_MEMBER && r->who.id == id)
		return err_set(&r->err, 409, "cannot_delete_self",
		               "You cannot delete your own membership.");
	ok = req_store_ok(r, store_member_get(r->db, r->who.team_id, id, &before), "member") &&
	     req_store_ok(r, store_member_delete(r->db, r->who.team_id, id), "member") &&
	     audit_record_id(r, "member.delete", "member", id, before, NULL) &&
	     req_reply(r, 200, json_pack("{si}", "success", 1));
	json_decref(before);
	return ok;
}

/* admin keys */

static bool admin_key_list(struct req *r)
{
	struct page pg;
	json_t *items = NULL;
	int64_t total = 0;

	return admin_page(r, &pg) &&
	       req_store_ok(r, store_admin_key_list(r->db, r->who.team_id, pg, &items, &total),
	                    "admin key") &&
	       admin_list(r, items, total);
}

static bool admin_key_create(struct req *r)
{
	static const char *const fields[] = {"name", NULL};
	char text[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX], head[TOKEN_SHOW_HEAD + 1], last4[5];
	const char *name = NULL;
	json_t *body = NULL, *o = NULL;
	int64_t id = 0;

	if (!admin_body(r, fields, &body) ||
	    !jsonv_str(body, "name", limits.name_max, true, &name, &r->err))
		return false;
	token_generate(TOKEN_ADMIN_KEY, text);
	token_hash(text, hash);
	token_display(text, head, last4);
	if (!req_store_ok(
	        r, store_admin_key_create(r->db, r->who.team_id, name, hash, head, last4, &id),
	        "admin key") ||
	    !req_store_ok(r, store_admin_key_get(r->db, r->who.team_id, id, &o), "admin key") ||
	    !audit_record_id(r, "admin_key.create", "admin_key", id, NULL, o)) {
		json_decref(o);
		return false;
	}
	json_object_set_new(o, "key", json_string(text));
	return admin_created(r, o);
}

static bool admin_key_delete(struct req *r)
{
	int64_t id = r->path_ids[0];
	json_t *before = NULL;
	bool ok;

	ok =
	    req_store_ok(r, store_admin_key_get(r->db, r->who.team_id, id, &before), "admin key") &&
	    req_store_ok(r, store_admin_key_delete(r->db, r->who.team_id, id), "admin key") &&
	    audit_record_id(r, "admin_key.delete", "admin_key", id, before, NULL) &&
	    req_reply(r, 200, json_pack("{si}", "success", 1));
	json_decref(before);
	return ok;
}

/* group tags */

static bool tag_list(struct req *r)
{
	json_t *items = NULL;

	return req_store_ok(r, store_tag_list(r->db, r->who.team_id, &items), "group tag") &&
	       admin_list(r, items, (int64_t)json_array_size(items));
}

static bool tag_create(struct req *r)
{
	static const char *const fields[] = {"name", NULL};
	const char *name = NULL;
	json_t *body = NULL, *o;
	int64_t id = 0;

	if (!admin_body(r, fields, &body) ||
	    !jsonv_str(body, "name", limits.name_max, true, &name, &r->err) ||
	    !req_store_ok(r, store_tag_create(r->db, r->who.team_id, name, &id), "group tag"))
		return false;
	o = json_pack("{sI ss}", "id", (json_int_t)id, "name", name);
	return admin_created(r, o) &&
	       audit_record_id(r, "group_tag.create", "group_tag", id, NULL, o);
}

/* The item of a list whose "id" is id (new reference), or NULL. */
static json_t *item_with_id(json_t *items, int64_t id)
{
	json_t *item;
	size_t i;

	json_array_foreach (items, i, item) {
		if (json_integer_value(json_object_get(item, "id")) == id)
			return json_incref(item);
	}
	return NULL;
}

static bool tag_json(struct req *r, int64_t id, json_t **out)
{
	json_t *items = NULL;

	*out = NULL;
	if (!req_store_ok(r, store_tag_list(r->db, r->who.team_id, &items), "group tag"))
		return false;
	*out = item_with_id(items, id);
	json_decref(items);
	return *out || req_not_found(r, "group tag");
}

static bool tag_patch(struct req *r)
{
	static const char *const fields[] = {"name", NULL};
	int64_t id = r->path_ids[0];
	const char *name = NULL;
	json_t *body = NULL, *before = NULL, *o;
	bool ok;

	ok = admin_body(r, fields, &body) &&
	     jsonv_str(body, "name", limits.name_max, true, &name, &r->err) &&
	     tag_json(r, id, &before) &&
	     req_store_ok(r, store_tag_rename(r->db, r->who.team_id, id, name), "group tag");
	if (ok) {
		o = json_pack("{sI ss}", "id", (json_int_t)id, "name", name);
		ok = req_reply(r, 200, o) &&
		     audit_record_id(r, "group_tag.rename", "group_tag", id, before, o);
	}
	json_decref(before);
	return ok;
}

static bool tag_delete(struct req *r)
{
	int64_t id = r->path_ids[0];
	json_t *before = NULL;
	bool ok;

	ok = tag_json(r, id, &before) &&
	     req_store_ok(r, store_tag_delete(r->db, r->who.team_id, id), "group tag") &&
	     audit_record_id(r, "group_tag.delete", "group_tag", id, before, NULL) &&
	     req_reply(r, 200, json_pack("{si}", "success", 1));
	json_decref(before);
	return ok;
}

/* hierarchy levels */

static bool level_list(struct req *r)
{
	json_t *items = NULL;

	return req_store_ok(r, store_level_list(r->db, r->who.team_id, &items),
	                    "hierarchy level") &&
	       admin_list(r, items, (int64_t)json_array_size(items));
}

static bool level_rank(struct req *r, json_t *body, bool required, bool *present, int64_t *rank)
{
	json_t *v = json_object_get(body, "rank");

	*present = v != NULL;
	if (!v && required)
		return err_set(&r->err, 400, "missing_field", "The field \"rank\" is required.");
	if (v &&
	    (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000))
		return err_set(&r->err, 400, "wrong_type",
		               "\"rank\" must be a whole number from 0 to 1000000.");
	if (v)
		*rank = json_integer_value(v);
	return true;
}

static bool level_create(struct req *r)
{
	static const char *const fields[] = {"name", "rank", NULL};
	const char *name = NULL;
	json_t *body = NULL, *o;
	int64_t id = 0, rank = 0;
	bool present;

	if (!admin_body(r, fields, &body) ||
	    !jsonv_str(body, "name", limits.name_max, true, &name, &r->err) ||
	    !level_rank(r, body, true, &present, &rank) ||
	    !req_store_ok(r, store_level_create(r->db, r->who.team_id, name, rank, &id),
	                  "hierarchy level"))
		return false;
	o = json_pack("{sI ss sI}", "id", (json_int_t)id, "name", name, "rank", (json_int_t)rank);
	return admin_created(r, o) &&
	       audit_record_id(r, "hierarchy_level.create", "hierarchy_level", id, NULL, o);
}

/* One level of the team as a JSON object (new reference), or 404. */
static bool level_json(struct req *r, int64_t id, json_t **out)
{
	json_t *items = NULL;

	*out = NULL;
	if (!req_store_ok(r, store_level_list(r->db, r->who.team_id, &items), "hierarchy level"))
		return false;
	*out = item_with_id(items, id);
	json_decref(items);
	return *out || req_not_found(r, "hierarchy level");
}

/* A new rank may not put any parent at or below its child. */
static bool rank_keeps_order(struct req *r, int64_t id, int64_t rank)
{
	int64_t n = 0;

	if (store_level_rank_conflicts(r->db, id, rank, &n) != STORE_OK)
		return err_storage(&r->err);
	if (n > 0)
		return err_set(&r->err, 409, "level_order_conflict",
		               "At that rank %lld customer(s) would sit at or above their parent, "
		               "or at or below their child; move them first.",
		               (long long)n);
	return true;
}

static bool level_patch(struct req *r)
{
	static const char *const fields[] = {"name", "rank", NULL};
	int64_t id = r->path_ids[0], rank = 0;
	const char *name = NULL;
	json_t *body = NULL, *before = NULL, *after = NULL;
	bool present, ok;

	ok = admin_body(r, fields, &body) &&
	     jsonv_str(body, "name", limits.name_max, false, &name, &r->err) &&
	     level_rank(r, body, false, &present, &rank) && level_json(r, id, &before) &&
	     (!present || rank_keeps_order(r, id, rank)) &&
	     req_store_ok(r, store_level_update(r->db, r->who.team_id, id, name, present, rank),
	                  "hierarchy level") &&
	     level_json(r, id, &after) &&
	     audit_record_id(r, "hierarchy_level.update", "hierarchy_level", id, before, after);
	json_decref(before);
	if (!ok) {
		json_decref(after);
		return false;
	}
	return req_reply(r, 200, after);
}

static bool level_delete(struct req *r)
{
	int64_t id = r->path_ids[0];
	enum store_rc rc = store_level_delete(r->db, r->who.team_id, id);

	if (rc == STORE_CONFLICT)
		return err_set(&r->err, 409, "level_in_use",
		               "Customers sit at this hierarchy level; move them first.");
	return req_store_ok(r, rc, "hierarchy level") &&
	       audit_record_id(r, "hierarchy_level.delete", "hierarchy_level", id, NULL, NULL) &&
	       req_reply(r, 200, json_pack("{si}", "success", 1));
}

/* audit */

static bool audit_list(struct req *r)
{
	const char *actor = req_query(r, "actor"), *object = req_query(r, "object");
	const char *since_text = req_query(r, "since");
	int64_t actor_id = 0, since = 0, total = 0;
	char actor_type[32] = "", object_type[32] = "";
	const char *object_id = NULL;
	json_t *items = NULL;
	struct page pg;

	/* actor=token:12, object=customer:acme, since=RFC 3339 */
	if (actor &&
	    (sscanf(actor, "%31[a-z_]:%" SCNd64, actor_type, &actor_id) != 2 || actor_id < 1))
		return err_set(&r->err, 400, "invalid_filter",
		               "\"actor\" looks like token:12 or admin_key:3 or member:1.");
	if (object) {
		const char *colon = strchr(object, ':');

		if (!colon || colon == object || (size_t)(colon - object) >= sizeof(object_type))
			return err_set(&r->err, 400, "invalid_filter",
			               "\"object\" looks like customer:acme or group:2.");
		memcpy(object_type, object, (size_t)(colon - object));
		object_id = colon + 1;
	}
	if (since_text && !util_time_parse(since_text, &since))
		return err_set(&r->err, 400, "invalid_filter",
		               "\"since\" must be a time like 2026-12-01T00:00:00Z.");
	return admin_page(r, &pg) &&
	       req_store_ok(r,
	                    store_audit_list(r->db, r->who.team_id, actor ? actor_type : NULL,
	                                     actor_id, object ? object_type : NULL, object_id,
	                                     since, pg, &items, &total),
	                    "audit event") &&
	       admin_list(r, items, total);
}

#define ADMIN(m, p, w, need, f)                                                                    \
	{                                                                                          \
		m, p, AUTH_ADMIN, w, need, f                                                       \
	}

const struct route admin_org_routes[] = {
    {"GET", "/healthz", AUTH_NONE, false, NEED_READ, health},
    ADMIN("GET", "/admin/api/team", false, NEED_READ, team_get),
    ADMIN("PATCH", "/admin/api/team", true, NEED_ADMIN, team_patch),
    ADMIN("GET", "/admin/api/members", false, NEED_READ, member_list),
    ADMIN("POST", "/admin/api/members", true, NEED_ADMIN, member_create),
    ADMIN("GET", "/admin/api/members/{}", false, NEED_READ, member_get),
    ADMIN("PATCH", "/admin/api/members/{}", true, NEED_ADMIN, member_patch),
    ADMIN("DELETE", "/admin/api/members/{}", true, NEED_ADMIN, member_delete),
    ADMIN("GET", "/admin/api/admin_keys", false, NEED_ADMIN, admin_key_list),
    ADMIN("POST", "/admin/api/admin_keys", true, NEED_ADMIN, admin_key_create),
    ADMIN("DELETE", "/admin/api/admin_keys/{}", true, NEED_ADMIN, admin_key_delete),
    ADMIN("GET", "/admin/api/group_tags", false, NEED_READ, tag_list),
    ADMIN("POST", "/admin/api/group_tags", true, NEED_EDIT, tag_create),
    ADMIN("PATCH", "/admin/api/group_tags/{}", true, NEED_EDIT, tag_patch),
    ADMIN("DELETE", "/admin/api/group_tags/{}", true, NEED_DELETE, tag_delete),
    ADMIN("GET", "/admin/api/hierarchy_levels", false, NEED_READ, level_list),
    ADMIN("POST", "/admin/api/hierarchy_levels", true, NEED_ADMIN, level_create),
    ADMIN("PATCH", "/admin/api/hierarchy_levels/{}", true, NEED_ADMIN, level_patch),
    ADMIN("DELETE", "/admin/api/hierarchy_levels/{}", true, NEED_ADMIN, level_delete),
    ADMIN("GET", "/admin/api/audit", false, NEED_READ, audit_list),
    {NULL, NULL, AUTH_NONE, false, NEED_READ, NULL},
};
