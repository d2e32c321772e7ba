// SPDX-License-Identifier: Apache-2.0

// Command rosterload measures a running Roster server over HTTP. It seeds
// users through POST /v1/users (or collects the ids of existing ones), runs
// each scenario for a fixed duration with a fixed number of workers in a
// closed loop, and reports throughput and latency percentiles. It connects
// only to loopback addresses, so it cannot be pointed at somebody else's
// server. With -serve-trivial it serves a trivial handler instead: measured
// in the same run, that handler is the machine's ceiling.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// errUsage reports a command line that the flag package already explained.
var errUsage = errors.New("usage")

// config holds the parsed command line.
type config struct {
	url, key, trivialURL, query, serveTrivial string
	seed, seedConns, conns                    int
	scimUsers                                 int
	collect                                   int // the most existing users collected
	signInUsers, signInConns                  int
	signInScope, idTokenAlg                   string
	duration                                  time.Duration
	scenarios                                 []string
	json                                      bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, errUsage) {
		os.Exit(2)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "rosterload:", err)
		os.Exit(1)
	}
}

// run is the whole command: it parses args, then either serves the trivial
// handler or seeds and measures, writing the results to stdout.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.serveTrivial != "" {
		return serveTrivial(ctx, cfg.serveTrivial, stderr)
	}
	l := &loader{cfg: cfg, base: strings.TrimRight(cfg.url, "/")}
	var results []result
	if cfg.seed > 0 {
		fmt.Fprintf(stderr, "rosterload: seeding %d users with %d conns\n", cfg.seed, cfg.seedConns)
		r := l.measure(ctx, "seed", cfg.seedConns, 0, cfg.seed, l.callIteration(l.seedCalls()))
		if ctx.Err() != nil {
			return fmt.Errorf("seeding: %w", context.Cause(ctx))
		}
		fmt.Fprintf(stdout, "seeded %d users in %.2fs (%.1f users/s)\n", len(l.ids), r.Seconds, float64(len(l.ids))/r.Seconds)
		results = append(results, r)
	} else if slices.ContainsFunc(cfg.scenarios, func(s string) bool {
		return s == "get" || s == "patch" || s == "scim-find" || s == "search" && cfg.query == ""
	}) {
		if err := l.collectUsers(ctx); err != nil {
			return fmt.Errorf("collecting existing users: %w", err)
		}
		fmt.Fprintf(stdout, "collected %d existing user ids\n", len(l.ids))
	}
	if slices.Contains(cfg.scenarios, "signin") || slices.Contains(cfg.scenarios, "refresh") {
		if err := l.seedSignIn(ctx, stdout, stderr); err != nil {
			return err
		}
	}
	if slices.ContainsFunc(cfg.scenarios, func(s string) bool { return strings.HasPrefix(s, "scim-") }) {
		if err := l.makeSCIMKey(ctx); err != nil {
			return fmt.Errorf("making the SCIM key: %w", err)
		}
	}
	for _, name := range cfg.scenarios {
		it, conns, err := l.scenario(ctx, name, stderr)
		if err != nil {
			return err
		}
		d, limit, span := cfg.duration, 0, cfg.duration.String()
		if name == "scim-prov" { // a number of users, not a time
			d, limit, span = 0, cfg.scimUsers, fmt.Sprintf("%d iterations", cfg.scimUsers)
		}
		fmt.Fprintf(stderr, "rosterload: %s: %d conns for %s\n", name, conns, span)
		if results = append(results, l.measure(ctx, name, conns, d, limit, it)); ctx.Err() != nil {
			break
		}
		// A script may read the processes' CPU between this line and the one above.
		fmt.Fprintf(stderr, "rosterload: %s: done\n", name)
	}
	printResults(stdout, results, cfg.json)
	return context.Cause(ctx) // "interrupt signal received", or nil
}

// parseFlags parses and validates the command line.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	var scenarios string
	fs := flag.NewFlagSet("rosterload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:8080", "base `URL` of the Roster server (loopback only)")
	fs.StringVar(&cfg.key, "key", "", "bearer API `key` (default $ROSTER_KEY)")
	fs.IntVar(&cfg.seed, "seed", 0, "create `N` users before measuring; 0 collects existing users instead")
	fs.IntVar(&cfg.collect, "collect", 100_000, "existing users collected when -seed is 0: get and patch act on these (fewer: a smaller working set)")
	fs.IntVar(&cfg.seedConns, "seed-conns", 32, "concurrent connections while seeding")
	fs.IntVar(&cfg.conns, "conns", 32, "concurrent connections (workers) per scenario")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long each scenario runs")
	fs.StringVar(&scenarios, "scenarios", "get,patch,search", "comma-separated scenarios: get, patch, search, trivial, signin, refresh, scim-find, scim-prov")
	fs.IntVar(&cfg.scimUsers, "scim-users", 10000, "users scim-prov provisions (a userName lookup and a creation each)")
	fs.IntVar(&cfg.signInUsers, "signin-users", 200, "users with a password that signin and refresh create and sign in")
	fs.IntVar(&cfg.signInConns, "signin-conns", 8, "concurrent connections of signin (and of creating its users): each costs an argon2id hash, which the server gates")
	fs.StringVar(&cfg.signInScope, "signin-scope", "openid email offline_access", "the `scope` signin and refresh ask for (offline_access gives the refresh tokens)")
	fs.StringVar(&cfg.idTokenAlg, "id-token-alg", "RS256", "how the sign-in app's ID tokens are signed: RS256 or ES256")
	fs.StringVar(&cfg.query, "q", "", "search `term` (default: random 3-letter substrings of user names)")
	fs.BoolVar(&cfg.json, "json", false, "also print one JSON object per scenario")
	fs.StringVar(&cfg.trivialURL, "trivial-url", "", "`URL` of a trivial handler, measured by the trivial scenario")
	fs.StringVar(&cfg.serveTrivial, "serve-trivial", "", "serve a trivial handler on loopback `host:port` instead of measuring")
	if err := fs.Parse(args); err != nil {
		return cfg, errUsage
	} else if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg.key = cmp.Or(cfg.key, getenv("ROSTER_KEY")) // read here so that -h never shows it
	if cfg.serveTrivial != "" {
		if host, _, err := net.SplitHostPort(cfg.serveTrivial); err != nil || !isLoopback(host) {
			return cfg, fmt.Errorf("-serve-trivial %q is not a loopback host:port", cfg.serveTrivial)
		}
		return cfg, nil
	}
	if cfg.conns < 1 || cfg.seedConns < 1 || cfg.signInConns < 1 || cfg.signInUsers < 1 || cfg.scimUsers < 1 || cfg.seed < 0 || cfg.duration <= 0 {
		return cfg, errors.New("-conns, -seed-conns, -signin-conns, -signin-users and -scim-users must be at least 1, -seed at least 0, -duration positive")
	}
	cfg.scenarios = strings.FieldsFunc(scenarios, func(r rune) bool { return r == ',' || r == ' ' })
	for _, s := range cfg.scenarios {
		if !slices.Contains([]string{"get", "patch", "search", "trivial", "signin", "refresh", "scim-find", "scim-prov"}, s) {
			return cfg, fmt.Errorf("unknown scenario %q (want get, patch, search, trivial, signin, refresh, scim-find or scim-prov)", s)
		}
	}
	if err := checkLoopbackURL(cfg.url); err != nil {
		return cfg, fmt.Errorf("-url: %w", err)
	}
	if cfg.trivialURL != "" || slices.Contains(cfg.scenarios, "trivial") {
		if err := checkLoopbackURL(cfg.trivialURL); err != nil {
			return cfg, fmt.Errorf("-trivial-url: %w", err)
		}
	}
	if cfg.key == "" && (cfg.seed > 0 || slices.ContainsFunc(cfg.scenarios, func(s string) bool { return s != "trivial" })) {
		return cfg, errors.New("no API key: set -key or ROSTER_KEY")
	}
	return cfg, nil
}

// checkLoopbackURL returns an error unless raw is an http URL on a loopback
// address. (Roster serves plain HTTP; TLS on loopback would only add noise.)
func checkLoopbackURL(raw string) error {
	if u, err := url.Parse(raw); err != nil || u.Scheme != "http" || !isLoopback(u.Hostname()) {
		return fmt.Errorf("%q is not an http URL on a loopback address: rosterload only loads this machine", raw)
	}
	return nil
}

// isLoopback reports whether host is localhost or a loopback IP address.
// The dialer checks again the address that localhost resolves to.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback()
}

// loopbackOnly is a net.Dialer Control function that refuses to connect to
// any address but loopback, so that neither a redirect nor a DNS answer can
// send the load elsewhere.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	if host, _, err := net.SplitHostPort(address); err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("refusing to connect to non-loopback address %s", address)
	}
	return nil
}

// newClient returns a keep-alive client sized for conns concurrent workers.
// It speaks HTTP/1.1 (the only protocol of a plain http URL), and connects
// only to loopback addresses and through no proxy.
func newClient(conns int) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: loopbackOnly}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: d.DialContext, MaxIdleConns: conns, MaxIdleConnsPerHost: conns,
		IdleConnTimeout: 90 * time.Second, DisableCompression: true,
	}}
}

// trivialHandler answers every request with 200 and a small JSON body.
func trivialHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`+"\n")
}

// serveTrivial serves trivialHandler on addr until ctx is done.
func serveTrivial(ctx context.Context, addr string, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(trivialHandler), ReadHeaderTimeout: 10 * time.Second}
	defer context.AfterFunc(ctx, func() { srv.Close() })()
	fmt.Fprintf(stderr, "rosterload: serving a trivial handler on http://%s/\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// syllables make up random readable names, so that a 3-letter substring of
// one name is found in many others.
var syllables = strings.Fields("ba be da di fa ka ko la li lo ma mi na no ra ri ro sa se ta to va vi za an el in or us en")

// randomName returns a capitalised name of two or three syllables.
func randomName() string {
	var b strings.Builder
	for range 2 + rand.IntN(2) {
		b.WriteString(syllables[rand.IntN(len(syllables))])
	}
	return strings.ToUpper(b.String()[:1]) + b.String()[1:]
}

// loader holds what the scenarios need: the configuration and the users
// they act on.
type loader struct {
	cfg   config
	base  string     // cfg.url without a trailing slash
	mu    sync.Mutex // guards ids and names while seeding
	ids   []string   // user ids for get and patch
	names []string   // first and last names, the source of search terms
	// usernames are the seeded or collected users' usernames, which
	// scim-find looks up.
	usernames []string
	app       *app   // the signin and refresh scenarios' app and users
	scimKey   string // the key with the scim scope of scim-find and scim-prov
}

// call describes one request. A request with a body also sends
// Prefer: return=minimal.
type call struct {
	method, url, body, contentType string
	auth                           bool                   // send the API key
	key                            string                 // with auth: this key rather than -key
	done                           func(http.Header) bool // reports whether a 2xx answer is usable
}

// send makes the request that k describes.
func (l *loader) send(ctx context.Context, c *http.Client, k call) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, k.method, k.url, strings.NewReader(k.body))
	if err != nil {
		return nil, err
	}
	if k.auth {
		req.Header.Set("Authorization", "Bearer "+cmp.Or(k.key, l.cfg.key))
	}
	if k.body != "" {
		req.Header.Set("Content-Type", k.contentType)
		req.Header.Set("Prefer", "return=minimal")
	}
	return c.Do(req)
}

// seedCalls returns the calls of seeding. Each creates a user with random
// readable names and a unique email; the Location header of its answer adds
// the new id to l.ids.
func (l *loader) seedCalls() func(w, n int) call {
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	var seq atomic.Int64
	return func(int, int) call {
		first, last := randomName(), randomName()
		email := fmt.Sprintf("load-%s-%d@example.com", runID, seq.Add(1))
		body := fmt.Sprintf(`{"first_name":"%s","last_name":"%s","email":"%s"}`, first, last, email)
		return call{http.MethodPost, l.base + "/v1/users", body, "application/json", true, "", func(h http.Header) bool {
			loc, err := url.Parse(h.Get("Location"))
			if err != nil || !strings.Contains(loc.Path, "/v1/users/") {
				return false
			}
			l.mu.Lock()
			l.ids, l.names = append(l.ids, path.Base(loc.Path)), append(l.names, first, last)
			l.usernames = append(l.usernames, email) // the username defaults to the email
			l.mu.Unlock()
			return true
		}}
	}
}

// collectUsers pages through GET /v1/users and keeps the ids, up to
// -collect (100,000), and the names of the users it lists.
func (l *loader) collectUsers(ctx context.Context) error {
	c := newClient(1)
	defer c.CloseIdleConnections()
	q := url.Values{"limit": {"200"}}
	most := l.cfg.collect
	if most <= 0 {
		most = 100_000
	}
	for len(l.ids) < most {
		resp, err := l.send(ctx, c, call{method: http.MethodGet, url: l.base + "/v1/users?" + q.Encode(), auth: true})
		if err != nil {
			return err
		}
		var page struct {
			Items []struct {
				ID        string `json:"id"`
				Username  string `json:"username"`
				FirstName string `json:"first_name"`
				LastName  string `json:"last_name"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			err = errors.New(resp.Status)
		}
		if err != nil {
			return fmt.Errorf("GET /v1/users: %w", err)
		}
		for _, u := range page.Items {
			l.ids, l.usernames = append(l.ids, u.ID), append(l.usernames, u.Username)
			l.names = append(l.names, u.FirstName, u.LastName)
		}
		if page.NextCursor == "" || len(page.Items) == 0 {
			break
		}
		q.Set("cursor", page.NextCursor)
	}
	l.ids, l.usernames = l.ids[:min(len(l.ids), most)], l.usernames[:min(len(l.usernames), most)]
	return nil
}

// searchTerm returns the term of one search: -q if set, else a random
// 3-letter substring of a known user name.
func (l *loader) searchTerm() string {
	if l.cfg.query != "" {
		return l.cfg.query
	}
	name := []rune(randomName()) // when no known name is long enough
	if len(l.names) > 0 {
		if n := []rune(l.names[rand.IntN(len(l.names))]); len(n) >= 3 {
			name = n
		}
	}
	off := rand.IntN(len(name) - 2)
	return strings.ToLower(string(name[off : off+3]))
}

// scenario returns the iteration of the named scenario and its number of
// connections. A signin iteration is a whole sign-in (three requests); a
// refresh iteration one refresh, after the refresh chains were started.
func (l *loader) scenario(ctx context.Context, name string, stderr io.Writer) (iteration, int, error) {
	switch name {
	case "signin":
		return l.signInIteration(l.cfg.signInConns), l.cfg.signInConns, nil
	case "refresh":
		if err := l.startChains(ctx, stderr, l.cfg.conns); err != nil {
			return nil, 0, err
		}
		return l.refreshIteration(), l.cfg.conns, nil
	case "scim-prov":
		return l.scimProvisionIteration(), l.cfg.conns, nil
	}
	next, err := l.scenarioCalls(name)
	if err != nil {
		return nil, 0, err
	}
	return l.callIteration(next), l.cfg.conns, nil
}

// scenarioCalls returns the calls of the named scenario: worker w makes call
// (w, n) as its n-th request.
func (l *loader) scenarioCalls(scenario string) (func(w, n int) call, error) {
	if (scenario == "get" || scenario == "patch") && len(l.ids) == 0 {
		return nil, fmt.Errorf("%s: no users to act on: create some with -seed N", scenario)
	}
	users := l.base + "/v1/users"
	switch scenario {
	case "get":
		return func(int, int) call {
			return call{method: http.MethodGet, url: users + "/" + url.PathEscape(l.ids[rand.IntN(len(l.ids))]), auth: true}
		}, nil
	case "patch":
		return func(w, n int) call {
			// Worker w takes ids w, w+conns, …, so that concurrent writers rarely meet.
			id := l.ids[(w+n*l.cfg.conns)%len(l.ids)]
			body := `{"first_name":"` + randomName() + `"}`
			return call{http.MethodPatch, users + "/" + url.PathEscape(id), body, "application/merge-patch+json", true, "", nil}
		}, nil
	case "search":
		return func(int, int) call {
			q := url.Values{"q": {l.searchTerm()}, "limit": {"50"}}
			return call{method: http.MethodGet, url: users + "?" + q.Encode(), auth: true}
		}, nil
	case "trivial":
		return func(int, int) call { return call{method: http.MethodGet, url: l.cfg.trivialURL} }, nil
	case "scim-find":
		return l.scimFindCalls()
	}
	return nil, fmt.Errorf("unknown scenario %q", scenario)
}

// result is the measurement of one scenario. Latencies are in milliseconds.
type result struct {
	Scenario   string         `json:"scenario"`
	Conns      int            `json:"conns"`
	Requests   int            `json:"requests"`
	Errors     int            `json:"errors"`
	Statuses   map[string]int `json:"error_statuses,omitempty"`
	FirstError string         `json:"first_error,omitempty"`
	Seconds    float64        `json:"seconds"`
	RPS        float64        `json:"req_per_s"`
	P50        float64        `json:"p50_ms"`
	P90        float64        `json:"p90_ms"`
	P99        float64        `json:"p99_ms"`
	Max        float64        `json:"max_ms"`
	Ratio      *float64       `json:"ratio_to_trivial,omitempty"`
	// CPUSeconds is the user and system CPU this process (the load tool)
	// spent in the scenario.
	CPUSeconds float64 `json:"load_tool_cpu_s"`
}

// iteration is one measured unit of work: worker w's n-th, made with the
// scenario's shared keep-alive client. It returns nil, a *failure, or
// another error (counted as a transport error).
type iteration func(ctx context.Context, c *http.Client, w, n int) error

// failure is an unexpected answer: key counts it in the error breakdown
// (a status, or a step and a status), msg shows what came.
type failure struct{ key, msg string }

func (f *failure) Error() string { return f.key + ": " + strings.TrimSpace(f.msg) }

// unexpected returns the failure of an answer with an unexpected status:
// key and status, and the start of the body (which it consumes).
func unexpected(key string, resp *http.Response) *failure {
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	return &failure{strings.TrimSpace(key + " " + strconv.Itoa(resp.StatusCode)), string(excerpt)}
}

// callIteration returns the iteration of a scenario of single requests:
// the call that next describes, answered 2xx (and usable, when the call
// checks that).
func (l *loader) callIteration(next func(w, n int) call) iteration {
	return func(ctx context.Context, c *http.Client, w, n int) error {
		k := next(w, n)
		resp, err := l.send(ctx, c, k)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return unexpected("", resp)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if k.done != nil && !k.done(resp.Header) {
			return &failure{"unusable", resp.Status + " without a Location header naming a user"}
		}
		return nil
	}
}

// measure runs conns workers in a closed loop, each making the iterations
// that it describes one after the other, until d has passed (0: no limit),
// limit iterations have been made (0: no limit) or ctx is done. Iterations
// in flight at the deadline complete and count; those cut off by ctx do
// not. Every worker records all its latencies in its own slice, so
// recording takes no lock and the percentiles are exact.
func (l *loader) measure(ctx context.Context, name string, conns int, d time.Duration, limit int, it iteration) result {
	c := newClient(conns)
	defer c.CloseIdleConnections()
	lats, errs := make([][]time.Duration, conns), make([]map[string]int, conns)
	var first atomic.Pointer[string] // the first error, to show what went wrong
	var made atomic.Int64
	var wg sync.WaitGroup
	cpu0 := processCPU()
	start := time.Now()
	for w := range conns {
		lats[w], errs[w] = make([]time.Duration, 0, 1<<14), map[string]int{}
		wg.Go(func() {
			for n := 0; ctx.Err() == nil && (d == 0 || time.Since(start) < d); n++ {
				if limit > 0 && made.Add(1) > int64(limit) {
					return
				}
				t0 := time.Now()
				err := it(ctx, c, w, n)
				lat := time.Since(t0)
				if ctx.Err() != nil {
					return
				}
				lats[w] = append(lats[w], lat)
				if err == nil {
					continue
				}
				f, ok := errors.AsType[*failure](err)
				if !ok {
					f = &failure{"transport", err.Error()}
				}
				errs[w][f.key]++
				msg := f.Error()
				first.CompareAndSwap(nil, &msg)
			}
		})
	}
	wg.Wait()
	elapsed, all := time.Since(start), slices.Concat(lats...)
	slices.Sort(all)
	ms := func(p float64) float64 { return float64(percentile(all, p)) / float64(time.Millisecond) }
	r := result{Scenario: name, Conns: conns, Requests: len(all), Statuses: map[string]int{},
		Seconds: elapsed.Seconds(), RPS: float64(len(all)) / elapsed.Seconds(),
		P50: ms(50), P90: ms(90), P99: ms(99), Max: ms(100), CPUSeconds: (processCPU() - cpu0).Seconds()}
	for _, m := range errs {
		for k, v := range m {
			r.Statuses[k] += v
			r.Errors += v
		}
	}
	if f := first.Load(); f != nil {
		r.FirstError = *f
	}
	return r
}

// processCPU returns the user and system CPU time this process has used
// (0 where getrusage fails).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// percentile returns the p-th percentile (0 < p ≤ 100) of the sorted
// samples by the nearest-rank method: the smallest sample that is greater
// than or equal to p percent of all samples. It returns 0 for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(float64(len(sorted)) * p / 100))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// printResults writes the table of results, the errors and, with asJSON,
// one JSON object per scenario. When trivial was measured, it also gives
// every scenario's throughput as a ratio of trivial's.
func printResults(w io.Writer, results []result, asJSON bool) {
	trivial := 0.0
	if i := slices.IndexFunc(results, func(r result) bool { return r.Scenario == "trivial" }); i >= 0 {
		trivial = results[i].RPS
	}
	fmt.Fprintf(w, "%-9s %5s %9s %7s %10s %8s %8s %8s %8s %8s\n", "scenario", "conns", "requests", "errors",
		"req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "/trivial")
	for i := range results {
		r, ratio := &results[i], "-"
		if trivial > 0 {
			x := r.RPS / trivial
			r.Ratio, ratio = &x, strconv.FormatFloat(x, 'f', 3, 64)
		}
		fmt.Fprintf(w, "%-9s %5d %9d %7d %10.1f %8.3f %8.3f %8.3f %8.3f %8s\n",
			r.Scenario, r.Conns, r.Requests, r.Errors, r.RPS, r.P50, r.P90, r.P99, r.Max, ratio)
	}
	for _, r := range results {
		if r.Errors > 0 { // fmt prints a map's keys in order
			fmt.Fprintf(w, "%s errors: %v; first: %.200s\n", r.Scenario, r.Statuses, r.FirstError)
		}
	}
	if !asJSON {
		return
	}
	for _, r := range results {
		b, _ := json.Marshal(r)
		fmt.Fprintf(w, "%s\n", b)
	}
}
