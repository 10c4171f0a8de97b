/*
 * duration — the ISO 8601 durations the API accepts for lifetimes such as
 * an embed token's "expiration", read strictly into whole seconds.
 *
 * Accepted: "P", then optionally weeks and days ("nW", "nD"), then
 * optionally "T" with hours, minutes and seconds ("nH", "nM", "nS"), each
 * unit at most once and in that order, each number a whole decimal. So
 * "PT1H", "P7D", "P1W2DT12H30M" and "PT90S" are accepted. Years and months
 * are refused because their length in seconds depends on the calendar;
 * fractions ("PT0.5S", "PT1,5H") are refused because lifetimes are counted
 * in whole seconds. Signs, spaces and lowercase letters are refused too.
 */
#ifndef VISOR_DURATION_H
#define VISOR_DURATION_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define DURATION_TEXT_MAX 64 /* longest duration text read, in bytes */

/*
 * Parse text into *seconds, which must be at least 1 and at most
 * max_seconds (a positive bound, e.g. 30 days). Anything else fills e with
 * 400 "invalid_expiration" and a sentence saying what to write instead;
 * *seconds is then untouched.
 */
bool duration_parse(const char *text, int64_t max_seconds, int64_t *seconds,
                    struct err *e) MUST_CHECK;

#endif
