/*
 * ratelimit — token buckets in a fixed set-associative table. A key is
 * hashed (BLAKE2b keyed with a per-limiter random secret, so that no
 * client can aim its keys at another's slots) to 16 bytes that both name
 * its bucket and pick one set of up to WAYS buckets. A key missing from
 * its set takes a free bucket there, or else the one that would hold the
 * most tokens now: a bucket that has refilled to the burst is the same as
 * a new one, so forgetting it costs nothing. Sets are guarded by striped
 * mutexes, one lock per call.
 */
#include "ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define WAYS     8  /* buckets a key may occupy */
#define STRIPES  64 /* mutexes; set s is guarded by lock s % STRIPES */
#define ID_BYTES 16

struct bucket {
	unsigned char id[ID_BYTES]; /* keyed hash of the key */
	bool used;
	double tokens;
	double last; /* when tokens was last brought up to date */
};

struct ratelimit {
	double rate;
	double burst;
	size_t sets;
	size_t ways;
	unsigned char secret[crypto_generichash_KEYBYTES];
	pthread_mutex_t locks[STRIPES];
	struct bucket *buckets; /* sets rows of ways */
};

struct ratelimit *ratelimit_new(double rate_per_s, double burst, size_t max_keys)
{
	struct ratelimit *rl;
	size_t i;

	if (!isfinite(rate_per_s) || !isfinite(burst) || rate_per_s <= 0 || burst < 1 ||
	    max_keys == 0)
		return NULL;
	rl = xcalloc(1, sizeof(*rl));
	rl->rate = rate_per_s;
	rl->burst = burst;
	rl->ways = max_keys < WAYS ? max_keys : WAYS;
	rl->sets = max_keys / rl->ways;
	rl->buckets = xcalloc(rl->sets * rl->ways, sizeof(*rl->buckets));
	randombytes_buf(rl->secret, sizeof(rl->secret));
	for (i = 0; i < STRIPES; i++)
		pthread_mutex_init(&rl->locks[i], NULL);
	return rl;
}

/* Tokens b would hold at now, never more than the burst. */
static double level_at(const struct ratelimit *rl, const struct bucket *b, double now)
{
	double t = b->tokens;

	if (now > b->last)
		t += (now - b->last) * rl->rate;
	return t < rl->burst ? t : rl->burst;
}

/* Key id's bucket in row, claiming a free or the fullest one if it has none. */
static struct bucket *find(const struct ratelimit *rl, struct bucket *row,
                           const unsigned char id[ID_BYTES], double now)
{
	struct bucket *victim = row;
	double best = -1;
	size_t i;

	for (i = 0; i < rl->ways; i++) {
		struct bucket *b = &row[i];
		double level = b->used ? level_at(rl, b, now) : rl->burst + 1;

		if (b->used && memcmp(b->id, id, ID_BYTES) == 0)
			return b;
		if (level > best || (level == best && b->last < victim->last)) {
			best = level;
			victim = b;
		}
	}
	memcpy(victim->id, id, ID_BYTES);
	victim->used = true;
	victim->tokens = rl->burst;
	victim->last = now;
	return victim;
}

/* Take cost tokens if they are there; a negative cost gives tokens back
 * (never past the burst). */
static bool check(struct ratelimit *rl, const char *key, double now, double cost,
                  double *retry_after)
{
	unsigned char id[ID_BYTES];
	uint64_t h;
	size_t set;
	struct bucket *b;
	bool allowed;

	crypto_generichash(id, sizeof(id), (const unsigned char *)key, strlen(key), rl->secret,
	                   sizeof(rl->secret));
	memcpy(&h, id, sizeof(h));
	set = (size_t)(h % rl->sets);

	pthread_mutex_lock(&rl->locks[set % STRIPES]);
	b = find(rl, rl->buckets + set * rl->ways, id, now);
	b->tokens = level_at(rl, b, now);
	if (now > b->last)
		b->last = now;
	allowed = b->tokens >= cost;
	if (allowed)
		b->tokens = b->tokens - cost > rl->burst ? rl->burst : b->tokens - cost;
	else if (retry_after)
		*retry_after = (cost - b->tokens) / rl->rate;
	pthread_mutex_unlock(&rl->locks[set % STRIPES]);
	return allowed;
}

bool ratelimit_take(struct ratelimit *rl, const char *key, double now, double *retry_after)
{
	return check(rl, key, now, 1, retry_after);
}

void ratelimit_give(struct ratelimit *rl, const char *key, double now)
{
	check(rl, key, now, -1, NULL);
}

void ratelimit_free(struct ratelimit *rl)
{
	size_t i;

	if (!rl)
		return;
	for (i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&rl->locks[i]);
	sodium_memzero(rl->secret, sizeof(rl->secret));
	free(rl->buckets);
	free(rl);
}
