// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"encoding/json"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/openapi"
)

// WebhookMessage is the body of a webhook delivery, as webhook.Render
// writes it: the event as the feed has it (no data for a deletion),
// previous only when the webhook asks for it, and data and previous
// reduced to the webhook's projection when it has one. It describes the
// document's webhooks section; TestWebhookMessageMatchesRender keeps it
// true to Render.
type WebhookMessage struct {
	ID             string             `json:"id" required:"true" doc:"The event's id (evt_…), also sent as the webhook-id header: a receiver that sees it twice has seen the same event twice."`
	Type           string             `json:"type" required:"true" example:"user.updated" doc:"user.created, user.updated, user.deleted, org.*, membership.*, webhook.*, api_key.*, oauth_client.*, …; webhook.test for POST /v1/webhooks/{id}/test."`
	OccurredAt     time.Time          `json:"occurred_at" required:"true"`
	Actor          roster.Actor       `json:"actor" required:"true"`
	RequestID      string             `json:"request_id,omitempty" doc:"The id of the request that made the change."`
	Resource       roster.ResourceRef `json:"resource" required:"true"`
	OrganizationID string             `json:"organization_id,omitempty" doc:"The organisation the resource belongs to (for an organisation, itself)."`
	Reason         string             `json:"reason,omitempty"`
	Data           json.RawMessage    `json:"data,omitempty" schema:"object" doc:"The resource after the change, as the API shows it; absent for a deletion, as in the feed. With a projection, the object of the projection's names and the values their JSONPath expressions select."`
	Previous       json.RawMessage    `json:"previous,omitempty" schema:"object" nullable:"true" doc:"The resource before the change, when the webhook has include_previous (projected like data)."`
	Patch          json.RawMessage    `json:"patch,omitempty" schema:"json-patch" doc:"The JSON Patch (RFC 6902) from previous to data."`
}

// webhookDocs are the requests Roster sends: the document's webhooks.
var webhookDocs = []openapi.Operation{{
	Method: "POST", Path: "event", ID: "webhookEvent", Tag: "webhooks", Summary: "A change, delivered to a webhook's URL",
	Description: "Sent with the webhook's method (POST by default; a DELETE carries no body), its custom headers and its authentication " +
		"(HTTP Basic, or an OAuth 2.0 bearer token), signed by Standard Webhooks when signing is enabled. " +
		"Deliveries of one resource go in the order of its changes, at least once: a receiver should ignore a webhook-id it has already handled.",
	Params: []openapi.Param{
		{Name: "webhook-id", In: "header", Required: true, Type: tString, Description: "The event's id; the same on every attempt."},
		{Name: "webhook-timestamp", In: "header", Required: true, Type: tInt, Description: "Unix seconds when this attempt was sent."},
		{Name: "webhook-signature", In: "header", Type: tString, Description: "Standard Webhooks signatures (v1,<base64 HMAC-SHA256 of id.timestamp.body>), space-separated; during a secret's rotation overlap one per valid secret. Absent when signing is disabled."},
	},
	Body: []openapi.Media{{ContentType: "application/json", Type: typeOf[WebhookMessage]()}},
	Responses: []openapi.Response{
		{Status: 200, Description: "Any 2xx answer within the webhook timeout accepts the delivery; its body is ignored (the first 1 KiB is kept in the delivery log). Anything else, or no answer, is a failed attempt, retried with back-off."},
	},
}}
