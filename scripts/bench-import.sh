#!/usr/bin/env bash
# Measures getting users in and out of the embedded store on this machine:
# a file of USERS import lines (each with a bcrypt hash, stored as it is:
# no argon2 per line) imported with roster import into a fresh server,
# roster export of them all (and the server's RSS growth meanwhile),
# and roster backup of the store while a PATCH load runs on it. The
# trivial handler of scripts/bench.sh runs before and after, as the
# machine's ceiling in the same run. All traffic stays on loopback.
#
#   USERS=100000 bash scripts/bench-import.sh
#
# PORT (default 18280) and PORT+1 are the server's and the trivial
# handler's. ROSTER_BIN: measure that roster binary instead of building
# this tree's (to alternate a base build with this one). DURATION is the length of each trivial run, LOAD_DURATION
# (default 20s) of the PATCH load around the backup.
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-100000}
duration=${DURATION:-5s}
port=${PORT:-18280}
url=http://127.0.0.1:$port
trivial=127.0.0.1:$((port + 1))
dir=$(mktemp -d)
key="bench-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT

if [ -n "${ROSTER_BIN:-}" ]; then
	cp "$ROSTER_BIN" "$dir/roster"
else
	go build -o "$dir/roster" ./cmd/roster
fi
go build -o "$dir/rosterload" ./cmd/rosterload

# One bcrypt hash (cost 10) for every line: the import parses and stores
# it; only a sign-in would check it.
hash='$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'
awk -v n="$users" -v h="$hash" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "{\"email\":\"user%07d@bench.example\",\"first_name\":\"User%d\",\"last_name\":\"Bench\",\"external_id\":\"b-%d\",\"preferences\":{\"language\":\"en\"},\"password_hash\":\"%s\"}\n", i, i, i, h
}' > "$dir/users.ndjson"

"$dir/rosterload" -serve-trivial "$trivial" &
ROSTER_BOOTSTRAP_KEY=$key ROSTER_LOG_LEVEL=warn "$dir/roster" serve --addr "127.0.0.1:$port" --data-dir "$dir/data" &
server=$!
for _ in $(seq 50); do
	curl -fs "$url/readyz" > /dev/null 2>&1 && break
	sleep 0.2
done

# RSS counts the database's pages mapped in (mmap_size, shared and
# reclaimable: the file's cache) beside the process's own memory, the
# anonymous part, which is what an export must keep flat.
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
anon() { awk '/RssAnon/ {print $2}' "/proc/$server/status"; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b - a) / 1e9}'; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ), commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)${ROSTER_BIN:+ (binary $ROSTER_BIN)}, users: $users, file: $(du -h "$dir/users.ndjson" | cut -f1)"
"$dir/rosterload" -duration "$duration" -scenarios trivial -trivial-url "http://$trivial/" | grep -i trivial

t0=$(date +%s%N)
ROSTER_API_KEY=$key "$dir/roster" import --url "$url" "$dir/users.ndjson" > "$dir/import.out" 2> "$dir/import.err" || { cat "$dir/import.err"; exit 1; }
t1=$(date +%s%N)
echo "import: $(seconds "$t0" "$t1") s ($(cat "$dir/import.out")), $(awk -v n="$users" -v s="$(seconds "$t0" "$t1")" 'BEGIN {printf "%.0f", n / s}') users/s; database $(du -sh "$dir/data" | cut -f1)"

before=$(rss)
peak=$before
anon_before=$(anon)
anon_peak=$anon_before
t0=$(date +%s%N)
ROSTER_API_KEY=$key "$dir/roster" export --url "$url" > "$dir/export.ndjson" 2> "$dir/export.err" &
exporter=$!
while kill -0 "$exporter" 2> /dev/null; do
	now=$(rss)
	[ "$now" -gt "$peak" ] && peak=$now
	now=$(anon)
	[ "$now" -gt "$anon_peak" ] && anon_peak=$now
	sleep 0.1
done
wait "$exporter" || { cat "$dir/export.err"; exit 1; }
t1=$(date +%s%N)
echo "export: $(seconds "$t0" "$t1") s, $(wc -l < "$dir/export.ndjson") users, $(du -h "$dir/export.ndjson" | cut -f1); server RSS $((before / 1024)) MiB before, peak $((peak / 1024)) MiB (growth $(((peak - before) / 1024)) MiB, of which anonymous $(((anon_peak - anon_before) / 1024)) MiB)"

# A PATCH load for the whole backup (LOAD_DURATION outlasts it), then
# the backup once the loader has collected its user ids and runs.
"$dir/rosterload" -url "$url" -key "$key" -conns 32 -duration "${LOAD_DURATION:-20s}" -scenarios patch > "$dir/patch.out" &
loader=$!
until grep -q collected "$dir/patch.out" 2> /dev/null; do sleep 0.2; done
sleep 1
t0=$(date +%s%N)
"$dir/roster" backup --data-dir "$dir/data" "$dir/backup.db" 2> "$dir/backup.err" || { cat "$dir/backup.err"; exit 1; }
t1=$(date +%s%N)
wait "$loader"
echo "backup while serving PATCH: $(seconds "$t0" "$t1") s, $(du -h "$dir/backup.db" | cut -f1); the load meanwhile: $(grep -i patch "$dir/patch.out" | head -1)"

"$dir/rosterload" -duration "$duration" -scenarios trivial -trivial-url "http://$trivial/" | grep -i trivial
