/*
 * Unit tests of ratelimit.c: bucket arithmetic with a fixed clock, key
 * independence, the memory bound and its eviction choice, and threads
 * racing on one bucket never getting more than burst + rate × elapsed.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "ratelimit.h"

#define THREADS 8

static void init(void)
{
	cr_assert(sodium_init() >= 0);
}

TestSuite(ratelimit, .init = init);

static int take_n(struct ratelimit *rl, const char *key, double now, int n)
{
	int allowed = 0;

	while (n-- > 0)
		allowed += ratelimit_take(rl, key, now, NULL);
	return allowed;
}

Test(ratelimit, a_burst_then_one_token_per_interval)
{
	struct ratelimit *rl = ratelimit_new(2, 3, 100);
	double retry = -1;

	cr_assert(rl);
	cr_expect_eq(take_n(rl, "tok", 0, 3), 3);
	cr_expect_not(ratelimit_take(rl, "tok", 0, &retry));
	cr_expect_float_eq(retry, 0.5, 1e-9);
	cr_expect_not(ratelimit_take(rl, "tok", 0.25, &retry));
	cr_expect_float_eq(retry, 0.25, 1e-9);
	cr_expect(ratelimit_take(rl, "tok", 0.5, NULL));
	cr_expect_not(ratelimit_take(rl, "tok", 0.5, NULL));
	cr_expect_eq(take_n(rl, "tok", 100, 10), 3, "an idle bucket refills only to the burst");
	ratelimit_free(rl);
}

Test(ratelimit, keys_have_their_own_buckets)
{
	struct ratelimit *rl = ratelimit_new(1, 2, 100);

	cr_expect_eq(take_n(rl, "10.0.0.1", 0, 5), 2);
	cr_expect_eq(take_n(rl, "10.0.0.2", 0, 5), 2);
	cr_expect_eq(take_n(rl, "10.0.0.1", 0, 5), 0);
	cr_expect_eq(take_n(rl, "", 0, 5), 2, "even the empty key");
	ratelimit_free(rl);
}

Test(ratelimit, time_going_backwards_grants_nothing)
{
	struct ratelimit *rl = ratelimit_new(1, 1, 10);

	cr_expect(ratelimit_take(rl, "k", 100, NULL));
	cr_expect_not(ratelimit_take(rl, "k", 50, NULL));
	cr_expect_not(ratelimit_take(rl, "k", 100.5, NULL));
	cr_expect(ratelimit_take(rl, "k", 101, NULL));
	ratelimit_free(rl);
}

Test(ratelimit, nonsense_parameters_give_no_limiter)
{
	cr_expect_null(ratelimit_new(0, 10, 10));
	cr_expect_null(ratelimit_new(-1, 10, 10));
	cr_expect_null(ratelimit_new(1, 0.5, 10));
	cr_expect_null(ratelimit_new(1, 10, 0));
	cr_expect_null(ratelimit_new(0.0 / 0.0, 10, 10));
	cr_expect_null(ratelimit_new(1.0 / 0.0, 10, 10));
	ratelimit_free(NULL);
}

Test(ratelimit, one_bucket_is_shared_by_turns)
{
	struct ratelimit *rl = ratelimit_new(1, 1, 1);

	cr_expect(ratelimit_take(rl, "a", 0, NULL));
	cr_expect_not(ratelimit_take(rl, "a", 0, NULL));
	cr_expect(ratelimit_take(rl, "b", 0, NULL), "b takes the only bucket");
	cr_expect(ratelimit_take(rl, "a", 0, NULL), "a was forgotten to make room");
	ratelimit_free(rl);
}

Test(ratelimit, a_drained_key_outlives_fuller_ones)
{
	struct ratelimit *rl = ratelimit_new(1, 3, 4);
	char key[32];
	int i;

	cr_expect_eq(take_n(rl, "hot", 0, 10), 3);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "cold-%d", i);
		cr_expect(ratelimit_take(rl, key, 0, NULL));
	}
	cr_expect_not(ratelimit_take(rl, "hot", 0, NULL), "the empty bucket was kept");
	ratelimit_free(rl);
}

struct race {
	struct ratelimit *rl;
	const char *key;
	double fixed_now; /* < 0: read the monotonic clock */
	double until;
	int attempts;
	atomic_int allowed;
};

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *racer(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; r->fixed_now >= 0 ? i < r->attempts : monotonic() < r->until; i++) {
		double now = r->fixed_now >= 0 ? r->fixed_now : monotonic();

		if (ratelimit_take(r->rl, r->key, now, NULL))
			atomic_fetch_add(&r->allowed, 1);
	}
	return NULL;
}

static void run(struct race *r)
{
	pthread_t t[THREADS];
	int i;

	for (i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, racer, r), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
}

Test(ratelimit, threads_at_one_instant_share_exactly_the_burst)
{
	struct race r = {
	    .rl = ratelimit_new(10, 25, 64), .key = "shared", .fixed_now = 5, .attempts = 2000};

	run(&r);
	cr_expect_eq(atomic_load(&r.allowed), 25);
	ratelimit_free(r.rl);
}

Test(ratelimit, threads_over_time_get_no_more_than_burst_plus_rate_times_elapsed)
{
	double rate = 2000, burst = 50;
	struct race r = {.rl = ratelimit_new(rate, burst, 1024), .key = "shared", .fixed_now = -1};
	double start, elapsed;
	int allowed;

	start = monotonic();
	r.until = start + 0.3;
	run(&r);
	elapsed = monotonic() - start;
	allowed = atomic_load(&r.allowed);
	cr_expect_leq(allowed, burst + rate * elapsed + 1e-6, "%d allowed in %.3f s", allowed,
	              elapsed);
	cr_expect_geq(allowed, burst, "%d allowed in %.3f s", allowed, elapsed);
	ratelimit_free(r.rl);
}

struct own_key {
	struct ratelimit *rl;
	char key[24];
	int allowed;
};

static void *own_key_racer(void *arg)
{
	struct own_key *k = arg;
	int i;

	for (i = 0; i < 500; i++)
		k->allowed += ratelimit_take(k->rl, k->key, 1, NULL);
	return NULL;
}

Test(ratelimit, threads_with_their_own_keys_each_get_the_burst)
{
	struct ratelimit *rl = ratelimit_new(1, 7, 4096);
	struct own_key k[THREADS];
	pthread_t t[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		k[i].rl = rl;
		k[i].allowed = 0;
		snprintf(k[i].key, sizeof(k[i].key), "client-%d", i);
		cr_assert_eq(pthread_create(&t[i], NULL, own_key_racer, &k[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(k[i].allowed, 7, "%s", k[i].key);
	}
	ratelimit_free(rl);
}
