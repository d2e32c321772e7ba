// SPDX-License-Identifier: Apache-2.0

package seal

import (
	"bytes"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b, err := New("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`{"password":"hunter2"}`)
	sealed := b.Seal(plain, []byte("whk_1"))
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatal("sealed value holds the plain text")
	}
	got, err := b.Open(sealed, []byte("whk_1"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open(sealed, []byte("whk_2")); err != ErrOpen {
		t.Errorf("Open with another owner = %v, want ErrOpen", err)
	}
	other, _ := New("another key that is long enough 0123456789")
	if _, err := other.Open(sealed, []byte("whk_1")); err != ErrOpen {
		t.Errorf("Open with another key = %v, want ErrOpen", err)
	}
	if _, err := b.Open([]byte("short"), nil); err != ErrOpen {
		t.Errorf("Open of garbage = %v", err)
	}
	if _, err := New("short"); err == nil {
		t.Error("New accepted a short key")
	}
	mac := func(b *Box, s string) []byte { h := b.MAC(); h.Write([]byte(s)); return h.Sum(nil) }
	if !bytes.Equal(mac(b, "x"), mac(b, "x")) || bytes.Equal(mac(b, "x"), mac(other, "x")) || bytes.Equal(mac(b, "x"), mac(b, "y")) {
		t.Error("MAC is not a keyed function of its data")
	}
}
