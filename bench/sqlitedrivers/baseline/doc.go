// Package baseline measures a trivial net/http handler on the same machine,
// the yardstick for the point-read target ("GET by id ≥ 50% of a trivial
// handler's req/s"). See ../README.md.
package baseline
