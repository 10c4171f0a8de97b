/*
 * admin_schema — schemas and data sources in the admin API. A data
 * source's config is split on the way in: keys that name a secret go to
 * a write-only column and never come back out (rule 9); reads list only
 * their names in "secret_fields".
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "audit.h"
#include "jsonv.h"
#include "keyring.h"
#include "limits.h"
#include "router.h"

/* Words that mark a setting as a secret wherever they appear in its name,
 * in any case: "password", "db_password", "Password", "ssh_private_key"…
 * Connection strings (url, uri, dsn, connection…) count too: they often
 * carry a password ("postgres://user:pass@host/db"). */
static const char *const secret_words[] = {"password",   "passwd",          "secret", "private_key",
                                           "token",      "api_key",         "apikey", "credential",
                                           "passphrase", "service_account", "url",    "uri",
                                           "dsn",        "connection",      NULL};

static bool is_secret_name(const char *key)
{
	for (size_t i = 0; secret_words[i]; i++) {
		if (strcasestr(key, secret_words[i]))
			return true;
	}
	return false;
}

/* A setting is secret when its name says so, or when it is an object or
 * array holding a secret anywhere inside (an ssh_tunnel with a
 * private_key): then the whole setting is kept as one secret. */
static bool is_secret(const char *key, json_t *v)
{
	const char *k;
	json_t *child;
	size_t i;

	if (key && is_secret_name(key))
		return true;
	if (json_is_object(v)) {
		json_object_foreach (v, k, child) {
			if (is_secret(k, child))
				return true;
		}
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, child) {
			if (is_secret(NULL, child))
				return true;
		}
	}
	return false;
}

/* schemas */

static bool reply_schema(struct req *r, int64_t id, unsigned status)
{
	json_t *o = NULL;

	if (!req_store_ok(r, store_schema_get(r->db, r->who.team_id, id, &o), "schema"))
		return false;
	return req_reply(r, status, o);
}

static bool schema_list(struct req *r)
{
	struct page pg;
	json_t *items = NULL;
	int64_t total = 0;

	return admin_page(r, &pg) &&
	       req_store_ok(r, store_schema_list(r->db, r->who.team_id, pg, &items, &total),
	                    "schema") &&
	       admin_list(r, items, total);
}

static bool schema_create(struct req *r)
{
	static const char *const fields[] = {"name", NULL};
	const char *name = NULL;
	json_t *body = NULL;
	int64_t id = 0;

	return admin_body(r, fields, &body) &&
	       jsonv_str(body, "name", limits.name_max, true, &name, &r->err) &&
	       req_store_ok(r, store_schema_create(r->db, r->who.team_id, name, &id), "schema") &&
	       reply_schema(r, id, 201) &&
	       audit_record_id(r, "schema.create", "schema", id, NULL, r->reply);
}

static bool schema_get(struct req *r)
{
	return reply_schema(r, r->path_ids[0], 200);
}

/* The team default of a schema must be one of its own data sources. */
static bool set_team_default(struct req *r, int64_t schema, json_t *v)
{
	int64_t ds = 0, ds_schema = 0;
	enum store_rc rc;

	if (!json_is_null(v)) {
		if (!jsonv_value_id(v, &ds))
			return err_set(&r->err, 400, "wrong_type",
			               "\"default_data_source_id\" must be an id or null.");
		rc = store_ds_schema(r->db, r->who.team_id, ds, &ds_schema);
		if (rc == STORE_NOT_FOUND || (rc == STORE_OK && ds_schema != schema))
			return err_set(&r->err, 400, "invalid_default",
			               "The default must be a data source of this schema.");
		if (rc != STORE_OK)
			return err_storage(&r->err);
	}
	return req_store_ok(r, store_schema_set_default(r->db, r->who.team_id, schema, ds),
	                    "schema");
}

static bool schema_patch(struct req *r)
{
	static const char *const fields[] = {"name", "default_data_source_id", NULL};
	int64_t id = r->path_ids[0];
	const char *name = NULL;
	json_t *body = NULL, *before = NULL, *def;
	bool ok;

	if (!admin_body(r, fields, &body) ||
	    !jsonv_str(body, "name", limits.name_max, false, &name, &r->err) ||
	    !req_store_ok(r, store_schema_get(r->db, r->who.team_id, id, &before), "schema"))
		return false;
	def = json_object_get(body, "default_data_source_id");
	ok = (!name ||
	      req_store_ok(r, store_schema_rename(r->db, r->who.team_id, id, name), "schema")) &&
	     (!def || set_team_default(r, id, def)) && reply_schema(r, id, 200) &&
	     audit_record_id(r, "schema.update", "schema", id, before, r->reply);
	json_decref(before);
	return ok;
}

static bool schema_delete(struct req *r)
{
	int64_t id = r->path_ids[0], n = 0;
	json_t *before = NULL;
	bool ok;

	if (!req_store_ok(r, store_schema_get(r->db, r->who.team_id, id, &before), "schema"))
		return false;
	ok = req_store_ok(r, store_schema_ds_count(r->db, r->who.team_id, id, &n), "schema");
	if (ok && n > 0)
		ok = err_set(&r->err, 409, "schema_not_empty",
		             "The schema still holds %lld data source(s); delete them first.",
		             (long long)n);
	ok = ok && req_store_ok(r, store_schema_delete(r->db, r->who.team_id, id), "schema") &&
	     audit_record_id(r, "schema.delete", "schema", id, before, NULL) &&
	     req_reply(r, 200, json_pack("{si}", "success", 1));
	json_decref(before);
	return ok;
}

/* data sources */

/* Split config into public settings and secrets (sealed under the master
 * key); old secrets (on update) are kept unless the new config names them
 * again (null removes one). */
static bool split_config(struct req *r, json_t *config, json_t *old_secrets, char **pub, char **sec,
                         char **names)
{
	json_t *p = json_object(), *s = old_secrets ? json_deep_copy(old_secrets) : json_object();
	json_t *n = json_array(), *v;
	const char *key;
	char *text;
	bool ok;

	json_object_foreach (config, key, v) {
		if (!is_secret(key, v) && !json_object_get(s, key))
			json_object_set(p, key, v);
		else if (json_is_null(v))
			json_object_del(s, key);
		else
			json_object_set(s, key, v);
	}
	json_object_foreach (s, key, v)
		json_array_append_new(n, json_string(key));
	text = json_dumps(s, JSON_COMPACT);
	*pub = json_dumps(p, JSON_COMPACT);
	*names = json_dumps(n, JSON_COMPACT);
	ok = keyring_seal(r->db, text, sec, &r->err);
	sodium_memzero(text, strlen(text));
	free(text);
	json_decref(p);
	json_decref(s);
	json_decref(n);
	return ok;
}

/* A data source's secrets, unsealed, as an object (new reference). */
static bool load_secrets(struct req *r, int64_t id, json_t **out)
{
	char *sealed = NULL, *plain = NULL;
	bool ok;

	ok = req_store_ok(r, store_ds_secrets(r->db, r->who.team_id, id, &sealed), "data source");
	if (ok && !keyring_unseal(sealed, &plain))
		ok = keyring_mismatch(&r->err);
	if (ok)
		*out = json_loads(plain, 0, NULL);
	ok = ok && *out;
	if (plain)
		sodium_memzero(plain, strlen(plain));
	free(plain);
	free(sealed);
	return ok;
}

static bool reply_ds(struct req *r, int64_t id, unsigned status)
{
	json_t *o = NULL;

	if (!req_store_ok(r, store_ds_get(r->db, r->who.team_id, id, &o), "data source"))
		return false;
	return req_reply(r, status, o);
}

static bool ds_list(struct req *r)
{
	struct page pg;
	json_t *items = NULL;
	int64_t total = 0;

	return admin_page(r, &pg) &&
	       req_store_ok(r, store_ds_list(r->db, r->who.team_id, pg, &items, &total),
	                    "data source") &&
	       admin_list(r, items, total);
}

static bool ds_fields(struct req *r, json_t *body, bool create, const char **name,
                      const char **type, json_t **config)
{
	return jsonv_str(body, "name", limits.name_max, create, name, &r->err) &&
	       jsonv_str(body, "type", 64, create, type, &r->err) &&
	       jsonv_obj(body, "config", config, &r->err);
}

static bool ds_create(struct req *r)
{
	static const char *const fields[] = {"name", "schema_id", "type", "config", NULL};
	const char *name = NULL, *type = NULL;
	json_t *body = NULL, *config = NULL, *schema_obj = NULL;
	char *pub = NULL, *sec = NULL, *names = NULL;
	int64_t schema = 0, id = 0;
	bool ok;

	ok = admin_body(r, fields, &body) && ds_fields(r, body, true, &name, &type, &config) &&
	     jsonv_id(body, "schema_id", true, &schema, NULL, &r->err);
	if (ok && store_schema_get(r->db, r->who.team_id, schema, &schema_obj) != STORE_OK)
		ok = err_set(&r->err, 400, "unknown_schema", "No schema has id %lld.",
		             (long long)schema);
	ok =
	    ok && split_config(r, config, NULL, &pub, &sec, &names) &&
	    req_store_ok(
	        r, store_ds_create(r->db, r->who.team_id, schema, name, type, pub, sec, names, &id),
	        "data source") &&
	    reply_ds(r, id, 201) &&
	    audit_record_id(r, "data_source.create", "data_source", id, NULL, r->reply);
	json_decref(schema_obj);
	free(pub);
	free(sec);
	free(names);
	return ok;
}

static bool ds_get(struct req *r)
{
	return reply_ds(r, r->path_ids[0], 200);
}

static bool ds_patch(struct req *r)
{
	static const char *const fields[] = {"name", "type", "config", NULL};
	int64_t id = r->path_ids[0];
	const char *name = NULL, *type = NULL;
	json_t *body = NULL, *config = NULL, *before = NULL, *secrets = NULL, *merged = NULL;
	char *pub = NULL, *sec = NULL, *names = NULL;
	bool ok;

	ok = admin_body(r, fields, &body) && ds_fields(r, body, false, &name, &type, &config) &&
	     req_store_ok(r, store_ds_get(r->db, r->who.team_id, id, &before), "data source") &&
	     load_secrets(r, id, &secrets);
	if (ok) {
		merged = config ? json_incref(config)
		                : json_deep_copy(json_object_get(before, "config"));
		ok = split_config(r, merged, secrets, &pub, &sec, &names) &&
		     req_store_ok(
		         r,
		         store_ds_update(
		             r->db, r->who.team_id, id,
		             name ? name : json_string_value(json_object_get(before, "name")),
		             type ? type : json_string_value(json_object_get(before, "type")), pub,
		             sec, names),
		         "data source") &&
		     reply_ds(r, id, 200) &&
		     audit_record_id(r, "data_source.update", "data_source", id, before, r->reply);
	}
	json_decref(merged);
	json_decref(before);
	json_decref(secrets);
	free(pub);
	free(sec);
	free(names);
	return ok;
}

static bool ds_delete(struct req *r)
{
	int64_t id = r->path_ids[0];
	json_t *before = NULL;
	bool ok;

	ok = req_store_ok(r, store_ds_get(r->db, r->who.team_id, id, &before), "data source") &&
	     admin_release_mappings(r, 0, id) &&
	     req_store_ok(r, store_ds_leave_groups(r->db, id), "data source") &&
	     req_store_ok(r, store_ds_delete(r->db, r->who.team_id, id), "data source") &&
	     audit_record_id(r, "data_source.delete", "data_source", id, before, NULL) &&
	     req_reply(r, 200, json_pack("{si}", "success", 1));
	json_decref(before);
	return ok;
}

#define ADMIN(m, p, w, need, f)                                                                    \
	{                                                                                          \
		m, p, AUTH_ADMIN, w, need, f                                                       \
	}

const struct route admin_schema_routes[] = {
    ADMIN("GET", "/admin/api/schemas", false, NEED_READ, schema_list),
    ADMIN("POST", "/admin/api/schemas", true, NEED_EDIT, schema_create),
    ADMIN("GET", "/admin/api/schemas/{}", false, NEED_READ, schema_get),
    ADMIN("PATCH", "/admin/api/schemas/{}", true, NEED_EDIT, schema_patch),
    ADMIN("DELETE", "/admin/api/schemas/{}", true, NEED_DELETE, schema_delete),
    ADMIN("GET", "/admin/api/data_sources", false, NEED_READ, ds_list),
    ADMIN("POST", "/admin/api/data_sources", true, NEED_EDIT, ds_create),
    ADMIN("GET", "/admin/api/data_sources/{}", false, NEED_READ, ds_get),
    ADMIN("PATCH", "/admin/api/data_sources/{}", true, NEED_EDIT, ds_patch),
    ADMIN("DELETE", "/admin/api/data_sources/{}", true, NEED_DELETE, ds_delete),
    {NULL, NULL, AUTH_NONE, false, NEED_READ, NULL},
};
