// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/openapi"
)

// webhookRoutes are the webhooks and their delivery logs (webhooks.go).
func (s *server) webhookRoutes() []route {
	webhook := typeOf[WebhookResource]()
	return []route{
		{Operation{Method: "POST", Path: "/v1/webhooks", ID: "createWebhook", Tag: "webhooks", Summary: "Create a webhook",
			Description: "Subscribes a URL to event types of an organisation's subtree. The signing secret is returned once, as signing.secret; auth secrets and header values are write-only (reads show \"********\"). Events from the creation on are delivered.",
			Params:      []openapi.Param{idemKey, prefer}, Body: jsonAndXML(typeOf[roster.WebhookInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(201, webhook, "ETag", "Location"), createdMinimal}, errs(400, 403, 413, 415, 422, 503)...),
			Scopes:    []string{"webhooks:write"}}, s.createWebhook},
		{Operation{Method: "GET", Path: "/v1/webhooks", ID: "listWebhooks", Tag: "webhooks", Summary: "List webhooks",
			Description: "The webhooks of the organisations the caller administers, oldest first, in pages: pass next_cursor as cursor for the next page (absent or null on the last); the order is stable while webhooks are added.",
			Params:      []openapi.Param{limitP, cursorP},
			Responses:   append([]openapi.Response{ok(200, typeOf[WebhookList]())}, errs(400, 403, 406, 503)...), Scopes: []string{"webhooks:read"}}, s.listWebhooks},
		{Operation{Method: "GET", Path: "/v1/webhooks/{id}", ID: "getWebhook", Tag: "webhooks", Summary: "Get a webhook",
			Params:    []openapi.Param{hookRef, ifNone},
			Responses: append([]openapi.Response{ok(200, webhook, "ETag"), {Status: 304, Description: "Not modified"}}, errs(readErrs...)...),
			Scopes:    []string{"webhooks:read"}}, s.getWebhook},
		{Operation{Method: "PUT", Path: "/v1/webhooks/{id}", ID: "replaceWebhook", Tag: "webhooks", Summary: "Replace a webhook",
			Description: "Replaces every writable field; secrets left out, or sent as \"********\", keep their values. Enabling signing again returns its new secret once, as signing.secret.",
			Params:      []openapi.Param{hookRef, ifMatch, prefer}, Body: jsonAndXML(typeOf[roster.WebhookInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, webhook, "ETag"), {Status: 204, Description: "Changed (Prefer: return=minimal)"}}, errs(writeErrs...)...),
			Scopes:    []string{"webhooks:write"}}, s.replaceWebhook},
		{Operation{Method: "PATCH", Path: "/v1/webhooks/{id}", ID: "patchWebhook", Tag: "webhooks", Summary: "Change some fields of a webhook",
			Description: "A JSON Merge Patch or JSON Patch applied to the webhook as GET returns it; secrets can be set (auth.password, header values, …) but never read, and \"********\" keeps a stored one. Enabling signing again returns its new secret once, as signing.secret.",
			Params:      []openapi.Param{hookRef, ifMatch, prefer}, Body: patchBodies(typeOf[roster.WebhookInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, webhook, "ETag"), {Status: 204, Description: "Changed (Prefer: return=minimal)"}}, errs(writeErrs...)...),
			Scopes:    []string{"webhooks:write"}}, s.patchWebhook},
		{Operation{Method: "DELETE", Path: "/v1/webhooks/{id}", ID: "deleteWebhook", Tag: "webhooks", Summary: "Delete a webhook and its delivery log",
			Params:    []openapi.Param{hookRef, ifMatch},
			Responses: append([]openapi.Response{{Status: 204, Description: "Deleted"}}, errs(403, 404, 412, 428)...), Scopes: []string{"webhooks:write"}}, s.deleteWebhook},
		{Operation{Method: "GET", Path: "/v1/webhooks/{id}/deliveries", ID: "listDeliveries", Tag: "webhooks", Summary: "The delivery log",
			Description: "Deliveries newest first, each with its newest attempt (attempt, status_code, latency_ms, response_excerpt, error) and its log of attempts: status code, latency and the first 1 KiB of the answer.",
			Params: []openapi.Param{hookRef,
				queryParam("status", "Only deliveries in this state.", tString, roster.DeliveryPending, roster.DeliverySucceeded, roster.DeliveryFailed),
				limitP, cursorP},
			Responses: append([]openapi.Response{ok(200, typeOf[DeliveryList]())}, errs(readErrs...)...), Scopes: []string{"webhooks:read"}}, s.listDeliveries},
		{Operation{Method: "POST", Path: "/v1/webhooks/{id}/deliveries/{delivery_id}/retry", ID: "retryDelivery", Tag: "webhooks", Summary: "Deliver again",
			Description: "Sends a finished (succeeded or failed) delivery again, or brings the next attempt of a pending one waiting out its back-off forward to now; either goes as soon as it is the oldest pending one of its resource. 409 while an attempt at it is in flight.",
			Params:      []openapi.Param{hookRef, pathParam("delivery_id", "The delivery's id."), idemKey},
			Responses:   append([]openapi.Response{ok(202, typeOf[DeliveryResource]())}, errs(403, 404, 409)...), Scopes: []string{"webhooks:write"}}, s.retryDelivery},
		{Operation{Method: "POST", Path: "/v1/webhooks/{id}/test", ID: "testWebhook", Tag: "webhooks", Summary: "Send a test message now",
			Description: "Sends a signed webhook.test message and reports the receiver's answer; nothing is stored.",
			Params:      []openapi.Param{hookRef},
			Responses:   append([]openapi.Response{ok(200, typeOf[TestResult]())}, errs(403, 404)...), Scopes: []string{"webhooks:write"}}, s.testWebhook},
		{Operation{Method: "POST", Path: "/v1/webhooks/{id}/rotate-secret", ID: "rotateWebhookSecret", Tag: "webhooks", Summary: "Rotate the signing secret",
			Description: "Returns a new signing secret, shown once, as signing.secret. For the rotation overlap (24 hours by default) messages carry signatures by both the new and the old secret. A webhook whose signing is disabled has no secret to rotate: 409.",
			Params:      []openapi.Param{hookRef},
			Responses:   append([]openapi.Response{ok(200, webhook, "ETag")}, errs(403, 404, 409)...), Scopes: []string{"webhooks:write"}}, s.rotateWebhookSecret},
	}
}
