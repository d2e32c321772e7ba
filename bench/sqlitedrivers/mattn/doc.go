// Package mattn benchmarks github.com/mattn/go-sqlite3 (cgo binding to the
// SQLite C amalgamation; needs a C compiler and CGO_ENABLED=1). The
// benchmarks live in mattn_test.go; see ../README.md.
package mattn
