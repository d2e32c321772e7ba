package modernc

import (
	"database/sql"
	"net/url"
	"testing"

	"github.com/rosterhq/roster/bench/sqlitedrivers/suite"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// DSN: https://pkg.go.dev/modernc.org/sqlite#Driver.Open — _pragma entries
// run on every new connection, busy_timeout first.
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
	}
	return sql.Open("sqlite", "file:"+path+"?"+q.Encode())
}

var driver = suite.Driver{Name: "modernc", Open: open}

func TestMain(m *testing.M) { suite.Main(m) }

func BenchmarkPointRead(b *testing.B)   { suite.PointRead(b, driver) }
func BenchmarkUpdate(b *testing.B)      { suite.Update(b, driver) }
func BenchmarkUpdateBatch(b *testing.B) { suite.UpdateBatch(b, driver) }

func TestSmoke(t *testing.T) { suite.Smoke(t, driver) }
