// SPDX-License-Identifier: Apache-2.0

package validate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	// The embedded IANA database lets TimeZone work on machines without
	// /usr/share/zoneinfo, such as minimal containers and Windows.
	_ "time/tzdata"
)

// tzValid caches the names TimeZone has accepted. time.LoadLocation reads and
// parses a file on every call. Only accepted names are cached: there are about
// 600 of them, whereas refused names are unbounded input.
var tzValid sync.Map // string -> struct{}

const tzExample = "must be an IANA time zone name such as Europe/Amsterdam"

// TimeZone checks that name is an IANA time zone name, such as
// Europe/Amsterdam or UTC, in its exact case. It refuses "", "Local" and the
// names of files that share the zoneinfo folder without being zones (such as
// posixrules and the posix/ and right/ copies). The names come from the
// system's zoneinfo, or from the database embedded in the binary where the
// system has none.
func TimeZone(name string) error {
	if _, ok := tzValid.Load(name); ok {
		return nil
	}
	if !tzSyntax(name) {
		return invalid(tzExample)
	}
	if _, err := time.LoadLocation(name); err != nil || tzOtherCase(name) {
		return invalid(tzExample)
	}
	tzValid.Store(name, struct{}{})
	return nil
}

// tzSyntax reports whether name has the shape of a zone name: components of
// ASCII letters, digits, "_", "+" and "-", each starting with a letter,
// separated by "/". That shuts out "Local", paths with dots and other files
// in the zoneinfo folder.
func tzSyntax(name string) bool {
	if name == "" || len(name) > 64 || name == "Local" || name == "localtime" || name == "posixrules" {
		return false
	}
	parts := strings.Split(name, "/")
	if parts[0] == "posix" || parts[0] == "right" {
		return false
	}
	for _, part := range parts {
		if part == "" || !isLetter(part[0]) {
			return false
		}
		for i := 0; i < len(part); i++ {
			if c := part[i]; !isAlnum(c) && c != '_' && c != '+' && c != '-' {
				return false
			}
		}
	}
	return true
}

// tzOtherCase reports whether time.LoadLocation found name in a system
// zoneinfo folder under another case, which happens on case-insensitive file
// systems (the default on macOS): europe/amsterdam would then load. It
// checks the folders that LoadLocation reads, in its order; a name found in
// none of them came from a zip archive or the embedded database, whose lookups
// are exact.
func tzOtherCase(name string) bool {
	roots := []string{"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/", "/etc/zoneinfo"}
	if env := os.Getenv("ZONEINFO"); env != "" {
		roots = append([]string{env}, roots...)
	}
	for _, root := range roots {
		if fi, err := os.Stat(filepath.Join(root, name)); err != nil || fi.IsDir() {
			continue
		}
		dir := root
		for _, part := range strings.Split(name, "/") {
			entries, err := os.ReadDir(dir)
			if err != nil || !slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == part }) {
				return true
			}
			dir = filepath.Join(dir, part)
		}
		return false
	}
	return false
}
