/*
 * limits — every size bound the server enforces, in one place, with the
 * defaults of DESIGN.md §3. `visor serve` flags may change them at start;
 * afterwards they are read-only.
 */
#ifndef VISOR_LIMITS_H
#define VISOR_LIMITS_H

#include <stddef.h>

struct limits {
	size_t body_max;         /* bytes of request body (413 above) */
	size_t header_max;       /* bytes of request line + headers (431 above) */
	unsigned depth_max;      /* JSON nesting */
	size_t id_max;           /* provided_id and other identifiers */
	size_t name_max;         /* names and other free text */
	size_t array_max;        /* items in an array or keys in an object */
	size_t embed_token_max;  /* embed tokens */
	unsigned page_max;       /* page size ceiling */
	unsigned page_default;   /* page size when none is given */
	unsigned connections;    /* concurrent connections */
	unsigned idle_timeout_s; /* seconds a connection may sit idle */
	unsigned threads;        /* HTTP worker threads (0: one per core) */
	double token_rate;       /* requests per second per API token (0: no limit) */
	double token_burst;      /* requests an idle token may send at once */
	double auth_failures;    /* failed authentications per minute per address */
};

extern struct limits limits;

#endif
