// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
)

// metrics are the Prometheus series of the HTTP layer (docs/operations
// has a dashboard and alert rules over them).
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	tokens   *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry, svc *service.Service, enc *encodedCache) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "roster_http_request_duration_seconds", Help: "HTTP request latency by route and status class (2xx, 4xx, 5xx).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "status_class"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "roster_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_token_requests_total",
			Help: "Token endpoint requests by grant and outcome: issued, an RFC 6749 error code (invalid_grant is a failed sign-in), rate_limited (a locked account or address) or busy.",
		}, []string{"grant", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.inFlight, m.tokens, encodedCollector{enc})
		if svc != nil {
			reg.MustRegister(&backlogCollector{svc: svc}, &signInCollector{svc: svc})
		}
	}
	return m
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, strconv.Itoa(status/100)+"xx").Observe(d.Seconds())
}

// token counts a token endpoint request by its grant and outcome.
func (m *metrics) token(grant string, err error) {
	switch grant {
	case "authorization_code", "password", "refresh_token", "client_credentials":
	default:
		grant = "other"
	}
	outcome := "issued"
	var rl *service.RateLimitError
	var oe *service.OAuthError
	switch {
	case err == nil:
	case errors.As(err, &rl) && rl.Unavailable:
		outcome = "busy"
	case errors.As(err, &rl):
		outcome = "rate_limited"
	case errors.As(err, &oe) && oe.Status == 429:
		outcome = "rate_limited"
	case errors.As(err, &oe):
		outcome = oe.Code
	default:
		outcome = "error"
	}
	m.tokens.WithLabelValues(grant, outcome).Inc()
}

// backlogCollector reads what waits to go out from the store at each
// scrape (two counts over partial indexes).
type backlogCollector struct{ svc *service.Service }

var (
	descDeliveries = prometheus.NewDesc("roster_webhook_deliveries_pending",
		"Webhook deliveries waiting for a (next) attempt, on all nodes, by the status of their webhook (a disabled webhook's wait until it is enabled again).", []string{"webhook_status"}, nil)
	descDeliveryAge = prometheus.NewDesc("roster_webhook_oldest_pending_delivery_age_seconds",
		"Age of the oldest pending webhook delivery (0 when none) by the status of its webhook: the delivery lag.", []string{"webhook_status"}, nil)
	descMail      = prometheus.NewDesc("roster_mail_queued", "Mails in the outbox waiting to be sent, on all nodes.", nil, nil)
	descMailAge   = prometheus.NewDesc("roster_mail_oldest_queued_age_seconds", "Age of the oldest queued mail (0 when none).", nil, nil)
	descBacklogUp = prometheus.NewDesc("roster_backlog_scrape_ok", "1 when the backlog could be read from the store at this scrape.", nil, nil)
)

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDeliveries, descDeliveryAge, descMail, descMailAge, descBacklogUp} {
		ch <- d
	}
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := c.svc.Backlog(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descBacklogUp, prometheus.GaugeValue, 0)
		return
	}
	age := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return max(time.Since(t).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(descBacklogUp, prometheus.GaugeValue, 1)
	for _, status := range []string{roster.StatusEnabled, roster.StatusDisabled} {
		d := b.Deliveries[status]
		ch <- prometheus.MustNewConstMetric(descDeliveries, prometheus.GaugeValue, float64(d.Count), status)
		ch <- prometheus.MustNewConstMetric(descDeliveryAge, prometheus.GaugeValue, age(d.Oldest), status)
	}
	ch <- prometheus.MustNewConstMetric(descMail, prometheus.GaugeValue, float64(b.Mail.Count))
	ch <- prometheus.MustNewConstMetric(descMailAge, prometheus.GaugeValue, age(b.Mail.Oldest))
}

// signInCollector reads the service's sign-in counts at each scrape.
type signInCollector struct{ svc *service.Service }

var (
	descSignInFailures = prometheus.NewDesc("roster_sign_in_failures_total",
		"Sign-in attempts whose secret was wrong, on this node, by what was checked: password and totp (password grant), client_secret (client_credentials), current_password (password change), totp_disable.", []string{"check"}, nil)
	descLockouts = prometheus.NewDesc("roster_sign_in_lockouts_total",
		"Failed sign-ins that reached a limit and so locked the account or the client's address, on this node.", []string{"limit"}, nil)
	descSignInRefused = prometheus.NewDesc("roster_sign_in_refused_total",
		"Sign-in attempts refused because the account or the address was locked, on this node.", []string{"limit"}, nil)
)

func (c *signInCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSignInFailures, descLockouts, descSignInRefused} {
		ch <- d
	}
}

func (c *signInCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.svc.SignInCounts()
	for _, s := range []struct {
		desc   *prometheus.Desc
		counts map[string]uint64
	}{{descSignInFailures, n.Failures}, {descLockouts, n.Lockouts}, {descSignInRefused, n.Refused}} {
		for label, v := range s.counts {
			ch <- prometheus.MustNewConstMetric(s.desc, prometheus.CounterValue, float64(v), label)
		}
	}
}

// encodedCollector reads the JSON cache's size and lookups at each scrape.
type encodedCollector struct{ c *encodedCache }

var (
	descEncodedBytes = prometheus.NewDesc("roster_http_encoded_cache_bytes",
		"Estimated bytes held by the HTTP layer's cache of users' JSON (within roster_http_encoded_cache_max_bytes, a part of --cache-bytes).", nil, nil)
	descEncodedMax     = prometheus.NewDesc("roster_http_encoded_cache_max_bytes", "The bound of the HTTP layer's cache of users' JSON.", nil, nil)
	descEncodedEntries = prometheus.NewDesc("roster_http_encoded_cache_entries", "Users whose JSON the HTTP layer's cache holds.", nil, nil)
	descEncodedLookups = prometheus.NewDesc("roster_http_encoded_cache_lookups_total",
		"Lookups in the HTTP layer's cache of users' JSON by result (hit, miss).", []string{"result"}, nil)
)

func (e encodedCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEncodedBytes, descEncodedMax, descEncodedEntries, descEncodedLookups} {
		ch <- d
	}
}

func (e encodedCollector) Collect(ch chan<- prometheus.Metric) {
	st := e.c.stats()
	ch <- prometheus.MustNewConstMetric(descEncodedBytes, prometheus.GaugeValue, float64(st.bytes))
	ch <- prometheus.MustNewConstMetric(descEncodedMax, prometheus.GaugeValue, float64(st.maxBytes))
	ch <- prometheus.MustNewConstMetric(descEncodedEntries, prometheus.GaugeValue, float64(st.entries))
	ch <- prometheus.MustNewConstMetric(descEncodedLookups, prometheus.CounterValue, float64(st.hits), "hit")
	ch <- prometheus.MustNewConstMetric(descEncodedLookups, prometheus.CounterValue, float64(st.misses), "miss")
}
