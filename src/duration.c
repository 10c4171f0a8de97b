/*
 * duration — a small left-to-right reader of ISO 8601 durations. Each
 * component is a number and a unit letter; a table gives every unit its
 * length in seconds and its place in the order, so that repeated,
 * misplaced and out-of-order units are caught by one comparison. Sums use
 * the compiler's overflow-checked arithmetic.
 */
#include "duration.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

#define CODE "invalid_expiration"

struct unit {
	char letter;
	bool time; /* after the "T" */
	int64_t seconds;
};

/* In the only order allowed. */
static const struct unit units[] = {
    {'W', false, 7 * 86400}, {'D', false, 86400}, {'H', true, 3600},
    {'M', true, 60},         {'S', true, 1},
};

#define N_UNITS ARRAY_LEN(units)

struct reader {
	const char *p;
	size_t next;   /* index of the first unit still allowed */
	bool in_time;  /* a "T" has been read */
	bool any;      /* a component has been read */
	bool time_any; /* a component has been read after the "T" */
	bool overflow; /* a number or the sum left int64_t */
	int64_t total;
};

static bool refuse(struct err *e, const char *sentence)
{
	return err_set(e, 400, CODE, "%s", sentence);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The unit for letter on this side of the "T", or N_UNITS. */
static size_t find_unit(char letter, bool time)
{
	size_t i;

	for (i = 0; i < N_UNITS; i++) {
		if (units[i].letter == letter && units[i].time == time)
			return i;
	}
	return N_UNITS;
}

/* Faults visible in the text as a whole, before its structure is read. */
static bool check_text(const char *text, struct err *e)
{
	size_t i;

	if (!text || !*text)
		return refuse(e, "The expiration is empty; give an ISO 8601 duration such as PT1H "
		                 "or P7D.");
	if (strnlen(text, DURATION_TEXT_MAX + 1) > DURATION_TEXT_MAX)
		return refuse(e,
		              "The expiration is too long; give an ISO 8601 duration such as P7D.");
	if (text[0] == '-' || text[0] == '+')
		return refuse(e,
		              "The expiration cannot carry a sign; give a positive duration such "
		              "as PT1H.");
	for (i = 0; text[i]; i++) {
		if (text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r'))
			return refuse(
			    e, "The expiration must not contain spaces; write it like P1DT12H.");
		if (text[i] >= 'a' && text[i] <= 'z')
			return refuse(
			    e, "Write the expiration with capital letters, like PT1H or P7D.");
	}
	if (text[0] != 'P')
		return refuse(e, "The expiration must be an ISO 8601 duration starting with \"P\", "
		                 "such as PT1H or P7D.");
	return true;
}

/* Read the digits at r->p into *n; on overflow, set r->overflow and leave e to the caller. */
static bool read_number(struct reader *r, int64_t *n, struct err *e)
{
	int64_t v = 0;

	while (is_digit(*r->p)) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, *r->p - '0', &v)) {
			r->overflow = true;
			return false;
		}
		r->p++;
	}
	if (*r->p == '.' || *r->p == ',')
		return refuse(e, "The expiration must use whole numbers, such as PT90S rather than "
		                 "PT1.5M.");
	*n = v;
	return true;
}

/* Check the unit letter at r->p against the order and return its index. */
static bool read_unit(struct reader *r, size_t *index, struct err *e)
{
	char c = *r->p;
	size_t i = find_unit(c, r->in_time);

	if (c == '\0')
		return refuse(e, "Each number in the expiration needs a unit (W, D, H, M or S), as "
		                 "in PT30M.");
	if (!r->in_time && (c == 'Y' || c == 'M'))
		return refuse(e, "Years and months have no fixed length; give the expiration in "
		                 "weeks, days, hours, minutes or seconds, such as P30D.");
	if (i == N_UNITS && find_unit(c, !r->in_time) != N_UNITS)
		return refuse(e,
		              "Weeks and days go before the \"T\" and hours, minutes and seconds "
		              "after it, as in P1DT12H.");
	if (i == N_UNITS)
		return refuse(e, "The expiration may only use the units W, D, H, M and S, as in "
		                 "P1DT12H.");
	if (i < r->next)
		return refuse(e, "Each unit of the expiration may appear once, in the order W, D, "
		                 "then T and H, M, S, as in P1DT12H30M.");
	*index = i;
	r->p++;
	return true;
}

static bool read_component(struct reader *r, struct err *e)
{
	int64_t n = 0, part;
	size_t i = 0;

	if (!is_digit(*r->p) && strchr("YWDHMS", *r->p))
		return refuse(e,
		              "Each unit of the expiration needs a whole number before it, as in "
		              "P1D.");
	if (!is_digit(*r->p))
		return refuse(e,
		              "The expiration may only contain digits and the letters P, W, D, T, "
		              "H, M and S, as in P1DT12H.");
	if (!read_number(r, &n, e) || !read_unit(r, &i, e))
		return false;
	if (__builtin_mul_overflow(n, units[i].seconds, &part) ||
	    __builtin_add_overflow(r->total, part, &r->total)) {
		r->overflow = true;
		return false;
	}
	r->next = i + 1;
	r->any = true;
	r->time_any = r->time_any || r->in_time;
	return true;
}

static bool read_time_mark(struct reader *r, struct err *e)
{
	if (r->in_time)
		return refuse(e, "The expiration may contain only one \"T\", as in P1DT12H.");
	r->in_time = true;
	r->p++;
	return true;
}

/* Write max_seconds in the form this module reads, e.g. "P30D" or "P1DT1H". */
static void format_iso(int64_t s, char *buf, size_t cap)
{
	int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
	int n = snprintf(buf, cap, "P");

	if (d)
		n += snprintf(buf + n, cap - (size_t)n, "%lldD", (long long)d);
	if (h || m || sec)
		n += snprintf(buf + n, cap - (size_t)n, "T");
	if (h)
		n += snprintf(buf + n, cap - (size_t)n, "%lldH", (long long)h);
	if (m)
		n += snprintf(buf + n, cap - (size_t)n, "%lldM", (long long)m);
	if (sec)
		snprintf(buf + n, cap - (size_t)n, "%lldS", (long long)sec);
}

static bool refuse_over(int64_t max_seconds, struct err *e)
{
	char iso[80];

	format_iso(max_seconds, iso, sizeof(iso));
	return err_set(e, 400, CODE, "The expiration may be at most %s (%lld seconds).", iso,
	               (long long)max_seconds);
}

bool duration_parse(const char *text, int64_t max_seconds, int64_t *seconds, struct err *e)
{
	struct reader r = {0};

	if (!check_text(text, e))
		return false;
	r.p = text + 1;
	while (*r.p) {
		bool ok = *r.p == 'T' ? read_time_mark(&r, e) : read_component(&r, e);

		if (!ok)
			return r.overflow ? refuse_over(max_seconds, e) : false;
	}
	if (!r.any)
		return refuse(e, "The expiration has no length; give at least one number and unit, "
		                 "such as PT1H.");
	if (r.in_time && !r.time_any)
		return refuse(e, "A \"T\" in the expiration must be followed by hours, minutes or "
		                 "seconds, as in P1DT12H.");
	if (r.total == 0)
		return refuse(e, "The expiration must be longer than zero seconds.");
	if (r.total > max_seconds)
		return refuse_over(max_seconds, e);
	*seconds = r.total;
	return true;
}
