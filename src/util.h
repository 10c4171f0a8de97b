/*
 * util — checked helpers that replace the banned libc calls: number parsing
 * with range checks (no atoi), bounded string copies (no strcpy), and
 * current time in the formats the API speaks.
 */
#ifndef VISOR_UTIL_H
#define VISOR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Parse a whole decimal integer in [min, max]; false on junk or overflow. */
bool util_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
    __attribute__((warn_unused_result));

/* Copy src into dst of size cap, always terminated; false if truncated. */
bool util_strlcpy(char *dst, const char *src, size_t cap);

/* The length of the longest prefix of s of at most max bytes that does
 * not end inside a UTF-8 character (s itself is valid UTF-8). */
size_t util_utf8_prefix(const char *s, size_t max);

/* Seconds since the epoch. */
int64_t util_now(void);

/* Format epoch seconds as RFC 3339 UTC ("2026-12-03T13:37:54Z") into buf[24]. */
void util_time_format(int64_t t, char buf[24]);

/* Parse RFC 3339 UTC ("…Z" or "+00:00"); false if malformed. */
bool util_time_parse(const char *s, int64_t *out) __attribute__((warn_unused_result));

#endif
