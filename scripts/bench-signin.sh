#!/usr/bin/env bash
# Measures sign-in with the load tool on this machine: starts a trivial
# net/http handler (the machine's ceiling) and Roster on a fresh embedded
# store with the default argon2id cost, creates SIGNIN_USERS users with a
# password and a first-party app, then runs the trivial handler, whole
# authorization code + PKCE sign-ins through the hosted pages (signin,
# SIGNIN_CONNS connections) and refresh_token grants each on the token
# the previous one returned (refresh, CONNS connections), DURATION each.
# Prints the load tool's table and, per scenario, the CPU that Roster and
# the load tool spent per iteration (from /proc/<pid>/stat), which other
# processes on a shared machine disturb less than the rates. All traffic
# stays on loopback; the load tool is cut off after 3 × DURATION + LIMIT
# seconds.
#
#   DURATION=10s bash scripts/bench-signin.sh
#   DEBUG_ADDR=127.0.0.1:18182 ...   also serves pprof there
#   SIGNIN_SCOPE="openid offline_access" ID_TOKEN_ALG=ES256 ...   other tokens
#   bash scripts/bench-signin.sh -scenarios refresh   (flags go to rosterload)
#   BIN=path/to/roster ...   measures that binary instead of building one
#
# The per-address sign-in limit is raised on this server: every attempt
# counts against the address until it succeeds, and all of the load comes
# from 127.0.0.1. Per-account limits stay as they are (each connection
# signs in other users).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-10s}
conns=${CONNS:-32}
signin_conns=${SIGNIN_CONNS:-8}
signin_users=${SIGNIN_USERS:-200}
port=${PORT:-18180}
trivial_port=${TRIVIAL_PORT:-18181}
limit=${LIMIT:-180}
if ! [[ $duration =~ ^[0-9]+s$ ]]; then
	echo "DURATION must be whole seconds, like 10s" >&2
	exit 2
fi
dir=$(mktemp -d)
key="bench-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT

if [ -n "${BIN:-}" ]; then cp "$BIN" "$dir/roster"; else go build -o "$dir/roster" ./cmd/roster; fi
go build -o "$dir/rosterload" ./cmd/rosterload

"$dir/rosterload" -serve-trivial "127.0.0.1:$trivial_port" 2> /dev/null &
debug=()
if [ -n "${DEBUG_ADDR:-}" ]; then debug=(--debug-addr "$DEBUG_ADDR"); fi
ROSTER_BOOTSTRAP_KEY=$key ROSTER_LOG_LEVEL=warn "$dir/roster" serve --addr "127.0.0.1:$port" --data-dir "$dir/data" \
	--signin-address-failures 1000000 "${debug[@]}" 2> "${SERVER_LOG:-/dev/null}" &
server=$!
for _ in $(seq 50); do
	curl -fs "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break
	sleep 0.2
done

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ), commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)${BIN:+, binary: $BIN}"
: > "$dir/err"
timeout "$((3 * ${duration%s} + limit))" "$dir/rosterload" -url "http://127.0.0.1:$port" -key "$key" \
	-signin-users "$signin_users" -signin-conns "$signin_conns" -conns "$conns" -duration "$duration" \
	-signin-scope "${SIGNIN_SCOPE:-openid email offline_access}" -id-token-alg "${ID_TOKEN_ALG:-RS256}" \
	-scenarios trivial,signin,refresh -trivial-url "http://127.0.0.1:$trivial_port/" -json "$@" \
	> "$dir/out" 2> "$dir/err" &
load=$!

# Each new line of the load tool's stderr ("<scenario>: N conns", then
# "<scenario>: done") with Roster's CPU ticks at that moment. (The load
# tool reports its own CPU per scenario.)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2> /dev/null || echo -; }
seen=0
while kill -0 $load 2> /dev/null; do
	n=$(wc -l < "$dir/err")
	if [ "$n" -gt "$seen" ]; then
		s=$(ticks $server)
		sed -n "$((seen + 1)),${n}p" "$dir/err" | while IFS= read -r line; do
			echo "$line" >&2
			echo "$s $line" >> "$dir/marks"
		done
		seen=$n
	fi
	sleep 0.02
done
status=0
wait $load || status=$?
s=$(ticks $server)
sed -n "$((seen + 1)),\$p" "$dir/err" | while IFS= read -r line; do
	echo "$line" >&2
	echo "$s $line" >> "$dir/marks"
done
grep -v '^{' "$dir/out"
python3 - "$dir/out" "$dir/marks" "$(getconf CLK_TCK)" <<'PY'
import json, re, sys
results = {r['scenario']: r for r in map(json.loads, (l for l in open(sys.argv[1]) if l.startswith('{')))}
tick_us = 1e6 / int(sys.argv[3])
start = {}
for line in open(sys.argv[2]):
    s, text = line.split(" ", 1)
    m = re.match(r'rosterload: (\w+): (\d+ conns|done)', text)
    if not m or s == '-':
        continue
    name = m.group(1)
    if name == 'trivial':  # another process serves it
        continue
    if m.group(2) != 'done':
        start[name] = int(s)
    elif name in start and results.get(name, {}).get('requests'):
        r = results[name]
        print('%-8s CPU per iteration: Roster %7.0f us, load tool %5.0f us' % (
            name, (int(s) - start[name]) * tick_us / r['requests'], r['load_tool_cpu_s'] * 1e6 / r['requests']))
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
