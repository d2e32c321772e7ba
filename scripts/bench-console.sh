#!/usr/bin/env bash
# Times the console's search as you type (issue 17: from a keystroke to
# the rendered result list, p95 under 150 ms at 1,000,000 users): starts
# Roster on a fresh embedded store, seeds USERS users through the API with
# the load tool (as scripts/bench.sh does), measures the load tool's bare
# q search on one connection, makes an admin with a password, then types
# QUERIES search terms into the console in headless Chromium
# (tools/browser/bench-console.mjs), printing p50/p95 from the last
# keystroke to the list and, as the baseline of the same run, the same
# searches sent bare. All traffic stays on loopback.
#
#   USERS=100000 bash scripts/bench-console.sh
#   USERS=1000000 QUERIES=100 bash scripts/bench-console.sh     # seeding ~4 min
#
# DATA_DIR=path keeps the store there; a second run with the same
# DATA_DIR measures it again without seeding. Needs node, npm ci
# --prefix tools/browser, and Debian's chromium (CHROMIUM=path).
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-100000}
port=${PORT:-18480}
url=http://127.0.0.1:$port
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
data=${DATA_DIR:-$dir/data}
mkdir -p "$data"
# The owner's key stays with a kept store, so a later run can use it.
[ -s "$data/bench.key" ] || echo "bench-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$data/bench.key"
key=$(cat "$data/bench.key")
seeded=false
[ -e "$data/roster.db" ] && seeded=true

go build -o "$dir/roster" ./cmd/roster
go build -o "$dir/rosterload" ./cmd/rosterload
ROSTER_BOOTSTRAP_KEY=$key ROSTER_LOG_LEVEL=warn "$dir/roster" serve --addr "127.0.0.1:$port" --data-dir "$data" &
for _ in $(seq 100); do
	curl -fs "$url/readyz" > /dev/null 2>&1 && break
	sleep 0.2
done

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ), commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
seed=$users
if $seeded; then
	seed=0
	echo "users: the store in $data as it is"
else
	echo "users: seeding $users"
fi
# Seeding (bounded: SEED_TIMEOUT), then the bare q search on one
# connection, 50 a page, random 3-letter terms: the server's share.
timeout "${SEED_TIMEOUT:-15m}" "$dir/rosterload" -url "$url" -key "$key" -seed "$seed" -seed-conns "${SEED_CONNS:-128}" \
	-conns 1 -duration "${DURATION:-8s}" -scenarios search

# An admin with a password for the console to sign in as.
email="console-bench-$(date +%s)@example.com"
password="Bench-console-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
id=$(curl -fsS -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	-d "{\"email\":\"$email\",\"first_name\":\"Console\",\"last_name\":\"Bench\",\"roles\":[\"admin\"]}" "$url/v1/users" |
	node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
curl -fsS -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "{\"new_password\":\"$password\"}" "$url/v1/users/$id/password"

ROSTER_URL=$url USERNAME=$email PASSWORD=$password timeout "${BROWSER_TIMEOUT:-10m}" node tools/browser/bench-console.mjs
echo "database: $(du -sh "$data" | cut -f1)"
