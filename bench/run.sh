#!/usr/bin/env bash
# Purpose: measure Visor against nginx on the same machine, in one run.
#
#   bench/run.sh VISOR_BIN        (what `make bench` calls)
#
# Starts Visor on a temporary SQLite database and nginx serving a static JSON
# file of the size of a get_customer answer, each on a free port of
# 127.0.0.1; fills Visor with a large team through its APIs (bench/gen.mjs);
# then runs wrk against every target, ROUNDS times, the rounds interleaved so
# that a slow moment of the machine hits every target alike, and reports the
# median of the rounds: requests/s, p50 and p99 latency, the ratio of
# requests/s to nginx's, and Visor's memory. The write rounds come last so
# that the reads all see the same data set.
#
# Prints a markdown table and writes it to bench/results/latest.md.
# Settings (environment): DURATION (s per round, 10), ROUNDS (3),
# CONNECTIONS (64), THREADS (wrk threads, 2), CUSTOMERS (20000), DVGS (groups, 3),
# SCHEMAS (5), DATA_SOURCES (20), TOKENS (API tokens per group, 64: the load
# is spread over them as over many client backends).

set -euo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 VISOR_BIN   (an executable visor binary)" >&2
	exit 2
fi
VISOR=$(realpath "$1")
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
CUSTOMERS=${CUSTOMERS:-20000}
GROUPS_N=${DVGS:-3}
SCHEMAS=${SCHEMAS:-5}
DATA_SOURCES=${DATA_SOURCES:-20}
TOKENS=${TOKENS:-64}

for tool in wrk nginx node curl; do
	command -v "$tool" >/dev/null || {
		echo "bench: $tool is missing (Debian packages: wrk nginx-light nodejs curl)" >&2
		exit 2
	}
done

TMP=$(mktemp -d /tmp/vbench.XXXXXX)
VISOR_PID=
NGINX_PID=

# Stops what this script started, by process id, and removes the temp dir.
cleanup() {
	local pid
	for pid in $VISOR_PID $NGINX_PID; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $VISOR_PID $NGINX_PID; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	say "$*"
	exit 1
}

free_port() {
	node -e 'const s = require("net").createServer();
	         s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# wait_for URL PID LOG: until URL answers 200, at most 10 s, while PID lives.
wait_for() {
	for _ in $(seq 100); do
		kill -0 "$2" 2>/dev/null || die "the server exited; its log: $(tail -5 "$3")"
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	die "$1 did not answer within 10 s"
}

# status_sum FIELD PID...: the sum of one field of /proc/PID/status over the
# processes (VmRSS and VmHWM are in kB).
status_sum() {
	local field=$1 pid total=0
	shift
	for pid in "$@"; do
		total=$((total + $(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/status")))
	done
	echo "$total"
}
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f MB", kb / 1024 }'; }

# cpu_busy SECONDS: the share of CPU time, in %, that the machine spent busy
# over the next SECONDS (from /proc/stat), to show what else was running.
cpu_busy() {
	local a b
	a=$(head -1 /proc/stat)
	sleep "$1"
	b=$(head -1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		n = split(a, x, " "); split(b, y, " ")
		for (i = 2; i <= n && i <= 9; i++) { d = y[i] - x[i]; all += d; if (i == 5 || i == 6) idle += d }
		printf "%.0f", all ? 100 * (all - idle) / all : 0 }'
}
BUSY_BEFORE=$(cpu_busy 2)
COMMIT=$(git -C "$BENCH_DIR/.." describe --always --dirty 2>/dev/null || echo unknown)

# --- Visor on a fresh database -------------------------------------------
VISOR_PORT=$(free_port)
NGINX_PORT=$(free_port)
while [ "$NGINX_PORT" = "$VISOR_PORT" ]; do NGINX_PORT=$(free_port); done
VISOR_URL=http://127.0.0.1:$VISOR_PORT
NGINX_URL=http://127.0.0.1:$NGINX_PORT
DB=sqlite:$TMP/bench.db
mkdir -m 700 "$TMP/data"

"$VISOR" init --db "$DB" --team Bench --admin-email bench@example.com --json \
	>"$TMP/data/admin.json" 2>"$TMP/init.log" || die "visor init failed: $(cat "$TMP/init.log")"
ADMIN_KEY=$(sed -n 's/.*"admin_key" *: *"\([^"]*\)".*/\1/p' "$TMP/data/admin.json")
[ -n "$ADMIN_KEY" ] || die "visor init printed no admin_key"

# The per-token rate limit stays on, so that its cost is measured, but above
# anything this client can send (binaries before the option have no limit).
SERVE_OPTS=(--access-log /dev/null)
if "$VISOR" serve --help 2>&1 | grep -q -- --token-rate; then
	SERVE_OPTS+=(--token-rate 1000000)
fi
"$VISOR" serve --db "$DB" --listen "127.0.0.1:$VISOR_PORT" "${SERVE_OPTS[@]}" \
	2>"$TMP/visor.log" &
VISOR_PID=$!
wait_for "$VISOR_URL/healthz" "$VISOR_PID" "$TMP/visor.log"
grep -q ready "$TMP/visor.log" || die "visor answers but logged no ready line"
say "visor $VISOR_PID on $VISOR_URL"

# --- the data set ----------------------------------------------------------
say "generating $GROUPS_N groups, $SCHEMAS schemas, $DATA_SOURCES data sources, $CUSTOMERS customers"
GEN_START=$(date +%s.%N)
timeout 300 node "$BENCH_DIR/gen.mjs" --url "$VISOR_URL" --admin-key "$ADMIN_KEY" \
	--out "$TMP/data" --groups "$GROUPS_N" --schemas "$SCHEMAS" \
	--data-sources "$DATA_SOURCES" --customers "$CUSTOMERS" --tokens "$TOKENS" \
	2>"$TMP/gen.log" ||
	die "the generator failed: $(tail -5 "$TMP/gen.log")"
GEN_SECS=$(awk -v a="$GEN_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
GEN_LINE=$(tail -1 "$TMP/gen.log")
say "$GEN_LINE"
export BENCH_DATA=$TMP/data
RSS_LOADED=$(status_sum VmRSS "$VISOR_PID")

# --- nginx serving an answer of a get_customer's size --------------------
# The median-sized answer of 9 customers taken through the set.
mkdir -p "$TMP/nginx/www"
step=$((CUSTOMERS / 9 > 0 ? CUSTOMERS / 9 : 1))
for i in $(seq 0 8); do
	group="" id=""
	read -r group id < <(sed -n "$((i * step + 1))p" "$TMP/data/customers.txt") || true
	[ -n "$id" ] || continue
	token=$(awk -v g="$group" '$1 == g { print $5 }' "$TMP/data/groups.txt")
	curl -sf -H "Explo-Authorization: Token $token" \
		"$VISOR_URL/api/get_customer/?provided_id=$id" -o "$TMP/nginx/sample.$i.json" ||
		die "get_customer $id failed"
done
SAMPLE=$(wc -c "$TMP"/nginx/sample.*.json | grep -v ' total$' | sort -n | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }')
cp "$SAMPLE" "$TMP/nginx/www/customer.json"
SAMPLE_BYTES=$(wc -c <"$TMP/nginx/www/customer.json")
# nginx started by root hands its workers to "nobody": let them read the file.
chmod 755 "$TMP" "$TMP/nginx" "$TMP/nginx/www"
chmod 644 "$TMP/nginx/www/customer.json"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes $(nproc);
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/json;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $TMP/nginx/www;
        location / { try_files /customer.json =404; }
    }
}
EOF
nginx -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx/" 2>"$TMP/nginx/stderr.log" &
NGINX_PID=$!
wait_for "$NGINX_URL/customer.json" "$NGINX_PID" "$TMP/nginx/stderr.log"
say "nginx $NGINX_PID on $NGINX_URL, serving $SAMPLE_BYTES bytes"

# --- measurements ----------------------------------------------------------
# name|url|script: the targets, nginx first (the others are divided by it).
READS=(
	"nginx static JSON|$NGINX_URL/customer.json|report.lua"
	"visor GET /healthz|$VISOR_URL/healthz|report.lua"
	"visor get_customer (random id)|$VISOR_URL|get_customer.lua"
	"visor /v2/api/customers (page of 100)|$VISOR_URL|customers_page.lua"
	"visor /api/data_sources/|$VISOR_URL|data_sources.lua"
)
WRITES=(
	"visor create_customer (new ids)|$VISOR_URL|create_customer.lua"
)
RAW=$TMP/rounds.txt
: >"$RAW"

# run_wrk SECONDS TARGET [keep]: one wrk run; with "keep", appends
# "name<TAB>RESULT fields" to RAW.
run_wrk() {
	local secs=$1 keep=${3:-} name url script out line
	IFS='|' read -r name url script <<<"$2"
	out=$(timeout $((secs + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --timeout 5s \
		-s "$BENCH_DIR/lua/$script" "$url" 2>&1) || die "wrk failed on $name: $out"
	line=$(grep '^RESULT ' <<<"$out") || die "wrk printed no result for $name: $out"
	kill -0 "$VISOR_PID" 2>/dev/null ||
		die "visor exited during \"$name\"; its log: $(tail -3 "$TMP/visor.log")"
	kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited during \"$name\""
	# The requests in flight when wrk stops are still worked off (64 pages of
	# 100 customers take Visor a few hundred ms): let the next target start
	# on an idle server.
	sleep 1
	[ "$keep" != keep ] || printf '%s\t%s\n' "$name" "${line#RESULT }" >>"$RAW"
}

say "warming up (2 s per read target)"
for t in "${READS[@]}"; do run_wrk 2 "$t"; done
for r in $(seq "$ROUNDS"); do
	for t in "${READS[@]}"; do
		say "round $r/$ROUNDS: ${t%%|*}"
		run_wrk "$DURATION" "$t" keep
	done
done
for r in $(seq "$ROUNDS"); do
	for t in "${WRITES[@]}"; do
		say "round $r/$ROUNDS: ${t%%|*}"
		run_wrk "$DURATION" "$t" keep
	done
done

# --- memory and sanity checks after the run -------------------------------
RSS_END=$(status_sum VmRSS "$VISOR_PID")
HWM_END=$(status_sum VmHWM "$VISOR_PID")
THREADS_VISOR=$(status_sum Threads "$VISOR_PID")
NGINX_PIDS="$NGINX_PID $(ps -o pid= --ppid "$NGINX_PID" | tr '\n' ' ')"
# shellcheck disable=SC2086 # a list of process ids
NGINX_RSS=$(status_sum VmRSS $NGINX_PIDS)

# Every create_customer answered 2xx should have added one customer; the
# requests still in flight when wrk stops (at most one per connection and
# round) may have added one more without being counted.
TOTAL=0
while read -r _ _ _ _ token _; do
	n=$(curl -sf -H "Explo-Authorization: Token $token" \
		"$VISOR_URL/v2/api/customers/?page=1&page_size=1" |
		sed -n 's/.*"total_count" *: *\([0-9]*\).*/\1/p')
	TOTAL=$((TOTAL + ${n:-0}))
done <"$TMP/data/groups.txt"
WRITTEN=$(awk -F'\t' '/create_customer/ { split($2, f, " "); n += f[1] - f[4] } END { print n + 0 }' "$RAW")
VISOR_COMPLAINTS=$(grep -ciE ' (warn|error|crit|fatal) ' "$TMP/visor.log" || true)

BUSY_AFTER=$(cpu_busy 2)

# --- the report ------------------------------------------------------------
MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
REPORT=$TMP/report.md
{
	echo "## Visor vs nginx — $(date -u +'%Y-%m-%d %H:%M UTC')"
	echo
	echo "Machine: $(nproc) cores, $MODEL, $(uname -sr). Source tree at $COMMIT when the run began."
	echo "Other load: the CPUs were ${BUSY_BEFORE}% busy in the 2 s before the run, ${BUSY_AFTER}% in the 2 s after it."
	echo "wrk -t$THREADS -c$CONNECTIONS; rounds: $ROUNDS of ${DURATION} s per target (after 2 s of warm-up"
	echo "per read target); every figure is the median of the rounds; × nginx is"
	echo "median requests/s over nginx's median requests/s; errors: socket errors and"
	echo "non-2xx answers (a 429 of a rate limit counts), summed over the rounds."
	echo "Data set: ${GEN_LINE#gen: } (${GEN_SECS} s with start-up)."
	echo "visor serve ${SERVE_OPTS[*]}; nginx serves a ${SAMPLE_BYTES}-byte get_customer answer as a static file."
	echo
	echo "| target | requests/s | × nginx | p50 ms | p99 ms | errors |"
	echo "|---|---:|---:|---:|---:|---:|"
	awk -F'\t' '
		{
			split($2, f, " ")
			if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
			k = ++count[$1]
			rps[$1, k] = f[1] / f[2] * 1e6; p50[$1, k] = f[5] / 1000; p99[$1, k] = f[6] / 1000
			err[$1] += f[3] + f[4]
		}
		function median(a, name, c,    i, j, t, v) {
			for (i = 1; i <= c; i++) v[i] = a[name, i]
			for (i = 2; i <= c; i++)
				for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
			return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
		}
		END {
			base = median(rps, order[1], count[order[1]])
			for (i = 1; i <= n; i++) {
				t = order[i]; c = count[t]
				printf "| %s | %.0f | %.2f | %.2f | %.2f | %d |\n", t, median(rps, t, c),
					median(rps, t, c) / base, median(p50, t, c), median(p99, t, c), err[t]
			}
		}' "$RAW"
	echo
	echo "Visor memory: VmRSS $(mb "$RSS_LOADED") after loading the data set;"
	echo "after the run VmRSS $(mb "$RSS_END"), VmHWM (peak) $(mb "$HWM_END"), $THREADS_VISOR threads."
	echo "nginx (master and $(($(wc -w <<<"$NGINX_PIDS") - 1)) workers) VmRSS $(mb "$NGINX_RSS") in all."
	EXTRA=$((TOTAL - CUSTOMERS - WRITTEN))
	if [ "$EXTRA" -ge 0 ] && [ "$EXTRA" -le $((CONNECTIONS * ROUNDS)) ]; then
		CHECK="as expected, $EXTRA more from requests in flight when wrk stopped"
	else
		CHECK="MISMATCH: $EXTRA against the creates answered with 2xx"
	fi
	echo "Customers at the end: $TOTAL = the data set + $WRITTEN creates answered 2xx ($CHECK)."
	echo "Warning or error lines in Visor's log: $VISOR_COMPLAINTS."
	echo
	echo "Each round, requests/s (nginx first):"
	echo
	echo '```'
	awk -F'\t' '{ split($2, f, " "); r[$1] = r[$1] sprintf(" %8.0f", f[1] / f[2] * 1e6)
	              if (!($1 in s)) { s[$1] = 1; o[++n] = $1 } }
	            END { for (i = 1; i <= n; i++) printf "%-40s%s\n", o[i], r[o[i]] }' "$RAW"
	echo '```'
} >"$REPORT"
if [ "$VISOR_COMPLAINTS" -gt 0 ]; then
	{
		echo
		echo "First lines of Visor's log that warn:"
		echo
		echo '```'
		grep -iE ' (warn|error|crit|fatal) ' "$TMP/visor.log" | head -5
		echo '```'
	} >>"$REPORT"
fi

mkdir -p "$BENCH_DIR/results"
cp "$REPORT" "$BENCH_DIR/results/latest.md"
cat "$REPORT"
say "written to bench/results/latest.md"
