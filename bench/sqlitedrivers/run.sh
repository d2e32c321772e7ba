#!/usr/bin/env bash
# Interleaved run for a shared, noisy machine: builds the three test binaries
# once, then runs them round-robin (order rotated every round) so bursts of
# load from other processes land on all drivers alike instead of on whichever
# package `go test ./...` happened to be running. Output is normal `go test
# -bench` text, so benchstat reads it as is; /proc/loadavg before each run is
# logged to <out>.load (kept out of the results file: benchstat would read a
# "key: value" line as configuration).
#
#   ./run.sh [out-file]          env: ROUNDS=6 BENCHTIME=2s BENCH=.
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-6}
benchtime=${BENCHTIME:-2s}
bench=${BENCH:-.}
out=${1:-results-$(date +%F)-interleaved.txt}
pkgs=(modernc mattn ncruces)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for p in "${pkgs[@]}"; do
	go test -c -o "$bin/$p.test" "./$p"
done
: >"$out"
: >"$out.load"
for ((r = 0; r < rounds; r++)); do
	for ((i = 0; i < ${#pkgs[@]}; i++)); do
		p=${pkgs[$(((i + r) % ${#pkgs[@]}))]}
		echo "round $r $p $(date -Is) $(cat /proc/loadavg)" >>"$out.load"
		(cd "$p" && "$bin/$p.test" -test.run XXX -test.bench "$bench" \
			-test.benchtime "$benchtime" -test.count 1) | tee -a "$out"
	done
done
