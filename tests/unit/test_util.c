/*
 * Unit tests of util.c: checked parsing and time formats.
 */
#include <criterion/criterion.h>

#include "util.h"

Test(util, integers_parse_whole_and_in_range)
{
	int64_t v = 0;

	cr_expect(util_parse_i64("42", 0, 100, &v));
	cr_expect_eq(v, 42);
	cr_expect_not(util_parse_i64("42x", 0, 100, &v));
	cr_expect_not(util_parse_i64("", 0, 100, &v));
	cr_expect_not(util_parse_i64(" 4", 0, 100, &v));
	cr_expect_not(util_parse_i64("101", 0, 100, &v));
	cr_expect_not(util_parse_i64("99999999999999999999", 0, INT64_MAX, &v));
}

Test(util, times_round_trip)
{
	char buf[24];
	int64_t t = 0;

	util_time_format(1796306098, buf);
	cr_expect_str_eq(buf, "2026-12-03T13:54:58Z");
	cr_expect(util_time_parse(buf, &t));
	cr_expect_eq(t, 1796306098);
	cr_expect(util_time_parse("2026-12-03T13:54:58.250+00:00", &t));
	cr_expect_not(util_time_parse("2026-12-03 13:54:58", &t));
	cr_expect(util_time_parse("2026-12-03T15:54:58+02:00", &t));
	cr_expect_eq(t, 1796306098, "an offset is taken into account");
	cr_expect_not(util_time_parse("2026-02-30T00:00:00Z", &t), "no such day");
	cr_expect_not(util_time_parse("2026-12-03T13:54:58+2:00", &t));
}

Test(util, bounded_copy_reports_truncation)
{
	char small[4];

	cr_expect(util_strlcpy(small, "abc", sizeof(small)));
	cr_expect_not(util_strlcpy(small, "abcd", sizeof(small)));
	cr_expect_str_eq(small, "abc");
}
