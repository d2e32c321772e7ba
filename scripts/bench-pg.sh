#!/usr/bin/env bash
# Measures Roster on PostgreSQL beside the embedded store, with the same
# load tool and load shape as scripts/bench.sh: one node, then two nodes on
# one database (each with its own load tool process, figures summed). It
# starts a throwaway PostgreSQL 15 cluster (durable: fsync and
# synchronous_commit on) on a loopback port as an unprivileged user.
#
#   USERS=20000 DURATION=10s bash scripts/bench-pg.sh
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-20000}
duration=${DURATION:-10s}
conns=${CONNS:-32}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d)
chmod 755 "$dir"
key="bench-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
runas=postgres
id "$runas" > /dev/null 2>&1 || runas=roster-test
port=55432
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT

mkdir "$dir/pg" && chown "$runas" "$dir/pg"
runuser -u "$runas" -- "$bin/initdb" -D "$dir/pg/data" -U postgres -A trust > /dev/null
runuser -u "$runas" -- "$bin/postgres" -D "$dir/pg/data" -c listen_addresses=127.0.0.1 -c port=$port \
	-c unix_socket_directories= -c max_connections=200 -c shared_buffers=256MB > "$dir/pg.log" 2>&1 &
for _ in $(seq 50); do "$bin/pg_isready" -h 127.0.0.1 -p $port -q && break; sleep 0.2; done
url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"

go build -o "$dir/roster" ./cmd/roster
go build -o "$dir/rosterload" ./cmd/rosterload
"$dir/rosterload" -serve-trivial 127.0.0.1:18081 &

start() { # port, extra flags...; sets node to the server's pid
	local p=$1; shift
	ROSTER_BOOTSTRAP_KEY=$key ROSTER_LOG_LEVEL=warn "$dir/roster" serve --addr 127.0.0.1:$p "$@" &
	node=$!
	for _ in $(seq 100); do curl -fs http://127.0.0.1:$p/readyz > /dev/null 2>&1 && return; sleep 0.2; done
	echo "node on $p did not start" >&2; exit 1
}
load() { "$dir/rosterload" -url "$1" -key "$key" -conns "$conns" -duration "$duration" "${@:2}"; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null)"
echo "== embedded store, 1 node"
start 18082 --data-dir "$dir/data"
load http://127.0.0.1:18082 -seed "$users" -seed-conns "$conns" -scenarios trivial,get,patch,search -trivial-url http://127.0.0.1:18081/
kill "$node"; wait "$node" 2>/dev/null || true

echo "== PostgreSQL, 1 node"
start 18083 --database-url "$url"
load http://127.0.0.1:18083 -seed "$users" -seed-conns "$conns" -scenarios trivial,get,patch,search -trivial-url http://127.0.0.1:18081/

echo "== PostgreSQL, 2 nodes (one load tool each, at the same time)"
start 18084 --database-url "$url"
load http://127.0.0.1:18083 -scenarios get,patch,search > "$dir/a.txt" 2>&1 &
first=$!
load http://127.0.0.1:18084 -scenarios get,patch,search > "$dir/b.txt" 2>&1
wait "$first"
echo "-- node 1"; grep -E '^(scenario|get|patch|search) ' "$dir/a.txt"
echo "-- node 2"; grep -E '^(scenario|get|patch|search) ' "$dir/b.txt"
