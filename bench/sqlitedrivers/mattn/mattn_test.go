package mattn

import (
	"database/sql"
	"net/url"
	"testing"

	"github.com/mattn/go-sqlite3" // registers "sqlite3"
	"github.com/rosterhq/roster/bench/sqlitedrivers/suite"
)

// DSN: https://pkg.go.dev/github.com/mattn/go-sqlite3#SQLiteDriver.Open —
// the _xxx keys are applied on every new connection.
func open(path string, cfg suite.Config) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", "5000")
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", cfg.Synchronous)
	if cfg.Immediate {
		q.Set("_txlock", "immediate")
	}
	name := "sqlite3"
	if cfg.Tuned {
		name = "sqlite3_tuned"
	}
	return sql.Open(name, "file:"+path+"?"+q.Encode())
}

// mattn has DSN keys for most pragmas but none for mmap_size, so the tuned
// variant runs suite.TunedPragmas from a connect hook on every connection.
func init() {
	sql.Register("sqlite3_tuned", &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			for _, p := range suite.TunedPragmas {
				if _, err := c.Exec("PRAGMA "+p[0]+" = "+p[1], nil); err != nil {
					return err
				}
			}
			return nil
		},
	})
}

var driver = suite.Driver{Name: "mattn", Open: open}

func TestMain(m *testing.M) { suite.Main(m) }

func BenchmarkPointRead(b *testing.B)   { suite.PointRead(b, driver) }
func BenchmarkUpdate(b *testing.B)      { suite.Update(b, driver) }
func BenchmarkUpdateBatch(b *testing.B) { suite.UpdateBatch(b, driver) }

func TestSmoke(t *testing.T) { suite.Smoke(t, driver) }
