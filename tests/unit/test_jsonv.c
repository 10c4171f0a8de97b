/*
 * Unit tests of jsonv.c: strict request bodies.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "jsonv.h"
#include "limits.h"
#include "mem.h"

static json_t *parse_ok(const char *text)
{
	struct err e = {0};
	json_t *v = NULL;

	cr_assert(jsonv_parse_object(text, strlen(text), &v, &e), "%s", e.message);
	return v;
}

static const char *parse_fails(const char *text)
{
	static struct err e;
	json_t *v = NULL;

	memset(&e, 0, sizeof(e));
	cr_assert_not(jsonv_parse_object(text, strlen(text), &v, &e));
	cr_expect_eq(e.status, 400);
	return e.code;
}

Test(jsonv, empty_body_is_an_empty_object)
{
	json_t *v = parse_ok("");

	cr_expect(json_is_object(v));
	json_decref(v);
}

Test(jsonv, malformed_non_object_and_duplicate_keys_are_refused)
{
	cr_expect_str_eq(parse_fails("{"), "invalid_json");
	cr_expect_str_eq(parse_fails("[1]"), "invalid_json");
	cr_expect_str_eq(parse_fails("{\"a\":1,\"a\":2}"), "invalid_json");
	cr_expect_str_eq(parse_fails("{\"a\":\"\xff\"}"), "invalid_json");
	cr_expect_str_eq(parse_fails("{\"a\":\"x\\u0000y\"}"), "invalid_json");
}

Test(jsonv, nesting_is_bounded)
{
	char deep[200];
	size_t n = 0;

	for (int i = 0; i < 40; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	{
		char body[300];

		snprintf(body, sizeof(body), "{\"a\":%s", deep);
		for (int i = 0; i < 40; i++)
			strcat(body, "]");
		strcat(body, "}");
		cr_expect_str_eq(parse_fails(body), "too_deep");
	}
}

Test(jsonv, unknown_fields_are_named)
{
	static const char *const allowed[] = {"name", NULL};
	json_t *v = parse_ok("{\"name\":\"x\",\"nmae\":1}");
	struct err e = {0};

	cr_expect_not(jsonv_only(v, allowed, &e));
	cr_expect_str_eq(e.code, "unknown_field");
	cr_expect(strstr(e.message, "nmae") != NULL);
	json_decref(v);
}

Test(jsonv, strings_are_typed_bounded_and_required)
{
	json_t *v = parse_ok("{\"a\":\"abc\",\"n\":5}");
	struct err e = {0};
	const char *s = NULL;

	cr_expect(jsonv_str(v, "a", 3, true, &s, &e));
	cr_expect_str_eq(s, "abc");
	cr_expect_not(jsonv_str(v, "a", 2, true, &s, &e));
	cr_expect_str_eq(e.code, "too_long");
	cr_expect_not(jsonv_str(v, "n", 10, true, &s, &e));
	cr_expect_str_eq(e.code, "wrong_type");
	cr_expect_not(jsonv_str(v, "missing", 10, true, &s, &e));
	cr_expect_str_eq(e.code, "missing_field");
	json_decref(v);
}

Test(jsonv, ids_accept_digits_in_strings_or_integers_only)
{
	json_t *v = parse_ok("{\"a\":\"40\",\"b\":41,\"c\":\"4x\",\"d\":-1,\"e\":\"\"}");
	int64_t id = 0;

	cr_expect(jsonv_value_id(json_object_get(v, "a"), &id));
	cr_expect_eq(id, 40);
	cr_expect(jsonv_value_id(json_object_get(v, "b"), &id));
	cr_expect_eq(id, 41);
	cr_expect_not(jsonv_value_id(json_object_get(v, "c"), &id));
	cr_expect_not(jsonv_value_id(json_object_get(v, "d"), &id));
	cr_expect_not(jsonv_value_id(json_object_get(v, "e"), &id));
	json_decref(v);
}

Test(jsonv, arrays_are_bounded)
{
	json_t *v = json_object(), *arr = json_array(), *out = NULL;
	struct err e = {0};

	for (size_t i = 0; i <= limits.array_max; i++)
		json_array_append_new(arr, json_string("x"));
	json_object_set_new(v, "emails", arr);
	cr_expect_not(jsonv_str_array(v, "emails", 10, &out, &e));
	cr_expect_str_eq(e.code, "too_many_items");
	json_decref(v);
}

Test(jsonv, utf8_check_refuses_broken_sequences_and_nul)
{
	cr_expect(jsonv_utf8("h\xc3\xa9", 3));
	cr_expect_not(jsonv_utf8("\xc3", 1));
	cr_expect_not(jsonv_utf8("a\0b", 3));
}
