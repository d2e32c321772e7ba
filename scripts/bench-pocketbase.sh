#!/usr/bin/env bash
# Roster beside PocketBase, measured alternately in one sitting with wrk
# (2 threads, CONNS connections, DURATION per scenario), each as a ratio to
# a trivial net/http handler measured in the same round: GET a record by
# id, PATCH one field, and a 3-letter substring search of 50 per page.
# Both start on fresh stores of USERS records (first name, last name,
# email) seeded through their APIs. Loopback only.
#
# PocketBase is built outside the repository (it needs a newer Go):
#   mkdir /tmp/pb && cd /tmp/pb && go mod init pbbench &&
#   printf 'package main\nimport ("log"; "github.com/pocketbase/pocketbase")\nfunc main() { if err := pocketbase.New().Start(); err != nil { log.Fatal(err) } }\n' > main.go &&
#   GOTOOLCHAIN=go1.27.3 go get github.com/pocketbase/pocketbase@v0.40.4 && GOTOOLCHAIN=go1.27.3 go build -o pocketbase .
# and runs with --dev=false (dev mode logs every SQL statement). Its
# SQLite runs with synchronous=NORMAL (a commit is not fsynced); Roster's
# with synchronous=FULL.
#
#   PB_BIN=/tmp/pb/pocketbase USERS=20000 ROUNDS=2 DURATION=10s bash scripts/bench-pocketbase.sh
set -euo pipefail
cd "$(dirname "$0")/.."

pb=${PB_BIN:?PB_BIN must name a PocketBase v0.40.4 binary (built as the header above says)}
users=${USERS:-20000}
rounds=${ROUNDS:-2}
duration=${DURATION:-10s}
conns=${CONNS:-32}
scenarios=${SCENARIOS:-get,patch,search}
command -v wrk > /dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
key="bench-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
roster=http://127.0.0.1:18080 pbase=http://127.0.0.1:18090 trivial=http://127.0.0.1:18081/

go build -o "$dir/roster" ./cmd/roster
go build -o "$dir/rosterload" ./cmd/rosterload
wait_up() {
	for _ in $(seq 100); do
		curl -fs "$1" > /dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "$1 did not answer" >&2
	exit 1
}

"$dir/rosterload" -serve-trivial 127.0.0.1:18081 &
ROSTER_BOOTSTRAP_KEY=$key ROSTER_LOG_LEVEL=warn "$dir/roster" serve --addr 127.0.0.1:18080 --data-dir "$dir/roster-data" &
roster_pid=$!
"$pb" superuser upsert bench@example.com bench-password-1 --dir "$dir/pb-data" > /dev/null
"$pb" serve --dev=false --http 127.0.0.1:18090 --dir "$dir/pb-data" > "$dir/pb.log" 2>&1 &
pb_pid=$!
wait_up $roster/readyz
wait_up $pbase/api/health

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ), commit: $(git rev-parse --short HEAD 2>/dev/null || echo none), pocketbase: $(go version -m "$pb" | awk '$2 == "github.com/pocketbase/pocketbase" {print $3}')"

# Roster: seeded by the load tool; ids and names read back by export.
"$dir/rosterload" -url $roster -key "$key" -seed "$users" -seed-conns 32 -scenarios trivial -duration 1s \
	-trivial-url $trivial > /dev/null
curl -fsS -H "Authorization: Bearer $key" $roster/v1/users/export | jq -c 'select(.first_name != null)' > "$dir/roster.ndjson"
jq -r .id "$dir/roster.ndjson" > "$dir/roster.ids"
jq -r '.first_name, .last_name' "$dir/roster.ndjson" > "$dir/names"

# PocketBase: a collection of the same fields, seeded in batches of 1,000.
token=$(curl -fsS -H 'Content-Type: application/json' -d '{"identity":"bench@example.com","password":"bench-password-1"}' \
	$pbase/api/collections/_superusers/auth-with-password | jq -r .token)
pbcurl() { curl -fsS -H "Authorization: $token" -H 'Content-Type: application/json' "$@"; }
pbcurl -X PATCH -d '{"batch":{"enabled":true,"maxRequests":1000,"timeout":60}}' $pbase/api/settings > /dev/null
pbcurl -d '{"name":"people","type":"base","fields":[{"name":"first_name","type":"text"},{"name":"last_name","type":"text"},{"name":"email","type":"email"}]}' \
	$pbase/api/collections > /dev/null
python3 - "$users" "$dir/names" > "$dir/pb-batches" <<'PY'
import json, sys
users, names = int(sys.argv[1]), open(sys.argv[2]).read().split()
for start in range(0, users, 1000):
    reqs = [{"method": "POST", "url": "/api/collections/people/records",
             "body": {"first_name": names[2 * (i % (len(names) // 2))], "last_name": names[2 * (i % (len(names) // 2)) + 1],
                      "email": f"load-{i}@example.com"}} for i in range(start, min(users, start + 1000))]
    print(json.dumps({"requests": reqs}))
PY
seed_start=$(date +%s.%N)
while read -r batch; do
	printf '%s' "$batch" | pbcurl -d @- $pbase/api/batch > /dev/null
done < "$dir/pb-batches"
echo "pocketbase seeded $users records in $(echo "$(date +%s.%N) - $seed_start" | bc) s (batches of 1,000)"
pages=$(( (users + 499) / 500 ))
for p in $(seq "$pages"); do
	pbcurl "$pbase/api/collections/people/records?perPage=500&page=$p&fields=id&skipTotal=1" | jq -r '.items[].id'
done > "$dir/pb.ids"

filter=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' \
	"(first_name~'TERM'||last_name~'TERM'||email~'TERM')")
# run TARGET SCENARIO prints "req/s p99"; the target's environment for users.lua.
run() {
	local target=$1 scenario=$2 out
	case $target in
	trivial) out=$(wrk -t2 -c"$conns" -d"$duration" --latency "$trivial") ;;
	roster) out=$(MODE=$scenario IDS_FILE=$dir/roster.ids NAMES_FILE=$dir/names ITEM_PATH=/v1/users/ \
		SEARCH_URL="/v1/users?limit=50&q=TERM" AUTH="Bearer $key" PATCH_TYPE=application/merge-patch+json \
		wrk -t2 -c"$conns" -d"$duration" --latency -s scripts/wrk/users.lua $roster) ;;
	pocketbase) out=$(MODE=$scenario IDS_FILE=$dir/pb.ids NAMES_FILE=$dir/names ITEM_PATH=/api/collections/people/records/ \
		SEARCH_URL="/api/collections/people/records?perPage=50&filter=$filter" AUTH="$token" PATCH_TYPE=application/json \
		wrk -t2 -c"$conns" -d"$duration" --latency -s scripts/wrk/users.lua $pbase) ;;
	esac
	local non2xx
	non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
	echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1 == "99%" {print $2}') ${non2xx:-0}"
}

printf '%-6s %-11s %-8s %12s %10s %8s %10s\n' round target scenario req/s p99 non-2xx ratio
for round in $(seq "$rounds"); do
	for target in roster pocketbase; do
		read -r base _ _ < <(run trivial get)
		printf '%-6s %-11s %-8s %12s\n' "$round" trivial "" "$base"
		for scenario in ${scenarios//,/ }; do
			read -r rps p99 bad < <(run $target "$scenario")
			printf '%-6s %-11s %-8s %12s %10s %8s %10.4f\n' "$round" $target "$scenario" "$rps" "$p99" "$bad" "$(echo "$rps / $base" | bc -l)"
		done
	done
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "sizes: roster $(du -sh "$dir/roster-data" | cut -f1), pocketbase $(du -sh "$dir/pb-data" | cut -f1)"
