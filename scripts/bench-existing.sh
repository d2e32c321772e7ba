#!/usr/bin/env bash
# Measures a Roster binary on a store seeded before by
# `DATA_DIR=path bash scripts/bench.sh`: starts the trivial handler and the
# binary on that data, collects the users' ids (the first 100,000), and
# runs SCENARIOS, DURATION each, with CONNS connections. Loopback only.
# Searches do not write, so several binaries can be compared on one store
# (GET/PATCH and the trigram index's idle merging do write: use a copy).
# DEBUG_ADDR=127.0.0.1:6060 serves pprof on that address meanwhile.
# At the end it prints the server's peak resident memory (VmHWM, which
# counts database pages mapped through mmap too), its resident memory
# then by kind, and the read caches' sizes and lookups from /metrics.
#
#   DATA_DIR=/tmp/r1m BIN=/tmp/roster-new SCENARIOS=trivial,search bash scripts/bench-existing.sh
set -euo pipefail
cd "$(dirname "$0")/.."

data=${DATA_DIR:?DATA_DIR must name a store seeded by scripts/bench.sh}
scenarios=${SCENARIOS:-trivial,get,search}
duration=${DURATION:-8s}
conns=${CONNS:-32}
# PORT (and PORT+1 for the trivial handler): runs beside another's.
port=${PORT:-18080}
key=$(cat "$data/bench.key")
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT

bin=${BIN:-}
if [ -z "$bin" ]; then
	go build -o "$dir/roster" ./cmd/roster
	bin=$dir/roster
fi
go build -o "$dir/rosterload" ./cmd/rosterload

"$dir/rosterload" -serve-trivial 127.0.0.1:$((port + 1)) &
ROSTER_LOG_LEVEL=warn ROSTER_DEBUG_ADDR=${DEBUG_ADDR:-} "$bin" serve --addr 127.0.0.1:$port --data-dir "$data" &
server=$!
for _ in $(seq 100); do
	curl -fs http://127.0.0.1:$port/readyz > /dev/null 2>&1 && break
	sleep 0.2
done
echo "binary: $bin, data: $data, load $(cut -d' ' -f1-3 /proc/loadavg), date: $(date -u +%FT%TZ)"
"$dir/rosterload" -url http://127.0.0.1:$port -key "$key" -conns "$conns" -duration "$duration" \
	-scenarios "$scenarios" -trivial-url http://127.0.0.1:$((port + 1))/ "$@"
echo "server memory: $(grep -E '^(VmHWM|VmRSS|RssAnon|RssFile)' "/proc/$server/status" | tr -s ' \t' ' ' | paste -sd, -)"
curl -fs http://127.0.0.1:$port/metrics | grep -E '^roster_(store_cache|http_encoded_cache|cache)' || true
