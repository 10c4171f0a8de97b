/*
 * util — small checked helpers shared by every module.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool util_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool util_strlcpy(char *dst, const char *src, size_t cap)
{
	size_t n = strlen(src);

	if (cap == 0)
		return false;
	if (n >= cap) {
		memcpy(dst, src, cap - 1);
		dst[cap - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

size_t util_utf8_prefix(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return n;
	n = max;
	/* Step back over continuation bytes (10xxxxxx) to a character start. */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int64_t util_now(void)
{
	return (int64_t)time(NULL);
}

void util_time_format(int64_t t, char buf[24])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "Z", or "+HH:MM" / "-HH:MM": the offset from UTC in seconds. */
static bool parse_offset(const char *s, int64_t *offset)
{
	int hh, mm, n = 0;

	if (strcmp(s, "Z") == 0) {
		*offset = 0;
		return true;
	}
	if ((s[0] != '+' && s[0] != '-') || sscanf(s + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 ||
	    n != 5 || s[6] != '\0' || hh > 23 || mm > 59)
		return false;
	*offset = (s[0] == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
	return true;
}

bool util_time_parse(const char *s, int64_t *out)
{
	struct tm tm = {0}, check;
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	int64_t offset = 0;
	time_t t;

	if (!rest || strlen(s) < 19)
		return false;
	if (*rest == '.') {
		for (rest++; *rest >= '0' && *rest <= '9'; rest++)
			;
	}
	if (!parse_offset(rest, &offset))
		return false;
	check = tm;
	/* timegm normalises 2026-02-30 into March: refuse what moved. */
	t = timegm(&check);
	if (check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon || check.tm_hour != tm.tm_hour)
		return false;
	*out = (int64_t)t - offset;
	return true;
}
