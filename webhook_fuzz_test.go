// SPDX-License-Identifier: Apache-2.0

package roster_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rosterhq/roster"
)

// FuzzBuildWebhook decodes any body as a webhook and builds it, new and
// over a stored one: a valid webhook or a 4xx error, never a panic, and
// never a secret echoed in an error.
func FuzzBuildWebhook(f *testing.F) {
	f.Add([]byte(`{"url":"https://example.com/h","events":["user.*"],"auth":{"type":"basic","username":"u","password":"p"}}`))
	f.Add([]byte(`{"url":"https://example.com/h","events":["*"],"projection":{"a":"$.data[?@.x>1]"},"headers":{"X-A":"b"}}`))
	cur, curSec, err := roster.BuildWebhook(nil, nil, &roster.WebhookInput{URL: ptr("https://example.com/h"), EventTypes: []string{"user.*"},
		Auth: &roster.WebhookAuthInput{Type: roster.AuthOAuth2, GrantType: roster.GrantClientCredentials, TokenURL: "https://example.com/t", ClientID: "c", ClientSecret: ptr("cs")}})
	if err != nil {
		f.Fatal(err)
	}
	cur.ID = "whk_01JD3M0000000000000000000A"
	f.Fuzz(func(t *testing.T, data []byte) {
		var in roster.WebhookInput
		if err := roster.DecodeStrict(data, &in); err != nil {
			wantCode(t, "DecodeStrict", err, roster.CodeInvalid, roster.CodeMalformed)
			return
		}
		for _, c := range []*roster.Webhook{nil, cur} {
			var sec *roster.WebhookSecrets
			if c != nil {
				sec = curSec
			}
			w, _, err := roster.BuildWebhook(c, sec, &in)
			if err != nil {
				wantCode(t, "BuildWebhook", err, roster.CodeInvalid)
				// The rejected values, not the messages: a message may
				// name what a secret looks like ("whsec_").
				var values []any
				for _, fe := range err.(*roster.Error).Fields {
					values = append(values, fe.Value)
				}
				b, _ := json.Marshal(values)
				for _, s := range append([]*string{signingSecret(in.Signing), authSecret(in.Auth)}, headerValues(in.Headers)...) {
					if s != nil && len(*s) > 3 && json.Valid(b) && contains(b, *s) {
						t.Fatalf("an error echoes a secret: %s", b)
					}
				}
				continue
			}
			if w.URL == "" || len(w.EventTypes) == 0 {
				t.Fatalf("BuildWebhook accepted a webhook without url or event types: %+v", w)
			}
			for name, v := range w.Headers {
				if v != roster.WriteOnlyMask {
					t.Fatalf("header %s is kept in clear in the webhook's document", name)
				}
			}
		}
	})
}

func signingSecret(s *roster.SigningInput) *string {
	if s == nil {
		return nil
	}
	return s.Secret
}

func headerValues(h map[string]string) []*string {
	var out []*string
	for _, v := range h {
		out = append(out, &v)
	}
	return out
}

func authSecret(a *roster.WebhookAuthInput) *string {
	if a == nil {
		return nil
	}
	return a.Password
}

func contains(b []byte, s string) bool {
	q, _ := json.Marshal(s)
	return len(q) > 2 && bytes.Contains(b, q[1:len(q)-1])
}

func ptr[T any](v T) *T { return &v }
