// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"github.com/rosterhq/roster/openapi"
)

// eventRoutes are the change feed and the audit log (events.go).
func (s *server) eventRoutes() []route {
	return []route{
		{Operation{Method: "GET", Path: "/v1/events", ID: "listEvents", Tag: "events", Summary: "The change feed",
			Description: "Every change the caller may see (changes of webhooks only for those who administer them: a URL can be a secret), in commit order, each with the resource before and after and the JSON Patch between them. Pass the last event's id as after to continue; wait long-polls until an event comes. The feed keeps events for the server's --event-retention (90 days by default): an after older than that is 410 Gone, and the consumer reads again from the start of the feed (no after).",
			Params: []openapi.Param{
				queryParam("after", "Return events after this event id.", tString),
				queryParam("type", "Comma-separated event types; a trailing .* matches a prefix (user.*).", tString),
				{Name: "wait", In: "query", Type: tInt, Min: f(0), Max: f(60), Description: "Seconds to wait for the first event when there is none yet."},
				limitP},
			Responses: append([]openapi.Response{ok(200, typeOf[EventList]())}, append(errs(readErrs...), openapi.Response{Status: 410, Description: "after names an event past the feed's retention: read the feed again without after."})...), Scopes: []string{"events:read"}}, s.listEvents},
		{Operation{Method: "GET", Path: "/v1/audit-events", ID: "listAuditEvents", Tag: "audit", Summary: "The audit log",
			Description: "Who changed what, from where, with which patch; for admins, over what they administer.",
			Params: []openapi.Param{
				queryParam("target", "Only changes to this resource id.", tString),
				queryParam("actor", "Only changes made by this user id.", tString),
				queryParam("after", "Only changes after this time.", tTime),
				queryParam("before", "Only changes before this time.", tTime),
				limitP, cursorP},
			Responses: append([]openapi.Response{ok(200, typeOf[AuditList]())}, errs(400, 403, 406)...), Scopes: []string{"audit:read"}}, s.listAuditEvents},
	}
}
