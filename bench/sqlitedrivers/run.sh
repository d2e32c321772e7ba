#!/usr/bin/env bash
# Interleaved run for a shared, noisy machine.
#
# `go test -bench . ./...` runs the drivers one after the other, so a burst of
# load from other processes lands on whichever driver happens to be running.
# This script builds the test binaries once and then, ROUNDS times, runs every
# benchmark for each driver back to back (order rotated every round), so the
# figures for one benchmark are taken within seconds of each other. The
# trivial net/http baseline joins the PointRead group. The 100,000-row fixture
# is built once per driver and cached in a temp dir (SQLITEBENCH_CACHE) across
# the many processes.
#
# Output is plain `go test -bench` text for benchstat. /proc/loadavg before
# each process goes to <out minus .txt>-load.txt (not into the results: benchstat would read
# a "key: value" line as configuration).
#
#   ./run.sh [out-file]        env: ROUNDS=10 BENCHTIME=1s
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-10}
benchtime=${BENCHTIME:-1s}
out=${1:-results-$(date +%F)-interleaved.txt}
load=${out%.txt}-load.txt # matches the .gitignore rule for results-*.txt
pkgs=(modernc mattn ncruces baseline)
# One group per line: the jobs ("pkg|bench regexp") run back to back.
pr='^BenchmarkPointRead$/^tuning=none$'
groups=(
	"modernc|$pr mattn|$pr ncruces|$pr baseline|^BenchmarkTrivialHTTP$"
)
for b in '^BenchmarkPointRead$/^tuning=roster$' \
	'^BenchmarkUpdate$/^sync=NORMAL$' '^BenchmarkUpdate$/^sync=FULL$' \
	'^BenchmarkUpdateBatch$/^sync=FULL$/^per_tx=10$' '^BenchmarkUpdateBatch$/^sync=FULL$/^per_tx=100$'; do
	groups+=("modernc|$b mattn|$b ncruces|$b")
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SQLITEBENCH_CACHE=$tmp
for p in "${pkgs[@]}"; do
	go test -c -o "$tmp/$p.test" "./$p"
done
: >"$out"
: >"$load"
for ((r = 0; r < rounds; r++)); do
	for g in "${groups[@]}"; do
		read -ra jobs <<<"$g"
		n=${#jobs[@]}
		for ((i = 0; i < n; i++)); do
			job=${jobs[$(((i + r) % n))]}
			p=${job%%|*} b=${job#*|}
			echo "round=$r pkg=$p bench=$b $(date -Is) loadavg=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$load"
			(cd "$p" && "$tmp/$p.test" -test.run XXX -test.bench "$b" \
				-test.benchtime "$benchtime" -test.count 1) |
				grep -v -e '^PASS$' -e '^--- BENCH' -e 'built 100000-row' | tee -a "$out"
		done
	done
done
