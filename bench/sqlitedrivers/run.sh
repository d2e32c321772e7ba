#!/usr/bin/env bash
# Interleaved run for a shared, noisy machine.
#
# `go test -bench . ./...` runs the drivers one after the other, so a burst of
# load from other processes lands on whichever driver happens to be running.
# This script builds the three test binaries once and then, ROUNDS times, runs
# every benchmark for each driver back to back (driver order rotated every
# round), so the three figures for one benchmark are taken within seconds of
# each other. The 100,000-row fixture is built once per driver and cached in
# a temp dir (SQLITEBENCH_CACHE) across the many processes.
#
# Output is plain `go test -bench` text for benchstat. /proc/loadavg before
# each process goes to <out>.load (not into the results: benchstat would read
# a "key: value" line as configuration).
#
#   ./run.sh [out-file]        env: ROUNDS=10 BENCHTIME=1s
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-10}
benchtime=${BENCHTIME:-1s}
out=${1:-results-$(date +%F)-interleaved.txt}
pkgs=(modernc mattn ncruces)
benches=(
	'^BenchmarkPointRead$'
	'^BenchmarkUpdate$/^sync=NORMAL$'
	'^BenchmarkUpdate$/^sync=FULL$'
	'^BenchmarkUpdateBatch$/^sync=FULL$/^per_tx=10$'
	'^BenchmarkUpdateBatch$/^sync=FULL$/^per_tx=100$'
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SQLITEBENCH_CACHE=$tmp
for p in "${pkgs[@]}"; do
	go test -c -o "$tmp/$p.test" "./$p"
done
: >"$out"
: >"$out.load"
for ((r = 0; r < rounds; r++)); do
	for b in "${benches[@]}"; do
		for ((i = 0; i < ${#pkgs[@]}; i++)); do
			p=${pkgs[$(((i + r) % ${#pkgs[@]}))]}
			echo "round=$r pkg=$p bench=$b $(date -Is) loadavg=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out.load"
			(cd "$p" && "$tmp/$p.test" -test.run XXX -test.bench "$b" \
				-test.benchtime "$benchtime" -test.count 1) |
				grep -v -e '^PASS$' -e '^--- BENCH' -e 'built 100000-row' | tee -a "$out"
		done
	done
done
