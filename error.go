// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error class. The HTTP layer maps each code to
// one status in one place; stores and the service only ever speak in codes.
type Code string

// The error codes of Roster.
const (
	CodeInvalid              Code = "invalid"               // failed validation, unknown field, read-only field changed
	CodeMalformed            Code = "malformed"             // the request could not be parsed at all
	CodeNotFound             Code = "not_found"             // no such resource, or one the caller may not see
	CodeConflict             Code = "conflict"              // a unique value is taken, or the resource is in use
	CodePatchConflict        Code = "patch_conflict"        // a JSON Patch test failed or cannot apply
	CodeForbidden            Code = "forbidden"             // the caller may see but not do this
	CodeUnauthorized         Code = "unauthorized"          // no or bad credentials
	CodePreconditionFailed   Code = "precondition_failed"   // If-Match did not match
	CodePreconditionRequired Code = "precondition_required" // If-Match is required but absent
	CodeTooLarge             Code = "too_large"             // body over the limit
	CodeRequestTimeout       Code = "request_timeout"       // the body did not arrive in time
	CodeUnsupportedMedia     Code = "unsupported_media"     // content type not accepted
	CodeNotAcceptable        Code = "not_acceptable"        // no response format matches Accept
	CodeRateLimited          Code = "rate_limited"          // too many requests
	CodeGone                 Code = "gone"                  // what was asked for has passed its retention
	CodeUnavailable          Code = "unavailable"           // a dependency (the database) does not answer
	CodeInternal             Code = "internal"              // anything else
)

// Error is Roster's error type: a code, a message a person can act on, and,
// for validation failures, one entry per bad field.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
}

// FieldError names one bad input field: where it is (for example
// "body.preferences.language"), what is wrong with it, and the rejected value.
type FieldError struct {
	Location string `json:"location" doc:"Where the bad value is, e.g. body.preferences.language."`
	Message  string `json:"message" doc:"What is wrong, in words a person can act on."`
	Value    any    `json:"value,omitempty" doc:"The rejected value (never for secrets)."`
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s: %s: %s", e.Message, e.Fields[0].Location, e.Fields[0].Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a CodeInvalid error listing the given field errors.
func Invalid(fields ...FieldError) *Error {
	msg := "the request has invalid fields"
	if len(fields) == 1 {
		msg = "the request has an invalid field"
	}
	return &Error{Code: CodeInvalid, Message: msg, Fields: fields}
}

// ErrorCode returns the code of err, or CodeInternal for any error that is
// not an *Error. A nil error has no code.
func ErrorCode(err error) Code {
	if err == nil {
		return "" // before e, which errors.As moves to the heap: no allocation on success
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the human message of err; internal errors get a
// generic message so that nothing internal leaks to a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
