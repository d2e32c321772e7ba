// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/testdata"
)

// sign is an independent implementation of the Standard Webhooks
// signature: base64(HMAC-SHA256(key, id "." timestamp "." body)).
func sign(secret, id string, ts int64, body []byte) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		panic(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// TestSignatureVectors checks both the independent implementation the
// black-box tests use and Roster's signer against the spec's vectors.
func TestSignatureVectors(t *testing.T) {
	dir := testdata.Dir(t, "standard-webhooks")
	raw, err := os.ReadFile(filepath.Join(dir, "signature-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Name, Secret, MsgID, Payload, Signature string
		Timestamp                               int64
	}
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(raw), `"msg_id"`, `"msgid"`)), &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			if got := sign(v.Secret, v.MsgID, v.Timestamp, []byte(v.Payload)); got != v.Signature {
				t.Errorf("independent signer: %s, want %s", got, v.Signature)
			}
			got, err := Sign([]string{v.Secret}, v.MsgID, time.Unix(v.Timestamp, 0), []byte(v.Payload))
			if err != nil || got != v.Signature {
				t.Errorf("Sign = %s, %v; want %s", got, err, v.Signature)
			}
		})
	}
}

func TestSignSeveralSecrets(t *testing.T) {
	a, b := roster.NewSigningSecret(), roster.NewSigningSecret()
	at := time.Unix(1700000000, 0)
	got, err := Sign([]string{a, b}, "msg_1", at, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if want := sign(a, "msg_1", at.Unix(), []byte("{}")) + " " + sign(b, "msg_1", at.Unix(), []byte("{}")); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestBlocked(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
		"::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1", "::"} {
		if !Blocked(netip.MustParseAddr(s)) {
			t.Errorf("Blocked(%s) = false", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "93.184.215.14", "2606:4700::1111", "1.1.1.1"} {
		if Blocked(netip.MustParseAddr(s)) {
			t.Errorf("Blocked(%s) = true", s)
		}
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"http://127.0.0.1:8080/hook", "https://[::1]/", "http://169.254.169.254/latest/meta-data", "http://localhost/x", "http://10.0.0.8/"} {
		if err := CheckURL(ctx, u); !errors.Is(err, ErrBlocked) {
			t.Errorf("CheckURL(%s) = %v, want ErrBlocked", u, err)
		}
	}
	if err := CheckURL(ctx, "https://93.184.215.14/hook"); err != nil {
		t.Errorf("CheckURL(public address) = %v", err)
	}
}

// TestSendRefusesPrivateAtConnection checks the guard at connection
// time: a name that resolves to loopback when the request is made (as
// after DNS rebinding) does not get through.
func TestSendRefusesPrivateAtConnection(t *testing.T) {
	hit := false
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer rcv.Close()
	s := New(Config{Timeout: 2 * time.Second})
	w := &roster.Webhook{ID: "whk_1", URL: strings.Replace(rcv.URL, "127.0.0.1", "localhost", 1), Method: http.MethodPost}
	sec := &roster.WebhookSecrets{Signing: []roster.SigningSecret{{Secret: roster.NewSigningSecret()}}}
	a := s.Send(context.Background(), w, sec, &roster.Event{ID: "evt_1", Type: "user.updated"})
	if hit || a.StatusCode != 0 || !strings.Contains(a.Error, "private") {
		t.Fatalf("Send to localhost: hit=%v attempt=%+v", hit, a)
	}
	// Allowed, the same request arrives.
	a = New(Config{Timeout: 2 * time.Second, AllowPrivate: true}).Send(context.Background(), w, sec, &roster.Event{ID: "evt_1", Type: "user.updated"})
	if !hit || a.StatusCode != 200 {
		t.Fatalf("Send with private destinations allowed: hit=%v attempt=%+v", hit, a)
	}
}

func TestRender(t *testing.T) {
	e := &roster.Event{ID: "evt_1", Type: "user.updated", Resource: roster.ResourceRef{Type: "user", ID: "usr_1"},
		Data: json.RawMessage(`{"id":"usr_1","email":"a@example.com","name":{"first":"Ann"}}`), Previous: json.RawMessage(`{"id":"usr_1","email":"b@example.com"}`),
		Patch: json.RawMessage(`[]`)}
	body, err := Render(&roster.Webhook{}, e)
	if err != nil || strings.Contains(string(body), "previous") || !strings.Contains(string(body), `"data":{"id":"usr_1"`) {
		t.Fatalf("Render = %s, %v", body, err)
	}
	body, _ = Render(&roster.Webhook{IncludePrevious: true}, e)
	if !strings.Contains(string(body), `"previous":{"id":"usr_1","email":"b@example.com"}`) {
		t.Fatalf("Render with include_previous = %s", body)
	}
	// The body is what encoding/json makes of the whole payload, the
	// documents copied rather than encoded again.
	e.Actor, e.RequestID, e.OrgID, e.OccurredAt = roster.Actor{UserID: "usr_2", KeyID: "key_1"}, "req <1>", "org_1", time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	deleted := *e
	deleted.Data, deleted.Patch = nil, nil
	for _, c := range []struct {
		e    *roster.Event
		prev bool
	}{{e, false}, {e, true}, {&deleted, true}} {
		want := map[string]any{"id": c.e.ID, "type": c.e.Type, "occurred_at": c.e.OccurredAt, "resource": c.e.Resource, "organization_id": c.e.OrgID,
			"actor": c.e.Actor, "request_id": c.e.RequestID}
		if c.e.Data != nil {
			want["data"] = c.e.Data // a deletion has none, as in the feed
		}
		if c.prev {
			want["previous"] = c.e.Previous
		}
		if c.e.Patch != nil {
			want["patch"] = c.e.Patch
		}
		body, _ := Render(&roster.Webhook{IncludePrevious: c.prev}, c.e)
		var got, exp any
		wantBody, _ := json.Marshal(want)
		if json.Unmarshal(body, &got) != nil || json.Unmarshal(wantBody, &exp) != nil || !reflect.DeepEqual(got, exp) || !json.Valid(body) {
			t.Errorf("Render(include_previous %v) = %s, want %s", c.prev, body, wantBody)
		}
	}
	// A projection replaces data (and previous) by the projected object,
	// its expressions evaluated against the resource; the rest stays.
	e.Reason = "merged"
	body, err = Render(&roster.Webhook{IncludePrevious: true, Projection: map[string]string{"user": "$.id", "first": "$.name.first", "none": "$.missing", "mail": "$.email"}}, e)
	var got map[string]any
	if err != nil || json.Unmarshal(body, &got) != nil {
		t.Fatalf("Render with a projection = %s, %v", body, err)
	}
	wantData := map[string]any{"user": "usr_1", "first": "Ann", "none": nil, "mail": "a@example.com"}
	wantPrev := map[string]any{"user": "usr_1", "first": nil, "none": nil, "mail": "b@example.com"}
	if !reflect.DeepEqual(got["data"], wantData) || !reflect.DeepEqual(got["previous"], wantPrev) || got["id"] != "evt_1" ||
		got["type"] != "user.updated" || got["occurred_at"] != "2026-01-02T03:04:05.000006Z" || got["request_id"] != "req <1>" ||
		got["reason"] != "merged" || got["patch"] == nil || got["resource"] == nil {
		t.Fatalf("Render with a projection = %s", body)
	}
	// A deleted resource has no data to project.
	body, _ = Render(&roster.Webhook{Projection: map[string]string{"user": "$.id"}}, &deleted)
	if strings.Contains(string(body), `"data"`) {
		t.Fatalf("Render of a deletion with a projection = %s", body)
	}
}

// TestBlockedZoned: an IPv6 address with a zone id is blocked whatever
// the address (netip.Prefix.Contains is false for every zoned address,
// which let ::1%lo through the ranges).
func TestBlockedZoned(t *testing.T) {
	for _, s := range []string{"::1%lo", "fe80::1%eth0", "fd00:ec2::254%eth0", "fe80::fc:ff:fe00:1%1", "2606:4700::1111%eth0"} {
		if !Blocked(netip.MustParseAddr(s)) {
			t.Errorf("Blocked(%s) = false", s)
		}
	}
	for _, u := range []string{"http://[::1%25lo]:8080/", "https://[fe80::1%25eth0]/hook", "http://[fd00:ec2::254%25eth0]/latest/meta-data/"} {
		if err := CheckURL(context.Background(), u); !errors.Is(err, ErrBlocked) {
			t.Errorf("CheckURL(%s) = %v, want ErrBlocked", u, err)
		}
	}
	if err := control("tcp6", "[::1%lo]:80", nil); !errors.Is(err, ErrBlocked) {
		t.Errorf("control([::1%%lo]:80) = %v, want ErrBlocked", err)
	}
}

// TestSendRefusesZonedAtConnection: the guard at connection time refuses
// a zoned loopback address, for the delivery itself and for the OAuth
// 2.0 token endpoint, which a real receiver on [::1] would otherwise
// answer.
func TestSendRefusesZonedAtConnection(t *testing.T) {
	var hits atomic.Int64
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	rcv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"internal","token_type":"Bearer","expires_in":3600}`))
	}))
	rcv.Listener = ln
	rcv.Start()
	defer rcv.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	zoned := "http://[::1%25lo]:" + port
	s := New(Config{Timeout: 2 * time.Second})
	sec := &roster.WebhookSecrets{Signing: []roster.SigningSecret{{Secret: roster.NewSigningSecret()}}, ClientSecret: "s"}
	w := &roster.Webhook{ID: "whk_1", URL: zoned + "/hook", Method: http.MethodPost, Version: 1}
	a := s.Send(context.Background(), w, sec, &roster.Event{ID: "evt_1", Type: "user.updated"})
	if a.StatusCode != 0 || !strings.Contains(a.Error, "private") {
		t.Errorf("Send to %s: attempt %+v", w.URL, a)
	}
	w = &roster.Webhook{ID: "whk_2", URL: "https://93.184.215.14/hook", Method: http.MethodPost, Version: 1,
		Auth: &roster.WebhookAuth{Type: roster.AuthOAuth2, GrantType: roster.GrantClientCredentials, TokenURL: zoned + "/token", ClientID: "c"}}
	a = s.Send(context.Background(), w, sec, &roster.Event{ID: "evt_2", Type: "user.updated"})
	if a.StatusCode != 0 || !strings.Contains(a.Error, "private") {
		t.Errorf("Send with token_url %s: attempt %+v", w.Auth.TokenURL, a)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the service on [::1] was reached %d times", n)
	}
}
