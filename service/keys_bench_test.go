// SPDX-License-Identifier: Apache-2.0

package service

import (
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// BenchmarkSignIDToken is the signature's share of a code exchange or a
// refresh (each signs an ID token for openid): SignJWT with a current
// key of each algorithm over the claims of a typical ID token (openid
// profile email, in a session). cpu-ns/op is the process's CPU time per
// signature, which other processes on a shared machine disturb less than
// the wall time of ns/op.
func BenchmarkSignIDToken(b *testing.B) {
	s := keyService(b)
	var stored []*roster.SigningKey
	for _, alg := range roster.SigningAlgs {
		k, err := s.newSigningKey(alg)
		if err != nil {
			b.Fatal(err)
		}
		stored = append(stored, k)
	}
	now := time.Now()
	claims := map[string]any{
		"iss": "https://id.example.com", "sub": "usr_01M95VEYER03QTZDQBQ4HD96JH", "aud": "cli_01M95VEYGA6306KYJDAZV3K86P",
		"azp": "cli_01M95VEYGA6306KYJDAZV3K86P", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"at_hash": "Qu0Fq7JH6cJ4s3DrG1Xr6A", "nonce": "n-0S6_WzA2Mj", "sid": "ses_01M95VEYGA6306KYJDAZV3K86P",
		"auth_time": now.Unix(), "amr": []string{"pwd", "otp"}, "name": "Ruth Example", "given_name": "Ruth",
		"family_name": "Example", "preferred_username": "ruth", "locale": "nl", "updated_at": now.Unix(),
		"org_id": "org_01M95VEYEB6R61HPMZKY302B25", "roles": []string{"member"}, "email": "ruth@example.com", "email_verified": true,
	}
	for _, alg := range roster.SigningAlgs {
		b.Run(alg, func(b *testing.B) {
			// The keys as a node holds them between reads of the store
			// (which this service, without one, never makes).
			set, err := s.openKeys(stored, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			s.ring.set.Store(set)
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := s.SignJWT(b.Context(), alg, claims); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU returns the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
