// Package ncruces benchmarks github.com/ncruces/go-sqlite3 (pure Go: SQLite
// built to Wasm and translated to Go by wasm2go, with a Go VFS). The
// benchmarks live in ncruces_test.go; see ../README.md.
package ncruces
