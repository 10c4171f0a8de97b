/*
 * jsonv — reading request bodies strictly. Parsing goes through jansson
 * (strict UTF-8, duplicate keys refused); this module adds what the API
 * promises on top: a nesting limit, unknown fields refused, and typed field
 * getters that bound lengths and name the offending field in the error.
 */
#ifndef VISOR_JSONV_H
#define VISOR_JSONV_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* Parse a body that must be one JSON object. An empty body gives an empty
 * object. On success *out is a new reference the caller releases. */
bool jsonv_parse_object(const char *body, size_t len, json_t **out, struct err *e) MUST_CHECK;

/* Refuse any key of obj not in the NULL-terminated list. */
bool jsonv_only(json_t *obj, const char *const *allowed, struct err *e) MUST_CHECK;
/* The same with a second list (may be NULL): a key must be in either. */
bool jsonv_only_of(json_t *obj, const char *const *allowed, const char *const *more,
                   struct err *e) MUST_CHECK;

/* Field getters. A missing or null field leaves *out untouched and
 * *present false; a present field of the wrong type or size is an error.
 * `required` turns a missing field into an error. */
bool jsonv_str(json_t *obj, const char *key, size_t max, bool required, const char **out,
               struct err *e) MUST_CHECK;
bool jsonv_bool(json_t *obj, const char *key, bool *present, bool *out, struct err *e) MUST_CHECK;
bool jsonv_id(json_t *obj, const char *key, bool required, int64_t *out, bool *present,
              struct err *e) MUST_CHECK;
bool jsonv_obj(json_t *obj, const char *key, json_t **out, struct err *e) MUST_CHECK;

/* An array of at most limits.array_max strings, each at most max bytes. */
bool jsonv_str_array(json_t *obj, const char *key, size_t max, json_t **out,
                     struct err *e) MUST_CHECK;

/* Parse an id given as a JSON integer or a decimal string ("40" or 40). */
bool jsonv_value_id(json_t *v, int64_t *out);

/* True if s (len bytes) is valid UTF-8 without NUL, checked by jansson. */
bool jsonv_utf8(const char *s, size_t len);

#endif
