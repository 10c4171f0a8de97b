/*
 * Unit tests of duration.c: the accepted forms and every refusal, each
 * with code "invalid_expiration" and a sentence.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "duration.h"

#define DAY     86400
#define MAX_30D (30 * DAY)

static int64_t parse_ok(const char *text)
{
	struct err e = {0};
	int64_t s = -1;

	cr_expect(duration_parse(text, MAX_30D, &s, &e), "\"%s\": %s", text, e.message);
	return s;
}

/* Refused with 400 invalid_expiration; returns the sentence for checks of wording. */
static const char *refused(const char *text)
{
	static struct err e;
	int64_t s = -1;

	memset(&e, 0, sizeof(e));
	cr_expect_not(duration_parse(text, MAX_30D, &s, &e), "\"%s\" was accepted", text);
	cr_expect_eq(s, -1, "\"%s\" wrote a result", text);
	cr_expect_eq(e.status, 400);
	cr_expect_str_eq(e.code, "invalid_expiration");
	cr_expect(strlen(e.message) > 10 && e.message[strlen(e.message) - 1] == '.', "\"%s\": %s",
	          text, e.message);
	return e.message;
}

Test(duration, common_forms_parse_to_seconds)
{
	cr_expect_eq(parse_ok("PT1H"), 3600);
	cr_expect_eq(parse_ok("P1D"), DAY);
	cr_expect_eq(parse_ok("P7D"), 7 * DAY);
	cr_expect_eq(parse_ok("P1W"), 7 * DAY);
	cr_expect_eq(parse_ok("P30D"), MAX_30D);
	cr_expect_eq(parse_ok("PT90S"), 90);
	cr_expect_eq(parse_ok("PT1S"), 1);
	cr_expect_eq(parse_ok("PT30M"), 1800);
	cr_expect_eq(parse_ok("PT24H"), DAY);
	cr_expect_eq(parse_ok("P1DT12H"), DAY + 12 * 3600);
	cr_expect_eq(parse_ok("P1W2DT3H4M5S"), 9 * DAY + 3 * 3600 + 4 * 60 + 5);
	cr_expect_eq(parse_ok("PT0H0M1S"), 1, "zero components are fine when the total is not");
	cr_expect_eq(parse_ok("PT2592000S"), MAX_30D);
}

Test(duration, empty_and_unitless_texts_are_refused)
{
	refused(NULL);
	refused("");
	cr_expect(strstr(refused("P"), "no length"));
	cr_expect(strstr(refused("PT"), "no length"));
	cr_expect(strstr(refused("P1"), "needs a unit"));
	cr_expect(strstr(refused("PT5"), "needs a unit"));
	cr_expect(strstr(refused("PD"), "whole number before it"));
	cr_expect(strstr(refused("PTH"), "whole number before it"));
	cr_expect(strstr(refused("P1DT"), "must be followed by"));
	refused("1D");
	refused("T1H");
}

Test(duration, signs_spaces_and_lowercase_are_refused)
{
	cr_expect(strstr(refused("-P1D"), "sign"));
	cr_expect(strstr(refused("+P1D"), "sign"));
	cr_expect(strstr(refused("P-1D"), "only contain"));
	cr_expect(strstr(refused("p1d"), "capital"));
	cr_expect(strstr(refused("PT1h"), "capital"));
	cr_expect(strstr(refused(" P1D"), "spaces"));
	cr_expect(strstr(refused("P1D "), "spaces"));
	cr_expect(strstr(refused("P1D\n"), "spaces"));
	cr_expect(strstr(refused("P 1D"), "spaces"));
	cr_expect(strstr(refused("P1D\t"), "spaces"));
}

Test(duration, years_and_months_are_refused_as_ambiguous)
{
	cr_expect(strstr(refused("P1Y"), "Years and months"));
	cr_expect(strstr(refused("P1M"), "Years and months"));
	cr_expect(strstr(refused("P1Y2D"), "Years and months"));
	cr_expect_eq(parse_ok("PT1M"), 60, "M after T is minutes");
}

Test(duration, fractions_are_refused)
{
	cr_expect(strstr(refused("PT0.5S"), "whole numbers"));
	cr_expect(strstr(refused("PT1,5H"), "whole numbers"));
	cr_expect(strstr(refused("P1.D"), "whole numbers"));
}

Test(duration, repeated_misplaced_and_disordered_units_are_refused)
{
	cr_expect(strstr(refused("P1D1D"), "once"));
	cr_expect(strstr(refused("PT1H1H"), "once"));
	cr_expect(strstr(refused("P1D1W"), "once"));
	cr_expect(strstr(refused("PT1S1M"), "once"));
	cr_expect(strstr(refused("PT1M1H"), "once"));
	cr_expect(strstr(refused("P1H"), "before the"));
	cr_expect(strstr(refused("PT1D"), "before the"));
	cr_expect(strstr(refused("PT1W"), "before the"));
	cr_expect(strstr(refused("PT1HT1M"), "only one"));
	cr_expect(strstr(refused("P1DTT1H"), "only one"));
	refused("PT1Y");
	refused("P1X");
	refused("P1D;DROP");
	refused("P\xc3\xa9");
}

Test(duration, zero_and_too_long_durations_are_refused)
{
	cr_expect(strstr(refused("P0D"), "zero"));
	cr_expect(strstr(refused("PT0S"), "zero"));
	cr_expect(strstr(refused("P0DT0H0M0S"), "zero"));
	cr_expect(strstr(refused("P31D"), "at most P30D (2592000 seconds)"));
	cr_expect(strstr(refused("P30DT1S"), "at most P30D"));
	cr_expect(strstr(refused("P5W"), "at most P30D"));
	cr_expect(strstr(refused("PT2592001S"), "at most P30D"));
}

Test(duration, overflow_is_refused_as_too_long)
{
	cr_expect(strstr(refused("PT9223372036854775807S"), "at most P30D"));
	cr_expect(strstr(refused("PT9223372036854775808S"), "at most P30D"));
	cr_expect(strstr(refused("P99999999999999999999999D"), "at most P30D"));
	cr_expect(strstr(refused("P15250284452472W"), "at most P30D"),
	          "weeks times seconds overflow");
	cr_expect(strstr(refused("P1DT9223372036854775000S"), "at most P30D"), "the sum overflows");
}

Test(duration, an_over_long_text_is_refused_without_parsing)
{
	char text[200];

	memset(text, '0', sizeof(text));
	text[0] = 'P';
	memcpy(text + sizeof(text) - 3, "1D", 3);
	cr_expect(strstr(refused(text), "too long"));
}

Test(duration, the_bound_is_the_callers)
{
	struct err e = {0};
	int64_t s = 0;

	cr_expect(duration_parse("P1D", DAY, &s, &e));
	cr_expect_eq(s, DAY);
	cr_expect_not(duration_parse("P1DT1S", DAY, &s, &e));
	cr_expect_str_eq(e.message, "The expiration may be at most P1D (86400 seconds).");
	cr_expect_not(duration_parse("PT2H", 5400, &s, &e));
	cr_expect_str_eq(e.message, "The expiration may be at most PT1H30M (5400 seconds).");
}
