#!/usr/bin/env bash
# Cold build time of each driver package on this machine. For each driver:
# an empty GOCACHE, then `go test -c ./baseline` (compiles the standard
# library, database/sql, net/http, testing and suite: what every driver
# needs anyway), then the timed `go test -c ./<driver>`, which compiles only
# the driver and its own dependencies (cgo + gcc for mattn). Module sources
# must already be downloaded (`go mod download`); network time is excluded.
#
#   ./buildtime.sh            prints one line per driver
set -euo pipefail
cd "$(dirname "$0")"
go mod download
for p in modernc mattn ncruces; do
	cache=$(mktemp -d)
	out=$(mktemp -d)
	s0=$(date +%s.%N)
	GOCACHE=$cache go test -c -o "$out/baseline.test" ./baseline
	s1=$(date +%s.%N)
	GOCACHE=$cache go test -c -o "$out/$p.test" "./$p"
	s2=$(date +%s.%N)
	size=$(stat -c %s "$out/$p.test")
	printf '%-8s std+suite %5.1f s   driver %5.1f s   total %5.1f s   test binary %s MiB   loadavg %s\n' \
		"$p" "$(echo "$s1 - $s0" | bc)" "$(echo "$s2 - $s1" | bc)" "$(echo "$s2 - $s0" | bc)" \
		"$(echo "scale=1; $size / 1048576" | bc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
	rm -rf "$cache" "$out"
done
