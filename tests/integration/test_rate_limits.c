/*
 * test_rate_limits — the two limiters. One API token over its rate (100
 * requests a second, bursts of 200) gets 429 rate_limited with an integer
 * Retry-After, changes nothing, and slows no other token; an address that
 * fails authentication too often (bursts of 20) gets 429 too_many_failures
 * even with a valid credential. Each test has its own server, so the
 * blocked address blocks no other test.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;

/* Retry-After is a whole number of seconds, at least 1; answers it. */
static long expect_retry_after(const struct resp *r)
{
	const char *v = resp_header(r, "Retry-After");
	char *end = NULL;
	long secs;

	cr_assert_not_null(v, "%s %s: 429 without Retry-After:\n%s", r->method, r->path,
	                   r->headers);
	secs = strtol(v, &end, 10);
	cr_assert(end != v && *end == '\0' && secs >= 1,
	          "Retry-After is not whole seconds >= 1: %s", v);
	return secs;
}

/* Requests with one token until the first 429 (at most max): that answer,
 * or NULL; *ok counts the ones that got through before it. */
static struct resp *until_limited(const char *token, int max, int *ok)
{
	for (*ok = 0; *ok < max; (*ok)++) {
		struct resp *r = api(token, "GET", "/api/data_sources/", NULL);

		cr_assert(r->status == 200 || r->status == 429, "request %d: %ld %s", *ok + 1,
		          r->status, r->body);
		if (r->status == 429)
			return r;
	}
	return NULL;
}

VTEST(rate, a_busy_token_is_slowed_and_no_other)
{
	struct resp *r, *limited;
	long customers, retry;
	int ok = 0, tries = 0;

	world_tour(&w);
	limited = until_limited(w.tok_test, 2000, &ok);
	cr_assert_not_null(limited, "2000 quick requests with one token were never limited");
	cr_assert_geq(ok, 200, "a burst of 200 was cut short after %d requests", ok);
	expect_error(limited, 429, "rate_limited");
	retry = expect_retry_after(limited);
	cr_assert_leq(retry, 5, "Retry-After %ld s for a 100/s token bucket", retry);

	expect_status(api(w.tok_prod, "GET", "/api/data_sources/", NULL), 200);
	expect_status(api(w.ro_test, "GET", "/api/data_sources/", NULL), 200);
	expect_status(adm("GET", "/admin/api/groups", NULL), 200);

	customers = db_count("customers");
	do {
		r = api(w.tok_test, "POST", "/api/create_customer/",
		        J("{s:s}", "provided_id", fmt("limited-%d", tries)));
		if (r->status != 429)
			customers++;
	} while (r->status != 429 && ++tries < 500);
	expect_error(r, 429, "rate_limited");
	cr_assert_eq(db_count("customers"), customers, "a limited write changed the database");

	sleep((unsigned)retry + 1);
	expect_status(api(w.tok_test, "GET", "/api/data_sources/", NULL), 200);
}

VTEST(rate, an_address_that_keeps_failing_is_blocked)
{
	const char *revoked = NULL;
	struct resp *r = NULL;
	json_int_t id;
	int failures = 0;

	world_tour(&w);
	revoked = mk_token(w.grp_test, "read_write", &id);
	expect_ok(adm("DELETE", fmt("/admin/api/tokens/%" JSON_INTEGER_FORMAT, id), NULL));
	for (; failures < 20; failures++) {
		const char *bad = failures % 3 == 0   ? "vis_nope"
		                  : failures % 3 == 1 ? revoked
		                                      : NULL;
		r = bad ? api(bad, "GET", "/api/customers/", NULL)
		        : http("GET", "/admin/api/groups",
		               (const char *[]){"Authorization: Bearer visadm_wrong", NULL}, NULL,
		               0);
		cr_assert_eq(r->status, 401, "failure %d: %ld %s", failures + 1, r->status,
		             r->body);
	}
	for (int i = 0; i < 5 && r->status == 401; i++)
		r = api(revoked, "GET", "/api/customers/", NULL);
	expect_error(r, 429, "too_many_failures");
	expect_retry_after(r);

	r = api(w.tok_test, "GET", "/api/customers/", NULL);
	expect_error(r, 429, "too_many_failures");
	expect_retry_after(r);
	expect_error(adm("GET", "/admin/api/groups", NULL), 429, "too_many_failures");
	expect_status(http("GET", "/healthz", NULL, NULL, 0), 200);
}
