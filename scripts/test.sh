#!/bin/sh
# `make test`: every suite through meson (Criterion binaries: unit tests,
# then integration tests against the real server), the banned-function
# check, the pinned formatter, and one closing line "N passed, N failed"
# summed over all suites.
set -u
BUILD=$1
status=0

meson test -C "$BUILD" --print-errorlogs --num-processes 2 || status=1

if ! ./scripts/check-banned.sh; then
	status=1
fi

if ! make --no-print-directory format-check; then
	echo "clang-format: sources differ from the pinned style; run 'make format'"
	status=1
fi

# Criterion ends each suite with "Synthesis: Tested: N | Passing: N | Failing: N | Crashing: N".
grep -ho 'Synthesis: Tested: [0-9]* | Passing: [0-9]* | Failing: [0-9]* | Crashing: [0-9]*' \
	"$BUILD/meson-logs/testlog.txt" |
	awk -F'[:|] *' '{ p += $5; f += $7 + $9 } END { printf "%d passed, %d failed\n", p, f }'
exit $status
