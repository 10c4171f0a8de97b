/*
 * jsonv — strict request-body reading on top of jansson.
 */
#include "jsonv.h"

#include <string.h>

#include "limits.h"
#include "util.h"

/* Nesting and the size of every array and object, at any depth. */
static bool shape_ok(json_t *v, unsigned depth, struct err *e)
{
	const char *key;
	json_t *child;
	size_t i;

	if (depth > limits.depth_max)
		return err_set(e, 400, "too_deep", "The body nests deeper than %u levels.",
		               limits.depth_max);
	if ((json_is_object(v) && json_object_size(v) > limits.array_max) ||
	    (json_is_array(v) && json_array_size(v) > limits.array_max))
		return err_set(e, 400, "too_many_items",
		               "An array or object in the body has more than %zu items.",
		               limits.array_max);
	if (json_is_object(v)) {
		json_object_foreach (v, key, child) {
			if (!shape_ok(child, depth + 1, e))
				return false;
		}
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, child) {
			if (!shape_ok(child, depth + 1, e))
				return false;
		}
	}
	return true;
}

bool jsonv_parse_object(const char *body, size_t len, json_t **out, struct err *e)
{
	json_error_t jerr;
	json_t *v;

	if (len == 0) {
		*out = json_object();
		return true;
	}
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		return err_set(e, 400, "invalid_json", "The body is not valid JSON: %s (line %d).",
		               jerr.text, jerr.line);
	if (!json_is_object(v)) {
		json_decref(v);
		return err_set(e, 400, "invalid_json", "The body must be a JSON object.");
	}
	if (!shape_ok(v, 1, e)) {
		json_decref(v);
		return false;
	}
	*out = v;
	return true;
}

static bool listed(const char *const *list, const char *key)
{
	for (size_t i = 0; list && list[i]; i++) {
		if (strcmp(list[i], key) == 0)
			return true;
	}
	return false;
}

bool jsonv_only_of(json_t *obj, const char *const *allowed, const char *const *more, struct err *e)
{
	const char *key;
	json_t *v;

	json_object_foreach (obj, key, v) {
		if (!listed(allowed, key) && !listed(more, key))
			return err_set(e, 400, "unknown_field",
			               "The field \"%.*s\" is not accepted here.",
			               (int)util_utf8_prefix(key, 64), key);
	}
	return true;
}

bool jsonv_only(json_t *obj, const char *const *allowed, struct err *e)
{
	return jsonv_only_of(obj, allowed, NULL, e);
}

bool jsonv_str(json_t *obj, const char *key, size_t max, bool required, const char **out,
               struct err *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required)
			return err_set(e, 400, "missing_field", "The field \"%s\" is required.",
			               key);
		return true;
	}
	if (!json_is_string(v))
		return err_set(e, 400, "wrong_type", "The field \"%s\" must be a string.", key);
	if (json_string_length(v) > max)
		return err_set(e, 400, "too_long", "The field \"%s\" is longer than %zu bytes.",
		               key, max);
	if (required && json_string_length(v) == 0)
		return err_set(e, 400, "missing_field", "The field \"%s\" must not be empty.", key);
	*out = json_string_value(v);
	return true;
}

bool jsonv_bool(json_t *obj, const char *key, bool *present, bool *out, struct err *e)
{
	json_t *v = json_object_get(obj, key);

	*present = false;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_boolean(v))
		return err_set(e, 400, "wrong_type", "The field \"%s\" must be true or false.",
		               key);
	*present = true;
	*out = json_is_true(v);
	return true;
}

bool jsonv_value_id(json_t *v, int64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_string(v))
		return util_parse_i64(json_string_value(v), 1, INT64_MAX, out);
	return false;
}

bool jsonv_id(json_t *obj, const char *key, bool required, int64_t *out, bool *present,
              struct err *e)
{
	json_t *v = json_object_get(obj, key);

	if (present)
		*present = v != NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return err_set(e, 400, "missing_field", "The field \"%s\" is required.",
			               key);
		return true;
	}
	if (!jsonv_value_id(v, out))
		return err_set(e, 400, "wrong_type", "The field \"%s\" must be a positive id.",
		               key);
	return true;
}

bool jsonv_obj(json_t *obj, const char *key, json_t **out, struct err *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return true;
	if (!json_is_object(v))
		return err_set(e, 400, "wrong_type", "The field \"%s\" must be an object.", key);
	if (json_object_size(v) > limits.array_max)
		return err_set(e, 400, "too_many_items", "The field \"%s\" has more than %zu keys.",
		               key, limits.array_max);
	*out = v;
	return true;
}

bool jsonv_str_array(json_t *obj, const char *key, size_t max, json_t **out, struct err *e)
{
	json_t *v = json_object_get(obj, key);
	json_t *item;
	size_t i;

	if (!v || json_is_null(v))
		return true;
	if (!json_is_array(v))
		return err_set(e, 400, "wrong_type", "The field \"%s\" must be an array.", key);
	if (json_array_size(v) > limits.array_max)
		return err_set(e, 400, "too_many_items",
		               "The field \"%s\" has more than %zu items.", key, limits.array_max);
	json_array_foreach (v, i, item) {
		if (!json_is_string(item) || json_string_length(item) == 0)
			return err_set(e, 400, "wrong_type",
			               "Every item of \"%s\" must be a non-empty string.", key);
		if (json_string_length(item) > max)
			return err_set(e, 400, "too_long",
			               "An item of \"%s\" is longer than %zu bytes.", key, max);
	}
	*out = v;
	return true;
}

bool jsonv_utf8(const char *s, size_t len)
{
	json_t *v = json_stringn(s, len);
	bool ok = v != NULL && strlen(json_string_value(v)) == len;

	json_decref(v);
	return ok;
}
