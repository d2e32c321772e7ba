#!/usr/bin/env bash
# Measures what a webhook costs the API, with the server, the load tool and
# the receiver in three processes (BenchmarkWebhookDelivery runs them in
# one): seeds USERS users, runs the load tool's PATCH scenario for
# DURATION without a webhook, adds a webhook for user.updated that
# delivers to a trivial receiver (rosterload -serve-trivial), and runs it
# again. Prints PATCH/s, p99 and the CPU each process spent per PATCH
# (from /proc/<pid>/stat), so that the server's own cost of a delivery
# shows apart from the receiver's and the load tool's. Loopback only.
#
#   USERS=20000 DURATION=8s bash scripts/bench-webhook.sh
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-20000}
duration=${DURATION:-8s}
dir=$(mktemp -d)
key="bench-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT

go build -o "$dir/roster" ./cmd/roster
go build -o "$dir/rosterload" ./cmd/rosterload
"$dir/rosterload" -serve-trivial 127.0.0.1:18081 > /dev/null 2>&1 &
receiver=$!
ROSTER_BOOTSTRAP_KEY=$key ROSTER_LOG_LEVEL=warn "$dir/roster" serve --addr 127.0.0.1:18080 --data-dir "$dir/data" --allow-private-webhooks &
server=$!
for _ in $(seq 50); do
	curl -fs http://127.0.0.1:18080/readyz > /dev/null 2>&1 && break
	sleep 0.2
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), date: $(date -u +%FT%TZ), commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
"$dir/rosterload" -url http://127.0.0.1:18080 -key "$key" -seed "$users" -seed-conns 128 -scenarios trivial \
	-trivial-url http://127.0.0.1:18081/ -duration 1s > /dev/null 2>&1

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure NAME: a PATCH scenario, warmed up by a first one of the same length.
measure() {
	"$dir/rosterload" -url http://127.0.0.1:18080 -key "$key" -scenarios patch,patch -duration "$duration" -json \
		> "$dir/out" 2> "$dir/err" &
	local load=$!
	until [ "$(grep -c 'rosterload: patch:' "$dir/err" 2>/dev/null)" = 2 ]; do sleep 0.05; done
	local s0 r0 l0 s1 r1 l1
	s0=$(ticks $server) r0=$(ticks $receiver) l0=$(ticks $load)
	sleep 0.1
	while kill -0 $load 2> /dev/null; do l1=$(ticks $load); s1=$(ticks $server); r1=$(ticks $receiver); sleep 0.05; done
	wait $load
	grep '^{' "$dir/out" | tail -1 | python3 -c "
import json, sys
r = json.load(sys.stdin)
n, tick = r['requests'], 1e6 / $(getconf CLK_TCK)
print('%-16s PATCH/s %6.0f  p99 %5.1f ms  CPU per PATCH: server %4.0f us, receiver %3.0f us, load tool %3.0f us' % (
    '$1', r['req_per_s'], r['p99_ms'], ($s1 - $s0) * tick / n, ($r1 - $r0) * tick / n, ($l1 - $l0) * tick / n))"
}
measure "without webhook"
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	http://127.0.0.1:18080/v1/webhooks -d '{"url": "http://127.0.0.1:18081/hook", "event_types": ["user.updated"]}'
measure "with webhook"
