// Package modernc benchmarks modernc.org/sqlite (pure Go, SQLite transpiled
// from C with ccgo). The benchmarks live in modernc_test.go; see ../README.md.
package modernc
