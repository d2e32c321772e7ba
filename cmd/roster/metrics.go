// SPDX-License-Identifier: Apache-2.0

package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/sqlite"
)

// storeMetrics are the Prometheus series of the store's writes
// (roster.StoreMetrics), labelled with the engine.
type storeMetrics struct {
	updates      *prometheus.HistogramVec
	transactions prometheus.Histogram
	batch        prometheus.Histogram
}

var _ roster.StoreMetrics = (*storeMetrics)(nil)

func newStoreMetrics(reg prometheus.Registerer, engine string) *storeMetrics {
	engineLabel := prometheus.Labels{"store": engine}
	latency := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
	m := &storeMetrics{
		updates: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "roster_store_update_duration_seconds", ConstLabels: engineLabel, Buckets: latency,
			Help: "One store write (Store.Update) as its caller (a request, or a delivery, mail or janitor worker) waits for it: queueing for the writer, every attempt and the commit, by outcome (ok, error).",
		}, []string{"outcome"}),
		transactions: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "roster_store_transaction_duration_seconds", ConstLabels: engineLabel, Buckets: latency,
			Help: "One database transaction from BEGIN to the end of COMMIT: a writer batch on the embedded store, one attempt on PostgreSQL.",
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "roster_store_transaction_updates", ConstLabels: engineLabel, Buckets: prometheus.ExponentialBuckets(1, 2, 9),
			Help: "Store writes per database transaction: the embedded store's writer-batch size (group commit, at most 256); always 1 on PostgreSQL.",
		}),
	}
	reg.MustRegister(m.updates, m.transactions, m.batch)
	return m
}

func (m *storeMetrics) Update(d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.updates.WithLabelValues(outcome).Observe(d.Seconds())
}

func (m *storeMetrics) Transaction(d time.Duration, updates int) {
	m.transactions.Observe(d.Seconds())
	m.batch.Observe(float64(updates))
}

// cacheCollector reads the embedded store's read-cache counts and sizes
// at each scrape; hits / (hits + misses) is the hit ratio.
type cacheCollector struct{ db *sqlite.DB }

var descCache = prometheus.NewDesc("roster_store_cache_lookups_total",
	"Lookups in the embedded store's read cache by kind (user, credential, organization, settings_schema, org_disabled, oauth_client) and result (hit, miss).", []string{"kind", "result"}, nil)

var (
	descCacheBytes = prometheus.NewDesc("roster_store_cache_bytes",
		"Estimated bytes held by the embedded store's read cache by kind, within roster_store_cache_max_bytes (parts of --cache-bytes).", []string{"kind"}, nil)
	descCacheMax     = prometheus.NewDesc("roster_store_cache_max_bytes", "The bound of the embedded store's read cache by kind.", []string{"kind"}, nil)
	descCacheEntries = prometheus.NewDesc("roster_store_cache_entries", "Values held by the embedded store's read cache by kind.", []string{"kind"}, nil)
)

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCache, descCacheBytes, descCacheMax, descCacheEntries} {
		ch <- d
	}
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	for _, k := range c.db.CacheCounts() {
		ch <- prometheus.MustNewConstMetric(descCache, prometheus.CounterValue, float64(k.Hits), k.Kind, "hit")
		ch <- prometheus.MustNewConstMetric(descCache, prometheus.CounterValue, float64(k.Misses), k.Kind, "miss")
		ch <- prometheus.MustNewConstMetric(descCacheBytes, prometheus.GaugeValue, float64(k.Bytes), k.Kind)
		ch <- prometheus.MustNewConstMetric(descCacheMax, prometheus.GaugeValue, float64(k.MaxBytes), k.Kind)
		ch <- prometheus.MustNewConstMetric(descCacheEntries, prometheus.GaugeValue, float64(k.Entries), k.Kind)
	}
}
