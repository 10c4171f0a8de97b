/*
 * req — request accessors shared by every handler.
 */
#include "req.h"

#include <stdio.h>
#include <string.h>

#include "jsonv.h"
#include "limits.h"
#include "store.h"
#include "util.h"

bool req_body(struct req *r, json_t **out)
{
	if (!r->json && !jsonv_parse_object(r->body, r->body_len, &r->json, &r->err))
		return false;
	*out = r->json;
	return true;
}

const char *req_param(struct req *r, const char *name)
{
	const char *v = req_query(r, name);
	json_t *body = NULL;

	if (v)
		return v;
	if (!r->body_len || !req_body(r, &body)) {
		err_clear(&r->err);
		return NULL;
	}
	return json_string_value(json_object_get(body, name));
}

static bool parse_page_arg(struct req *r, const char *name, int64_t max, int64_t *out)
{
	const char *v = req_query(r, name);

	if (!v)
		return true;
	if (!util_parse_i64(v, 1, max, out))
		return err_set(&r->err, 400, "invalid_page",
		               "\"%s\" must be a whole number from 1 to %lld.", name,
		               (long long)max);
	return true;
}

bool req_page(struct req *r, int64_t *limit, int64_t *offset, int64_t *page)
{
	int64_t size = limits.page_default;

	*page = 1;
	if (!parse_page_arg(r, "page", INT32_MAX, page) ||
	    !parse_page_arg(r, "page_size", limits.page_max, &size) ||
	    !parse_page_arg(r, "pageSize", limits.page_max, &size))
		return false;
	*limit = size;
	*offset = (*page - 1) * size;
	return true;
}

bool req_reply(struct req *r, unsigned status, json_t *reply)
{
	json_decref(r->reply);
	r->status = status;
	r->reply = reply;
	return true;
}

bool req_not_found(struct req *r, const char *what)
{
	return err_set(&r->err, 404, "not_found", "No %s matches that id.", what);
}

bool req_store_ok(struct req *r, int store_rc, const char *what)
{
	switch ((enum store_rc)store_rc) {
	case STORE_OK:
		return true;
	case STORE_NOT_FOUND:
		return req_not_found(r, what);
	case STORE_CONFLICT:
		return err_set(&r->err, 409, "already_exists",
		               "A %s with that name or id already exists.", what);
	default:
		return err_storage(&r->err);
	}
}
