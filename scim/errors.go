// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"errors"
	"strconv"

	"github.com/rosterhq/roster"
)

// Error is a SCIM error document (RFC 7644 section 3.12).
type Error struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
	status   int
}

func (e *Error) Error() string { return e.Detail }

func scimErr(status int, scimType, detail string) *Error {
	return &Error{Schemas: []string{URNError}, Status: strconv.Itoa(status), ScimType: scimType, Detail: detail, status: status}
}

// asSCIM turns any error into a SCIM error document: Roster's codes map
// to their statuses, with the scimType RFC 7644 gives each case.
func asSCIM(err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	var re *roster.Error
	if !errors.As(err, &re) {
		return scimErr(500, "", "internal error")
	}
	detail := re.Message
	for _, f := range re.Fields {
		detail += "; " + f.Location + ": " + f.Message
	}
	switch re.Code {
	case roster.CodeInvalid:
		return scimErr(400, "invalidValue", detail)
	case roster.CodeMalformed:
		return scimErr(400, "invalidSyntax", detail)
	case roster.CodeNotFound:
		return scimErr(404, "", detail)
	case roster.CodeConflict:
		return scimErr(409, "uniqueness", detail)
	case roster.CodePatchConflict:
		return scimErr(400, "invalidValue", detail)
	case roster.CodeForbidden:
		return scimErr(403, "", detail)
	case roster.CodeUnauthorized:
		return scimErr(401, "", detail)
	case roster.CodePreconditionFailed:
		return scimErr(412, "", detail)
	case roster.CodePreconditionRequired:
		return scimErr(428, "", detail)
	case roster.CodeTooLarge:
		return scimErr(413, "", detail)
	case roster.CodeRequestTimeout:
		return scimErr(408, "", detail)
	case roster.CodeUnsupportedMedia:
		return scimErr(415, "", detail)
	case roster.CodeNotAcceptable:
		return scimErr(406, "", detail)
	case roster.CodeRateLimited:
		return scimErr(429, "", detail)
	case roster.CodeGone:
		return scimErr(410, "", detail)
	case roster.CodeUnavailable:
		return scimErr(503, "", detail)
	}
	return scimErr(500, "", "internal error")
}

func itoa(i int) string { return strconv.Itoa(i) }

func quote(s string) string { return strconv.Quote(s) }
