package ncruces

import (
	"database/sql"
	"net/url"
	"testing"

	_ "github.com/ncruces/go-sqlite3/driver" // registers "sqlite3"
	"github.com/rosterhq/roster/bench/sqlitedrivers/suite"
	// No github.com/ncruces/go-sqlite3/embed import: since the wasm2go
	// rewrite it is deprecated and empty ("importing ... is unnecessary")
	// and its init only prints a nag line to stderr.
)

// DSN: https://pkg.go.dev/github.com/ncruces/go-sqlite3/driver — _pragma
// entries run on every new connection, busy_timeout first.
func open(path string, cfg suite.Config) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous("+cfg.Synchronous+")")
	if cfg.Tuned {
		for _, p := range suite.TunedPragmas {
			q.Add("_pragma", p[0]+"("+p[1]+")")
		}
	}
	if cfg.Immediate {
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_txlock", "deferred") // ncruces defaults to immediate
	}
	return sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
}

var driver = suite.Driver{Name: "ncruces", Open: open}

func TestMain(m *testing.M) { suite.Main(m) }

func BenchmarkPointRead(b *testing.B)   { suite.PointRead(b, driver) }
func BenchmarkUpdate(b *testing.B)      { suite.Update(b, driver) }
func BenchmarkUpdateBatch(b *testing.B) { suite.UpdateBatch(b, driver) }

func TestSmoke(t *testing.T) { suite.Smoke(t, driver) }
