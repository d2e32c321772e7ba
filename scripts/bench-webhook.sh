#!/usr/bin/env bash
# Measures what a webhook costs the API, with the server, the load tool and
# the receiver in three processes (BenchmarkWebhookDelivery runs them in
# one): seeds USERS users, then ROUNDS times runs the load tool's PATCH
# scenario for DURATION without a webhook, adds a webhook for
# user.updated that delivers to a trivial receiver (rosterload
# -serve-trivial), runs it again and deletes the webhook. Alternating in
# one server keeps the pairs comparable on a noisy machine. Prints, per
# run, PATCH/s, p99 and the CPU each process spent per PATCH (from
# /proc/<pid>/stat), then the medians and the ratio with/without of the
# PATCH rate, of the CPU all three processes spent per PATCH (the
# rate a CPU-bound box keeps) and of the server's own CPU per PATCH (what
# a webhook costs the API when the receiver is elsewhere). Loopback only.
#
#   USERS=20000 DURATION=8s ROUNDS=5 bash scripts/bench-webhook.sh
#   BIN=path/to/roster ...   measures that binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-20000}
duration=${DURATION:-8s}
rounds=${ROUNDS:-3}
dir=$(mktemp -d)
key="bench-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT

if [ -n "${BIN:-}" ]; then cp "$BIN" "$dir/roster"; else go build -o "$dir/roster" ./cmd/roster; fi
go build -o "$dir/rosterload" ./cmd/rosterload
"$dir/rosterload" -serve-trivial 127.0.0.1:18081 > /dev/null 2>&1 &
receiver=$!
ROSTER_BOOTSTRAP_KEY=$key ROSTER_LOG_LEVEL=warn "$dir/roster" serve --addr 127.0.0.1:18080 --data-dir "$dir/data" --allow-private-webhooks 2> "${SERVER_LOG:-/dev/null}" &
server=$!
for _ in $(seq 50); do
	curl -fs http://127.0.0.1:18080/readyz > /dev/null 2>&1 && break
	sleep 0.2
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), date: $(date -u +%FT%TZ), commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
"$dir/rosterload" -url http://127.0.0.1:18080 -key "$key" -seed "$users" -seed-conns 128 -scenarios trivial \
	-trivial-url http://127.0.0.1:18081/ -duration 1s > /dev/null 2>&1

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2> /dev/null; }
# measure NAME: a PATCH scenario, warmed up by a first one of the same
# length; appends "NAME PATCH/s CPU-per-PATCH-of-all" to $dir/results.
measure() {
	"$dir/rosterload" -url http://127.0.0.1:18080 -key "$key" -scenarios patch,patch -duration "$duration" -json \
		> "$dir/out" 2> "$dir/err" &
	local load=$!
	until [ "$(grep -c 'rosterload: patch:' "$dir/err" 2>/dev/null)" = 2 ]; do sleep 0.05; done
	local s0 r0 l0 s1 r1 l1
	s0=$(ticks $server) r0=$(ticks $receiver) l0=$(ticks $load)
	l1=$l0
	sleep 0.1
	while kill -0 $load 2> /dev/null; do l1=$(ticks $load || echo "$l1"); s1=$(ticks $server); r1=$(ticks $receiver); sleep 0.05; done
	wait $load
	grep '^{' "$dir/out" | tail -1 | python3 -c "
import json, sys
r = json.load(sys.stdin)
n, tick = r['requests'], 1e6 / $(getconf CLK_TCK)
s, rc, l = ($s1 - $s0) * tick / n, ($r1 - $r0) * tick / n, ($l1 - $l0) * tick / n
print('%-16s PATCH/s %6.0f  p99 %5.1f ms  CPU per PATCH: server %4.0f us, receiver %3.0f us, load tool %3.0f us' % (
    '$1', r['req_per_s'], r['p99_ms'], s, rc, l))
open('$dir/results', 'a').write('%s %f %f %f\n' % ('$1'.replace(' ', '-'), r['req_per_s'], s + rc + l, s))"
}
for _ in $(seq "$rounds"); do
	measure "without webhook"
	# (binaries before the webhook resource of PRODUCT §8 say event_types)
	hook=$({ curl -fsS -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		http://127.0.0.1:18080/v1/webhooks -d '{"url": "http://127.0.0.1:18081/hook", "events": ["user.updated"]}' 2> /dev/null ||
		curl -fsS -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
			http://127.0.0.1:18080/v1/webhooks -d '{"url": "http://127.0.0.1:18081/hook", "event_types": ["user.updated"]}'; } |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
	measure "with webhook"
	curl -fsS -o /dev/null -X DELETE -H "Authorization: Bearer $key" "http://127.0.0.1:18080/v1/webhooks/$hook"
done
python3 - "$dir/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
rate = {k: [float(r[1]) for r in rows if r[0] == k] for k in ('without-webhook', 'with-webhook')}
cpu = {k: [float(r[2]) for r in rows if r[0] == k] for k in rate}
server = {k: [float(r[3]) for r in rows if r[0] == k] for k in rate}
ratios = [w / o for w, o in zip(rate['with-webhook'], rate['without-webhook'])]
cpus = [o / w for w, o in zip(cpu['with-webhook'], cpu['without-webhook'])]
servers = [o / w for w, o in zip(server['with-webhook'], server['without-webhook'])]
med = statistics.median
print('median PATCH/s: without %.0f, with %.0f; ratio per pair %s (median %.2f)' % (
    med(rate['without-webhook']), med(rate['with-webhook']), ' '.join('%.2f' % r for r in ratios), med(ratios)))
print('CPU of all three per PATCH: without %.0f us, with %.0f us; without/with per pair %s (median %.2f)' % (
    med(cpu['without-webhook']), med(cpu['with-webhook']), ' '.join('%.2f' % r for r in cpus), med(cpus)))
print('server CPU per PATCH: without %.0f us, with %.0f us; without/with per pair %s (median %.2f)' % (
    med(server['without-webhook']), med(server['with-webhook']), ' '.join('%.2f' % r for r in servers), med(servers)))
PY
