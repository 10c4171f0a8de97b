/*
 * embedkit — builders for the embed token tests (see embedkit.h).
 */
#include "embedkit.h"

#include <string.h>

const char *keys_path(json_int_t group)
{
	return fmt("/admin/api/groups/%" JSON_INTEGER_FORMAT "/keys", group);
}

const char *key_path(const char *key_id)
{
	return fmt("/admin/api/keys/%s", key_id);
}

const char *mk_key(json_int_t group)
{
	struct resp *r = adm("POST", keys_path(group), json_object());
	const char *k;

	expect_status(r, 201);
	k = jstr(r->json, "key_id");
	cr_assert_not_null(k, "a new signing key without key_id: %s", r->body);
	return k;
}

void embed_world(struct embed_world *e)
{
	world_tour(&e->w);
	mk_customer(e->w.tok_test, J("{s:s, s:s}", "provided_id", "acme", "name", "Acme Test"));
	mk_customer(e->w.tok_prod, J("{s:s, s:s}", "provided_id", "acme", "name", "Acme Prod"));
	e->key_test = mk_key(e->w.grp_test);
	e->key_prod = mk_key(e->w.grp_prod);
}

struct resp *gen_jwt(const char *token, json_t *body)
{
	return api(token, "POST", "/api/generate_jwt/", body);
}

struct resp *verify_jwt(const char *token, const char *jwt)
{
	return api(token, "POST", "/api/verify_jwt/", J("{s:s}", "jwt", jwt));
}

const char *mk_jwt(const char *token, const char *provided_id, const char *embed_id, json_t *more)
{
	json_t *body = J("{s:s, s:s}", "provided_id", provided_id, "embed_id", embed_id);
	struct resp *r;

	if (more)
		json_object_update(body, more);
	json_decref(more);
	r = gen_jwt(token, body);
	expect_status(r, 200);
	cr_assert_eq(jint(r->json, "success"), 1, "%s", r->body);
	cr_assert_not_null(jstr(r->json, "jwt"), "generate_jwt gave no jwt: %s", r->body);
	return jstr(r->json, "jwt");
}

int jwt_split(const char *jwt, const char *parts[8])
{
	int n = 0;

	for (const char *p = jwt; n < 8; n++) {
		size_t len = strcspn(p, ".");

		parts[n] = fmt("%.*s", (int)len, p);
		if (p[len] == '\0')
			return n + 1;
		p += len + 1;
	}
	return n;
}

const char *jwt_join(const char *const *parts, int n)
{
	const char *s = "";

	for (int i = 0; i < n; i++)
		s = fmt("%s%s%s", s, i ? "." : "", parts[i]);
	return s;
}
