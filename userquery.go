// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// UserField names a user field that a UserQuery compares or sorts by.
// Every field reads as text ("" when the user has none), except the two
// times.
type UserField string

// The fields a UserQuery knows.
const (
	UserID          UserField = "id"
	UserUsername    UserField = "username"
	UserEmail       UserField = "email"
	UserExternalID  UserField = "external_id"
	UserFirstName   UserField = "first_name"
	UserLastName    UserField = "last_name"
	UserFullName    UserField = "full_name"    // first and last names joined by a space
	UserDisplayName UserField = "display_name" // as shown: ShownDisplayName
	UserStatus      UserField = "status"
	UserPhone       UserField = "phone"  // the E.164 form, else the number as typed
	UserMobile      UserField = "mobile" // likewise
	UserLanguage    UserField = "language"
	UserTimeZone    UserField = "time_zone"
	UserManagerID   UserField = "manager_id"
	UserCreatedAt   UserField = "created_at" // a time
	UserUpdatedAt   UserField = "updated_at" // a time
)

// UserFields are the fields a UserQuery knows, in a fixed order.
var UserFields = []UserField{UserID, UserUsername, UserEmail, UserExternalID, UserFirstName, UserLastName, UserFullName,
	UserDisplayName, UserStatus, UserPhone, UserMobile, UserLanguage, UserTimeZone, UserManagerID, UserCreatedAt, UserUpdatedAt}

// IsTime reports whether the field holds a time rather than text.
func (f UserField) IsTime() bool { return f == UserCreatedAt || f == UserUpdatedAt }

// CondOp is what a UserCond does: a comparison of a field with a value,
// a combination of conditions, or a constant.
type CondOp string

// The operators of a UserCond. The comparisons are SCIM's (RFC 7644
// section 3.4.2.2) on text where an absent value is "": pr is "not
// empty", ne is "not eq", co/sw/ew with "" always hold, and gt/ge/lt/le
// compare byte-wise (after folding, when Fold is set). Times take
// eq ne gt ge lt le and pr (always true).
const (
	OpEq    CondOp = "eq"
	OpNe    CondOp = "ne"
	OpCo    CondOp = "co"
	OpSw    CondOp = "sw"
	OpEw    CondOp = "ew"
	OpPr    CondOp = "pr"
	OpGt    CondOp = "gt"
	OpGe    CondOp = "ge"
	OpLt    CondOp = "lt"
	OpLe    CondOp = "le"
	OpAnd   CondOp = "and"   // every one of Conds
	OpOr    CondOp = "or"    // one or more of Conds
	OpNot   CondOp = "not"   // not Conds[0]
	OpTrue  CondOp = "true"  // every user
	OpFalse CondOp = "false" // no user
)

// UserCond is a condition on a user's fields: a small filter tree that
// the stores translate into SQL (SCIM translates its filters into it).
type UserCond struct {
	Op    CondOp
	Field UserField // for a comparison
	// Value is what the field is compared with: a string, or a time.Time
	// for a time field; pr takes none.
	Value any
	// Fold compares case-insensitively (both sides lower-cased).
	Fold  bool
	Conds []UserCond // for and, or, not
}

// Check reports a condition the stores cannot run: an unknown field or
// operator, a value of the wrong type, an and/or without conditions, a
// not without exactly one.
func (c UserCond) Check() error {
	switch c.Op {
	case OpTrue, OpFalse:
		return nil
	case OpAnd, OpOr, OpNot:
		if c.Op == OpNot && len(c.Conds) != 1 {
			return Errorf(CodeInvalid, "not takes exactly one condition")
		}
		if len(c.Conds) == 0 {
			return Errorf(CodeInvalid, "%s takes one condition or more", c.Op)
		}
		for _, s := range c.Conds {
			if err := s.Check(); err != nil {
				return err
			}
		}
		return nil
	case OpEq, OpNe, OpCo, OpSw, OpEw, OpPr, OpGt, OpGe, OpLt, OpLe:
	default:
		return Errorf(CodeInvalid, "unknown operator %q", c.Op)
	}
	if !slices.Contains(UserFields, c.Field) {
		return Errorf(CodeInvalid, "unknown user field %q", c.Field)
	}
	if c.Op == OpPr {
		return nil
	}
	if c.Field.IsTime() {
		if _, ok := c.Value.(time.Time); !ok || c.Op == OpCo || c.Op == OpSw || c.Op == OpEw {
			return Errorf(CodeInvalid, "%s takes a time and eq, ne, gt, ge, lt, le or pr", c.Field)
		}
		return nil
	}
	if _, ok := c.Value.(string); !ok {
		return Errorf(CodeInvalid, "%s is compared with text, not %T", c.Field, c.Value)
	}
	return nil
}

// Match reports whether u meets c (which Check has accepted): the
// reference the stores' SQL is tested against.
func (c UserCond) Match(u *User) bool {
	switch c.Op {
	case OpTrue:
		return true
	case OpFalse:
		return false
	case OpAnd, OpOr:
		for _, s := range c.Conds {
			if s.Match(u) == (c.Op == OpOr) {
				return c.Op == OpOr
			}
		}
		return c.Op == OpAnd
	case OpNot:
		return !c.Conds[0].Match(u)
	case OpPr:
		return c.Field.IsTime() || UserText(u, c.Field) != ""
	}
	if c.Field.IsTime() {
		return holds(c.Op, cmpMicros(userTime(u, c.Field), c.Value.(time.Time)))
	}
	v, want := UserText(u, c.Field), c.Value.(string)
	if c.Fold {
		v, want = strings.ToLower(v), strings.ToLower(want)
	}
	switch c.Op {
	case OpCo:
		return strings.Contains(v, want)
	case OpSw:
		return strings.HasPrefix(v, want)
	case OpEw:
		return strings.HasSuffix(v, want)
	}
	return holds(c.Op, strings.Compare(v, want))
}

// holds applies an equality or ordering operator to a comparison's result.
func holds(op CondOp, c int) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpNe:
		return c != 0
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	}
	return false
}

// cmpMicros compares two times to the microsecond, the stores' precision.
func cmpMicros(a, b time.Time) int { return cmp.Compare(a.UnixMicro(), b.UnixMicro()) }

func userTime(u *User, f UserField) time.Time {
	if f == UserCreatedAt {
		return u.CreatedAt
	}
	return u.UpdatedAt
}

// UserText is a text field's value ("" when u has none).
func UserText(u *User, f UserField) string {
	switch f {
	case UserID:
		return u.ID
	case UserUsername:
		return u.Username
	case UserEmail:
		return u.Email
	case UserExternalID:
		return u.ExternalID
	case UserFirstName:
		return u.FirstName
	case UserLastName:
		return u.LastName
	case UserFullName:
		return strings.TrimSpace(u.FirstName + " " + u.LastName)
	case UserDisplayName:
		return u.ShownDisplayName()
	case UserStatus:
		return u.Status
	case UserPhone:
		return phoneText(u.Phone)
	case UserMobile:
		return phoneText(u.Mobile)
	case UserLanguage:
		return u.Preferences.Language
	case UserTimeZone:
		return u.Preferences.TimeZone
	case UserManagerID:
		return u.ManagerID
	}
	return ""
}

func phoneText(p *Phone) string {
	switch {
	case p == nil:
		return ""
	case p.E164 != "":
		return p.E164
	}
	return p.Number
}

// UserQuery selects one page of the users of an organisation's subtree
// that meet a condition, for SCIM's lists (offset pagination with a
// total, RFC 7644 section 3.4.2.4).
type UserQuery struct {
	// OrganizationID limits the users to those whose home organisation
	// is this one or below it; Visible, when not nil, to those a caller
	// may see (as in UserFilter).
	OrganizationID string
	Visible        *Visibility
	Where          *UserCond // nil: every user
	// SortBy sorts by a field, case-insensitively, users without it last
	// in either direction; ties, and an empty SortBy, go in creation
	// order (created_at, then the order they were stored in), which a
	// user created meanwhile does not change for those before it.
	SortBy     UserField
	Descending bool
	Offset     int // users skipped
	Limit      int // at most this many (0: none, only the total)
}

// UserPage is a UserQuery's answer: the page and how many users meet
// the condition in all.
type UserPage struct {
	Users []*User
	Total int
}

// Check reports a query the stores cannot run.
func (q UserQuery) Check() error {
	if q.OrganizationID == "" {
		return Errorf(CodeInvalid, "a user query needs an organisation")
	}
	if q.Offset < 0 || q.Limit < 0 {
		return Errorf(CodeInvalid, "offset and limit cannot be negative")
	}
	if q.SortBy != "" && !slices.Contains(UserFields, q.SortBy) {
		return Errorf(CodeInvalid, "unknown user field %q to sort by", q.SortBy)
	}
	if q.Where != nil {
		return q.Where.Check()
	}
	return nil
}

// SortKey is the text a UserQuery sorts u by: the field's value,
// lower-cased; a time as its microseconds, zero-padded.
func SortKey(u *User, f UserField) string {
	if f.IsTime() {
		return fmt.Sprintf("%020d", userTime(u, f).UnixMicro())
	}
	return strings.ToLower(UserText(u, f))
}
