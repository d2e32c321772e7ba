// SPDX-License-Identifier: Apache-2.0

package sqlite

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
)

// benchService opens a fresh store with its service and an owner caller.
func benchService(b *testing.B) (*service.Service, *roster.Caller) {
	b.Helper()
	_, s, c := openService(b, filepath.Join(b.TempDir(), "roster.db"))
	return s, c
}

// openService opens the store at path, closed when tb ends, with its
// service, bootstrapped, and the owner as the caller.
func openService(tb testing.TB, path string) (*DB, *service.Service, *roster.Caller) {
	tb.Helper()
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s := service.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	key := "bench-key-0123456789abcdef0123456789abcdef"
	if _, err := s.Bootstrap(ctx, key, "owner@example.com"); err != nil {
		tb.Fatal(err)
	}
	c, err := s.Authenticate(ctx, key)
	if err != nil {
		tb.Fatal(err)
	}
	return db, s, c
}

var benchRun atomic.Int64

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per operation since start,
// which other processes on a shared machine disturb less than wall time.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkServiceCreateUser creates users through the service (build,
// validation, the store's write and its event, durable group commit) from
// 32 concurrent goroutines, as the API does while seeding.
//
//	go test -run '^$' -bench ServiceWrite -benchtime 20000x -count 6 ./sqlite/
func BenchmarkServiceWriteCreate(b *testing.B) {
	s, c := benchService(b)
	ctx := context.Background()
	run := benchRun.Add(1)
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(uint64(run), uint64(n.Add(1))))
		for pb.Next() {
			first, last, email := randomName(r), randomName(r), fmt.Sprintf("load-%d-%d@example.com", run, n.Add(1))
			if _, err := s.CreateUser(ctx, c, &roster.UserInput{FirstName: &first, LastName: &last, Email: &email}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkServiceWritePatch applies a merge patch of first_name to
// rotating users, from 32 concurrent goroutines.
func BenchmarkServiceWritePatch(b *testing.B) {
	s, c := benchService(b)
	ctx := context.Background()
	ids := make([]string, 5000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range ids {
		first, email := randomName(r), fmt.Sprintf("p-%d@example.com", i)
		u, err := s.CreateUser(ctx, c, &roster.UserInput{FirstName: &first, Email: &email})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = u.ID
	}
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(3, uint64(n.Add(1))))
		for pb.Next() {
			id := ids[int(n.Add(1))%len(ids)]
			patch := []byte(`{"first_name":"` + randomName(r) + `"}`)
			if _, err := s.PatchUser(ctx, c, id, roster.MergePatch, patch, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
