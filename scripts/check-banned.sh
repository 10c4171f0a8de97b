#!/bin/sh
# Functions the sources must not call: unbounded copies and formats, and
# number parsers that cannot report junk or overflow. Use util_strlcpy,
# snprintf/xasprintf and util_parse_i64 instead (docs/internals.md).
set -u
cd "$(dirname "$0")/.."

found=$(grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strncpy|strncat|atoi|atol|atoll|atof|strtok|gets)[[:space:]]*\(' src/*.c src/*.h)
if [ -n "$found" ]; then
	echo "banned functions in src/:"
	echo "$found"
	exit 1
fi
