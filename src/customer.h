/*
 * customer — the customer object shared by the token API and the admin
 * API: reading one as JSON with its computed mapping and properties
 * (rule 4), and applying a create or update body to one with every check
 * of rules 3 and 6 and of the hierarchy. Nothing here speaks HTTP beyond
 * filling in the request's error.
 */
#ifndef VISOR_CUSTOMER_H
#define VISOR_CUSTOMER_H

#include <jansson.h>

#include "req.h"
#include "store.h"

/* The fields a customer body may carry, as create_customer takes them
 * (NULL-terminated); each API adds its own (new_provided_id, group_id…). */
extern const char *const customer_fields[];

/* The customer as DESIGN.md §3 reads it (new reference), or NULL with
 * r->err set. g is the view of the customer's group. */
json_t *customer_json(struct req *r, const struct customer *c, const struct group_view *g);

/* The same, taking ancestors from set when they are there (a page read by
 * store_customer_page) rather than from the store. */
json_t *customer_json_in(struct req *r, const struct customer *c, const struct group_view *g,
                         const struct customer_set *set);

/* The same plus "id" and "group_id", for the admin API. */
json_t *customer_admin_json(struct req *r, const struct customer *c, const struct group_view *g);

/* Check the types and sizes of a create or update body's fields without
 * looking anything up (for a get-or-create that finds the customer). */
bool customer_check_types(struct req *r, json_t *body) MUST_CHECK;

/* The same, with ancestors from a page's set (see customer_json_in). */
json_t *customer_admin_json_in(struct req *r, const struct customer *c, const struct group_view *g,
                               const struct customer_set *set);

/* Create a customer in group g from a create body (already checked for
 * unknown fields). On success c holds the stored customer. */
bool customer_create(struct req *r, json_t *body, const struct group_view *g,
                     struct customer *c) MUST_CHECK;

/* Apply the fields present in an update body to c and save it. */
bool customer_update(struct req *r, json_t *body, const struct group_view *g,
                     struct customer *c) MUST_CHECK;

/* Move c into the group `to` (rule 6). With drop, entries pointing outside
 * the target are removed; without, they make a 409 listing them. */
bool customer_move(struct req *r, struct customer *c, const struct group_view *to,
                   bool drop) MUST_CHECK;

/* Give c a new embed token and save it. */
bool customer_refresh_token(struct req *r, struct customer *c) MUST_CHECK;

/* Delete c and its descendants; *deleted gets how many went. */
bool customer_delete(struct req *r, struct customer *c, int64_t *deleted) MUST_CHECK;

#endif
