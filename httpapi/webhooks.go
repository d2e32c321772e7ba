// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster"
)

// WebhookResource is a webhook as the API shows it. Its signing.secret is
// present only in the answers that made the secret: its creation, a
// rotation, a change that enabled signing again.
type WebhookResource struct {
	XMLName struct{} `json:"-" xml:"webhook"`
	roster.WebhookView
	Links map[string]Link `json:"_links" readOnly:"true"`
}

// WebhookList is the list of webhooks.
type WebhookList struct {
	XMLName    struct{}          `json:"-" xml:"list"`
	Items      []WebhookResource `json:"items"`
	NextCursor *string           `json:"next_cursor" nullable:"true" doc:"Pass as cursor to get the next page; null on the last page."`
}

// DeliveryResource is one delivery with its attempts, and at its top the
// newest attempt's number and outcome (the delivery log entry of PRODUCT
// §8).
type DeliveryResource struct {
	XMLName struct{} `json:"-" xml:"delivery"`
	*roster.Delivery
	Attempt         int             `json:"attempt" doc:"The newest attempt's number (0 before the first)."`
	StatusCode      *int            `json:"status_code" nullable:"true" doc:"The newest attempt's HTTP status; null when no answer came."`
	LatencyMS       *float64        `json:"latency_ms" nullable:"true" doc:"The newest attempt's latency."`
	ResponseExcerpt *string         `json:"response_excerpt" nullable:"true" doc:"The first 1 KiB of the newest answer's body."`
	Error           *string         `json:"error" nullable:"true" doc:"Why the newest attempt got no answer."`
	NextAttemptAt   *time.Time      `json:"next_attempt_at" nullable:"true" doc:"When a pending delivery is tried next; null when it is due now or finished."`
	Links           map[string]Link `json:"_links" readOnly:"true"`
}

// DeliveryList is a page of a webhook's delivery log, newest first.
type DeliveryList struct {
	XMLName    struct{}           `json:"-" xml:"list"`
	Items      []DeliveryResource `json:"items"`
	NextCursor *string            `json:"next_cursor" nullable:"true" doc:"Pass as cursor for older deliveries; null on the last page."`
}

// TestResult is how a receiver answered a test delivery.
type TestResult struct {
	XMLName struct{} `json:"-" xml:"test_result"`
	roster.Attempt
	Succeeded bool `json:"succeeded"`
}

// webhookResource shows a webhook, with its new signing secret when not "".
func (s *server) webhookResource(wh *roster.Webhook, secret string) (WebhookResource, error) {
	view, err := s.Service.WebhookView(wh, secret)
	if err != nil {
		return WebhookResource{}, err
	}
	self := "/v1/webhooks/" + wh.ID
	return WebhookResource{WebhookView: view, Links: map[string]Link{
		"self":          {Href: self},
		"deliveries":    {Href: self + "/deliveries"},
		"test":          {Href: self + "/test", Method: "POST"},
		"rotate_secret": {Href: self + "/rotate-secret", Method: "POST"},
		"organization":  {Href: "/v1/orgs/" + wh.OrganizationID},
	}}, nil
}

func deliveryResource(d *roster.Delivery) DeliveryResource {
	self := "/v1/webhooks/" + d.WebhookID + "/deliveries/" + d.ID
	links := map[string]Link{"self": {Href: self}, "webhook": {Href: "/v1/webhooks/" + d.WebhookID},
		"retry": {Href: self + "/retry", Method: "POST"}}
	out := DeliveryResource{Delivery: d, NextAttemptAt: d.NextAttempt, Links: links}
	if n := len(d.Attempts); n > 0 {
		a := d.Attempts[n-1]
		out.Attempt, out.LatencyMS = a.Attempt, &a.LatencyMS
		if a.StatusCode != 0 {
			out.StatusCode = &a.StatusCode
		}
		if a.Response != "" || a.StatusCode != 0 {
			out.ResponseExcerpt = &a.Response
		}
		if a.Error != "" {
			out.Error = &a.Error
		}
	}
	return out
}

func (s *server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in roster.WebhookInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	wh, secret, err := s.Service.CreateWebhook(r.Context(), state(r).caller, &in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.webhookResource(wh, secret)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/webhooks/"+wh.ID)
	w.Header().Set("Cache-Control", "no-store")
	s.sendVersioned(w, r, http.StatusCreated, wh.Version, "webhook", res)
}

func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	p, err := pageQuery(r, roster.SortWebhooks)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	hooks, next, err := s.Service.Webhooks(r.Context(), state(r).caller, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list := WebhookList{Items: make([]WebhookResource, 0, len(hooks)), NextCursor: nextCursor(next)}
	for _, wh := range hooks {
		res, err := s.webhookResource(wh, "")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		list.Items = append(list.Items, res)
	}
	s.respond(w, r, http.StatusOK, "list", list)
}

func (s *server) getWebhook(w http.ResponseWriter, r *http.Request) {
	wh, err := s.Service.Webhook(r.Context(), state(r).caller, r.PathValue("id"))
	s.webhookWritten(w, r, wh, "", err)
}

func (s *server) replaceWebhook(w http.ResponseWriter, r *http.Request) {
	var in roster.WebhookInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	wh, secret, err := s.Service.ReplaceWebhook(r.Context(), state(r).caller, r.PathValue("id"), &in, precondition(r))
	s.webhookWritten(w, r, wh, secret, err)
}

func (s *server) patchWebhook(w http.ResponseWriter, r *http.Request) {
	format, patch, err := decodePatch(w, r, &roster.WebhookInput{})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wh, secret, err := s.Service.PatchWebhook(r.Context(), state(r).caller, r.PathValue("id"), format, patch, precondition(r))
	s.webhookWritten(w, r, wh, secret, err)
}

func (s *server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	wh, secret, err := s.Service.RotateSecret(r.Context(), state(r).caller, r.PathValue("id"))
	s.webhookWritten(w, r, wh, secret, err)
}

// webhookWritten answers with a webhook (200), or the error; an answer
// that shows a new signing secret is not to be stored by caches.
func (s *server) webhookWritten(w http.ResponseWriter, r *http.Request, wh *roster.Webhook, secret string, err error) {
	var res WebhookResource
	if err == nil {
		res, err = s.webhookResource(wh, secret)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if secret != "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	s.sendVersioned(w, r, http.StatusOK, wh.Version, "webhook", res)
}

func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.DeleteWebhook(r.Context(), state(r).caller, r.PathValue("id"), precondition(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	f := roster.DeliveryFilter{
		Status: q.oneOf("status", roster.DeliveryPending, roster.DeliverySucceeded, roster.DeliveryFailed),
		Before: q.str("cursor", 64),
		Limit:  q.limit(),
	}
	if f.Before != "" && !roster.ValidID(roster.PrefixDelivery, f.Before) {
		q.bad("cursor", "cursor must be the next_cursor of the previous page", f.Before)
	}
	if err := q.err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	ds, err := s.Service.Deliveries(r.Context(), state(r).caller, r.PathValue("id"), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list := DeliveryList{Items: make([]DeliveryResource, 0, len(ds))}
	for _, d := range ds {
		list.Items = append(list.Items, deliveryResource(d))
	}
	if len(ds) == f.Limit {
		next := ds[len(ds)-1].ID
		list.NextCursor = &next
	}
	s.respond(w, r, http.StatusOK, "list", list)
}

func (s *server) retryDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := s.Service.RetryDelivery(r.Context(), state(r).caller, r.PathValue("id"), r.PathValue("delivery_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.respond(w, r, http.StatusAccepted, "delivery", deliveryResource(d))
}

func (s *server) testWebhook(w http.ResponseWriter, r *http.Request) {
	a, err := s.Service.TestWebhook(r.Context(), state(r).caller, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.respond(w, r, http.StatusOK, "test_result", TestResult{Attempt: a, Succeeded: a.Succeeded()})
}
