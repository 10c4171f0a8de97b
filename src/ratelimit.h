/*
 * ratelimit — a token-bucket limiter keyed by a string (an API token's id,
 * a client address), safe to call from every HTTP worker thread at once.
 *
 * Each key has a bucket holding up to `burst` tokens that refills at
 * `rate_per_s`; a request takes one token or is told how long to wait.
 * Memory is fixed when the limiter is made: at most max_keys buckets, and
 * when a new key finds no room, the bucket closest to full (the stalest,
 * whose forgetting loses the least) makes way. Time is passed in, as
 * monotonic seconds, so the caller decides the clock and tests need none.
 */
#ifndef VISOR_RATELIMIT_H
#define VISOR_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>

struct ratelimit;

/*
 * A limiter allowing rate_per_s requests a second per key with bursts of up
 * to burst, tracking at most max_keys keys. NULL unless rate_per_s > 0,
 * burst >= 1 and max_keys >= 1. Call sodium_init() first (keys are hashed
 * with a random per-limiter secret). Free with ratelimit_free.
 */
struct ratelimit *ratelimit_new(double rate_per_s, double burst, size_t max_keys);

/*
 * Take one token from key's bucket at time now (monotonic seconds). True if
 * the request may go ahead; otherwise false and *retry_after (if not NULL)
 * is the number of seconds until a token will be there. Times that go
 * backwards are treated as no time passing.
 */
bool ratelimit_take(struct ratelimit *rl, const char *key, double now, double *retry_after);

/* Give back a token taken by ratelimit_take (never past the burst): for
 * limits that count only failures, a token is taken before each attempt
 * and given back when it succeeds, so parallel attempts cannot all pass. */
void ratelimit_give(struct ratelimit *rl, const char *key, double now);

/* Release the limiter; NULL is fine. No call may be running on it. */
void ratelimit_free(struct ratelimit *rl);

#endif
