// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"fmt"
	"reflect"

	"modernc.org/libc"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

func init() {
	sqlite.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
		return setQPSG(c, true)
	})
}

// setQPSG turns SQLite's query planner stability guarantee on or off for
// the connection c (SQLITE_DBCONFIG_ENABLE_QPSG). Every connection the
// store opens has it on. Without it a statement whose plan looked at a
// bound value is prepared again when that value changes; since SQLite
// 3.54 that includes a "col = ?" term whose value moves between 0 or 1
// and any other. FTS5 seeks each segment of the trigram index with
// "SELECT pgno FROM users_fts_idx WHERE segid=? AND term<=? ...", so a
// search over segment 1 and others prepared that statement twice: 6–7 %
// of a search's CPU (docs/PERFORMANCE.md, "FTS5's segment seek prepared
// again"). The store's own queries are planned the same with it on
// (EXPLAIN QUERY PLAN of every user list and search shape compared).
//
// The driver has no setting for it, so this takes the handle from the
// driver's connection (its field db) and calls sqlite3_db_config there;
// if a new driver version renamed the field, opening fails and says so.
func setQPSG(c any, on bool) error {
	db, err := connHandle(c)
	if err != nil {
		return err
	}
	// A TLS of its own, as the driver does for sqlite3_interrupt: the
	// connection's is not exported. The call takes the connection's mutex
	// and needs no more of the TLS than its stack for the arguments.
	tls := libc.NewTLS()
	defer tls.Close()
	args := tls.Alloc(16) // onoff, then a NULL pointer for the setting read back
	defer tls.Free(16)
	flag := int32(0)
	if on {
		flag = 1
	}
	if rc := sqlite3.Xsqlite3_db_config(tls, db, sqlite3.SQLITE_DBCONFIG_ENABLE_QPSG, libc.VaList(args, flag, uintptr(0))); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite: set the query planner stability guarantee (QPSG) to %d: sqlite3_db_config returned %d", flag, rc)
	}
	return nil
}

// connHandle is the sqlite3* handle of c, the driver's connection.
func connHandle(c any) (uintptr, error) {
	v := reflect.ValueOf(c)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("db"); f.IsValid() && f.Kind() == reflect.Uintptr && f.Uint() != 0 {
			return uintptr(f.Uint()), nil
		}
	}
	return 0, fmt.Errorf("sqlite: the driver's connection %T has no handle field db (modernc.org/sqlite changed): update connHandle", c)
}
