#!/usr/bin/env bash
# Runs every test of Roster: vet, staticcheck, unit and black-box tests, the store
# conformance suite, short fuzz runs of every fuzz target and the OpenAPI
# lint. Usage: bash scripts/test.sh   (FUZZTIME=100000x fuzzes longer)
set -euo pipefail
cd "$(dirname "$0")/.."

# A count, not a duration: go1.26 fuzzing can fail a timed run with
# "context deadline exceeded" on a loaded machine (golang/go#75804).
fuzztime=${FUZZTIME:-3000x}

echo "== go vet"
go vet ./...

echo "== staticcheck"
# Pinned; go run fetches it from the module proxy on a new machine.
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# ---- PostgreSQL server binaries (postgres store, issue 4) ----
# internal/pgtest starts a throwaway PostgreSQL cluster with Debian's
# initdb/postgres unless ROSTER_TEST_DATABASE_URL names a server. Install
# them when they are missing; only root can (CI runs as root), otherwise
# the PostgreSQL tests skip.
if [ -z "${ROSTER_TEST_DATABASE_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
fi
# ---- end of PostgreSQL binaries ----

echo "== go test"
go test -count=1 ./...

echo "== go test ./cmd/roster on PostgreSQL (the black-box suite, and several nodes)"
ROSTER_TEST_STORE=postgres go test -count=1 ./cmd/roster/

echo "== fuzz ($fuzztime per target)"
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "-- $pkg $target"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" > /tmp/roster-fuzz.log 2>&1 || { cat /tmp/roster-fuzz.log; exit 1; }
	done
done

echo "== OpenAPI lint"
if command -v npx > /dev/null; then
	doc=$(mktemp --suffix .json)
	go run ./cmd/roster openapi > "$doc"
	bash openapi/lint.sh "$doc"
	rm -f "$doc"
else
	echo "SKIP: npx not found (install Node.js to lint the OpenAPI document)"
fi
echo "all tests passed"
