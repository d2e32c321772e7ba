#!/usr/bin/env bash
# Measures Roster with the load tool on this machine: starts a trivial
# net/http handler (the machine's ceiling) and Roster on a fresh embedded
# store, seeds USERS users through the API, then runs GET by id, PATCH of
# one field, q search and the trivial handler, DURATION each, with CONNS
# connections. All traffic stays on loopback.
#
#   USERS=100000 DURATION=15s bash scripts/bench.sh     # SEED_CONNS=128 by default
#
# DATA_DIR=path keeps the seeded store there (with its key in
# path/bench.key) for scripts/bench-existing.sh to measure again.
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-100000}
duration=${DURATION:-10s}
conns=${CONNS:-32}
# Seeding may use more connections (still one POST /v1/users per user):
# bigger group-commit batches share each fsync.
seed_conns=${SEED_CONNS:-128}
dir=$(mktemp -d)
key="bench-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
data="$dir/data"
if [ -n "${DATA_DIR:-}" ]; then
	data=$DATA_DIR
	if [ -e "$data/roster.db" ]; then
		echo "DATA_DIR $data already holds a store: measure it with scripts/bench-existing.sh" >&2
		exit 2
	fi
	mkdir -p "$data"
	echo "$key" > "$data/bench.key"
fi

go build -o "$dir/roster" ./cmd/roster
go build -o "$dir/rosterload" ./cmd/rosterload

"$dir/rosterload" -serve-trivial 127.0.0.1:18081 &
ROSTER_BOOTSTRAP_KEY=$key ROSTER_LOG_LEVEL=warn "$dir/roster" serve --addr 127.0.0.1:18080 --data-dir "$data" &
for _ in $(seq 50); do
	curl -fs http://127.0.0.1:18080/readyz > /dev/null 2>&1 && break
	sleep 0.2
done

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ), commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
"$dir/rosterload" -url http://127.0.0.1:18080 -key "$key" -seed "$users" -seed-conns "$seed_conns" -conns "$conns" \
	-duration "$duration" -scenarios trivial,get,patch,search -trivial-url http://127.0.0.1:18081/ "$@"
echo "database: $(du -sh "$data" | cut -f1)"
