/*
 * admin — helpers shared by the admin API's handlers (api_admin.c and
 * admin_org.c): strict bodies, paged list answers, created answers.
 */
#ifndef VISOR_ADMIN_H
#define VISOR_ADMIN_H

#include <jansson.h>

#include "req.h"
#include "store.h"

/* The body as an object holding only the allowed fields. */
bool admin_body(struct req *r, const char *const *allowed, json_t **body) MUST_CHECK;

/* Paging arguments as a store page. */
bool admin_page(struct req *r, struct page *pg) MUST_CHECK;

/* {"items": items, "total_count": total} (items stolen). */
bool admin_list(struct req *r, json_t *items, int64_t total);

/* 201 with the object (stolen). */
bool admin_created(struct req *r, json_t *obj);

/* Is ?name=true given? */
bool admin_flag(struct req *r, const char *name);

/* Rule 7: customers that map to ds explicitly (in group, or anywhere when
 * group is 0) make a 409 with their count, unless ?drop_mappings=true,
 * which drops those mappings. */
bool admin_release_mappings(struct req *r, int64_t group, int64_t ds) MUST_CHECK;

#endif
