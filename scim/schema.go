// SPDX-License-Identifier: Apache-2.0

// Package scim serves /scim/v2 (RFC 7643, RFC 7644; PRODUCT.md section
// 11): an identity provider provisions Roster users through it. Every
// change goes through the service as an ordinary Roster change; this
// package only translates between SCIM resources and Roster's.
package scim

import "strings"

// Schema URNs.
const (
	URNUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	URNGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	URNEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	URNList       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	URNError      = "urn:ietf:params:scim:api:messages:2.0:Error"
	URNPatch      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	URNSPConfig   = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	URNResource   = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	URNSchema     = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Attribute is one attribute definition (RFC 7643 section 7). The same
// definitions answer /Schemas, canonicalise the attribute names a client
// sends (SCIM names are case-insensitive), type its values ("True"
// strings become booleans) and tell a filter which attributes exist.
type Attribute struct {
	Name          string      `json:"name"`
	Type          string      `json:"type"`
	MultiValued   bool        `json:"multiValued"`
	Description   string      `json:"description,omitempty"`
	Required      bool        `json:"required"`
	CaseExact     bool        `json:"caseExact"`
	Mutability    string      `json:"mutability"`
	Returned      string      `json:"returned"`
	Uniqueness    string      `json:"uniqueness"`
	SubAttributes []Attribute `json:"subAttributes,omitempty"`
}

// Schema is a resource schema as /Schemas shows it.
type Schema struct {
	Schemas     []string    `json:"schemas"`
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Attributes  []Attribute `json:"attributes"`
	Meta        *Meta       `json:"meta,omitempty"`
}

func attr(name, typ, desc string) Attribute {
	return Attribute{Name: name, Type: typ, Description: desc, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
}

func (a Attribute) required() Attribute        { a.Required = true; return a }
func (a Attribute) unique(u string) Attribute  { a.Uniqueness = u; return a }
func (a Attribute) mutable(m string) Attribute { a.Mutability = m; return a }
func (a Attribute) multi() Attribute           { a.MultiValued = true; return a }
func (a Attribute) exact() Attribute           { a.CaseExact = true; return a }
func (a Attribute) returned(r string) Attribute {
	a.Returned = r
	return a
}
func (a Attribute) sub(subs ...Attribute) Attribute {
	a.SubAttributes = subs
	return a
}

// multiValue is the sub-attributes every multi-valued attribute of the
// core schema has (emails, phoneNumbers).
func multiValue(what string) []Attribute {
	return []Attribute{
		attr("value", "string", "The "+what+"."),
		attr("display", "string", "A label for the "+what+"."),
		attr("type", "string", "work, home, mobile, other…"),
		attr("primary", "boolean", "Whether this is the primary "+what+"."),
	}
}

// commonAttributes are those of every resource (RFC 7643 section 3.1).
var commonAttributes = []Attribute{
	attr("id", "string", "Roster's id for the resource.").exact().mutable("readOnly").returned("always").unique("server"),
	attr("externalId", "string", "The identity provider's id: Roster's external_id, unique per organisation.").exact(),
	attr("meta", "complex", "Resource metadata.").mutable("readOnly").sub(
		attr("resourceType", "string", "User or Group.").mutable("readOnly"),
		attr("created", "dateTime", "When the resource was created.").mutable("readOnly"),
		attr("lastModified", "dateTime", "When it last changed.").mutable("readOnly"),
		attr("location", "reference", "Its URI.").mutable("readOnly"),
		attr("version", "string", "W/\"<version>\", Roster's version: send it in If-Match.").mutable("readOnly"),
	),
}

// userSchema is the core User schema as Roster supports it: the
// attributes it stores, and those Roster has no field for, which it
// accepts and does not keep (an identity provider sends them anyway).
var userSchema = Schema{
	Schemas: []string{URNSchema}, ID: URNUser, Name: "User", Description: "User Account",
	Attributes: []Attribute{
		attr("userName", "string", "Roster's username: unique in the whole server.").required().unique("server"),
		attr("name", "complex", "The user's name.").sub(
			attr("formatted", "string", "The full name (read: given and family names joined)."),
			attr("familyName", "string", "Roster's last_name."),
			attr("givenName", "string", "Roster's first_name (required by Roster: defaults to displayName or userName)."),
		),
		attr("displayName", "string", "Roster's display_name (at most 63 characters)."),
		attr("active", "boolean", "false disables the user (Roster's status)."),
		attr("emails", "complex", "The primary (or first) value is Roster's email.").multi().sub(multiValue("email address")...),
		attr("phoneNumbers", "complex", "type mobile is Roster's mobile, any other type its phone; a number not in international form (+…) is accepted and not stored.").multi().sub(multiValue("phone number")...),
		attr("preferredLanguage", "string", "Roster's preferences.language (BCP 47)."),
		attr("locale", "string", "Also preferences.language, when preferredLanguage is not sent."),
		attr("timezone", "string", "Roster's preferences.time_zone (IANA)."),
		attr("title", "string", "Accepted, not stored."),
		attr("userType", "string", "Accepted, not stored."),
		attr("nickName", "string", "Accepted, not stored."),
		attr("profileUrl", "reference", "Accepted, not stored."),
		attr("addresses", "complex", "Accepted, not stored.").multi().sub(
			attr("formatted", "string", ""), attr("streetAddress", "string", ""), attr("locality", "string", ""),
			attr("region", "string", ""), attr("postalCode", "string", ""), attr("country", "string", ""),
			attr("type", "string", ""), attr("primary", "boolean", "")),
		attr("groups", "complex", "Not kept on the user.").multi().mutable("readOnly").sub(
			attr("value", "string", ""), attr("display", "string", "")),
		attr("roles", "complex", "Accepted, not stored (Roster's roles are not provisioned).").multi().sub(multiValue("role")...),
	},
}

// enterpriseSchema is the enterprise extension: manager is Roster's
// manager_id; the rest is accepted and not stored.
var enterpriseSchema = Schema{
	Schemas: []string{URNSchema}, ID: URNEnterprise, Name: "EnterpriseUser", Description: "Enterprise User",
	Attributes: []Attribute{
		attr("employeeNumber", "string", "Accepted, not stored."),
		attr("costCenter", "string", "Accepted, not stored."),
		attr("organization", "string", "Accepted, not stored."),
		attr("division", "string", "Accepted, not stored."),
		attr("department", "string", "Accepted, not stored."),
		attr("manager", "complex", "value is Roster's manager_id: a user id, or the externalId of a user of the token's organisation; a manager Roster does not know (yet) is left unset.").sub(
			attr("value", "string", "The manager's id."),
			attr("$ref", "reference", "The manager's URI.").mutable("readOnly"),
			attr("displayName", "string", "The manager's display name.").mutable("readOnly"),
		),
	},
}

// groupSchema is a Group: an organisation below the token's, whose
// members are that organisation's memberships.
var groupSchema = Schema{
	Schemas: []string{URNSchema}, ID: URNGroup, Name: "Group", Description: "Group",
	Attributes: []Attribute{
		attr("displayName", "string", "The organisation's name.").required(),
		attr("members", "complex", "The organisation's members: a user added gets the member role there unless it holds one already.").multi().sub(
			attr("value", "string", "The user's id.").exact().mutable("immutable"),
			attr("display", "string", "The user's display name.").mutable("readOnly"),
			attr("$ref", "reference", "The user's URI.").mutable("readOnly"),
			attr("type", "string", "User.").mutable("immutable"),
		),
	},
}

// userAttrs are a User's top-level attributes, the common ones included.
var userAttrs = schemaAttributes(URNUser)

// groupAttrs are a Group's top-level attributes.
var groupAttrs = schemaAttributes(URNGroup)

// schemaAttributes returns the top-level attributes of a schema URN
// (with the common ones for the core schema), nil for an unknown URN.
func schemaAttributes(urn string) []Attribute {
	switch {
	case strings.EqualFold(urn, URNUser):
		return append(commonAttributes[:len(commonAttributes):len(commonAttributes)], userSchema.Attributes...)
	case strings.EqualFold(urn, URNGroup):
		return append(commonAttributes[:len(commonAttributes):len(commonAttributes)], groupSchema.Attributes...)
	case strings.EqualFold(urn, URNEnterprise):
		return enterpriseSchema.Attributes
	}
	return nil
}

// find returns the attribute of attrs named name (case-insensitively).
func find(attrs []Attribute, name string) (Attribute, bool) {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return Attribute{}, false
}
