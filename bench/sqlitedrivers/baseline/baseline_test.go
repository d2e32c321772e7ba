package baseline

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rosterhq/roster/bench/sqlitedrivers/suite"
)

// BenchmarkTrivialHTTP: GET of a fixed ~300-byte JSON body over loopback
// keep-alive connections from 8 goroutines (b.SetParallelism(4) x
// GOMAXPROCS 2), client and server in this process, like the PointRead
// benchmarks. Reports req/s; cpu-ns/op covers client and server.
func BenchmarkTrivialHTTP(b *testing.B) {
	body := []byte(`{"id":"3f1c2a9e-0b7d-4c55-9a1e-6d2f8b7c4e10","userName":"user000001@example.com","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"user000001@example.com","primary":true}],"active":true,"meta":{"resourceType":"User","version":"W/\"1\""},"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.Write(body)
	}))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := srv.URL + "/Users/3f1c2a9e-0b7d-4c55-9a1e-6d2f8b7c4e10"
	b.ReportAllocs()
	b.SetParallelism(4)
	cpu := suite.StartCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || n != int64(len(body)) {
				b.Errorf("status %d, %d bytes", resp.StatusCode, n)
				return
			}
		}
	})
	b.StopTimer()
	cpu.Report(b)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
