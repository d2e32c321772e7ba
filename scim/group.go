// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/rosterhq/roster"
)

// Groups are the organisations below the token's organisation (not that
// organisation itself); a group's members are the users with a
// membership there. A member added gets the member role unless it holds
// a role there already; a member removed loses its membership (its home
// organisation's cannot be removed: 409).

// groupDoc is the SCIM form of an organisation and, when withMembers,
// its members (not read for excludedAttributes=members).
func groupDoc(o *roster.Organization, members []*roster.User, withMembers bool, base string) doc {
	d := doc{
		"schemas":     []any{URNGroup},
		"id":          o.ID,
		"displayName": o.Name,
		"meta":        metaDoc("Group", o.CreatedAt, o.UpdatedAt, base+"/Groups/"+o.ID, o.Version),
	}
	if o.ExternalID != "" {
		d["externalId"] = o.ExternalID
	}
	if withMembers {
		list := []any{}
		for _, u := range members {
			list = append(list, doc{"value": u.ID, "display": u.ShownDisplayName(), "$ref": base + "/Users/" + u.ID, "type": "User"})
		}
		d["members"] = list
	}
	return d
}

// group finds an organisation below the token's by id.
func (h *Handler) group(ctx context.Context, c *roster.Caller, id string) (*roster.Organization, error) {
	if !roster.ValidID(roster.PrefixOrg, id) || id == c.User.OrganizationID {
		return nil, scimErr(404, "", "no group "+quote(id))
	}
	return h.svc.Org(ctx, c, id)
}

// members reads a group's members, at most maxScan of them.
func (h *Handler) members(ctx context.Context, c *roster.Caller, orgID string) ([]*roster.User, error) {
	f := roster.UserFilter{Sort: "created_at", Limit: 500}
	return readUsers(func(cur *roster.Cursor) ([]*roster.User, *roster.Cursor, error) {
		f.Cursor = cur
		return h.svc.Members(ctx, c, orgID, f)
	}, "the group has more than "+strconv.Itoa(maxScan)+" members: ask with excludedAttributes=members")
}

// wantsMembers reports whether an answer shows members, so that they are
// read only then.
func wantsMembers(p projection) bool {
	for _, ap := range p.paths {
		if ap.URIPrefix == nil && strings.EqualFold(ap.AttributeName, "members") {
			return !p.exclude
		}
	}
	return len(p.paths) == 0 || p.exclude
}

// mentions reports whether a filter names the attribute: a group's
// members are read for a filter only when it looks at them (an IdP's
// displayName lookup does not).
func mentions(e filter.Expression, name string) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return mentions(e.Left, name) || mentions(e.Right, name)
	case *filter.NotExpression:
		return mentions(e.Expression, name)
	case *filter.ValuePath:
		return strings.EqualFold(e.AttributePath.AttributeName, name)
	case *filter.AttributeExpression:
		return strings.EqualFold(e.AttributePath.AttributeName, name)
	}
	return false
}

func (h *Handler) groupDocOf(ctx context.Context, c *roster.Caller, o *roster.Organization, base string, withMembers bool) (doc, error) {
	var members []*roster.User
	if withMembers {
		var err error
		if members, err = h.members(ctx, c, o.ID); err != nil {
			return nil, err
		}
	}
	return groupDoc(o, members, withMembers, base), nil
}

func (h *Handler) sendGroup(w http.ResponseWriter, r *http.Request, c *roster.Caller, status int, o *roster.Organization) {
	p, err := parseProjection(r.URL.Query())
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	d, err := h.groupDocOf(r.Context(), c, o, baseURL(r), wantsMembers(p))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(o.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", baseURL(r)+"/Groups/"+o.ID)
	}
	write(w, status, p.apply(d, groupAttrs))
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	o, err := h.group(r.Context(), c, r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.sendGroup(w, r, c, 200, o)
}

// listGroups reads the organisations below the token's, breadth first,
// at most maxScan of them, and filters, sorts and pages them as the
// users' list does.
func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	ctx := r.Context()
	lq, err := parseList(r.URL.Query(), groupAttrs)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	orgs, err := h.subtree(ctx, c)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	var docs []doc
	for _, o := range orgs {
		d, err := h.groupDocOf(ctx, c, o, baseURL(r), wantsMembers(lq.proj) || mentions(lq.filter, "members"))
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		if lq.filter == nil || match(lq.filter, d, groupAttrs) {
			docs = append(docs, d)
		}
	}
	h.page(w, docs, lq, groupAttrs)
}

// subtree returns the organisations below the token's.
func (h *Handler) subtree(ctx context.Context, c *roster.Caller) ([]*roster.Organization, error) {
	var out []*roster.Organization
	queue := []string{c.User.OrganizationID}
	for len(queue) > 0 {
		f := roster.OrgFilter{ParentID: queue[0], Limit: 500}
		queue = queue[1:]
		for {
			page, next, err := h.svc.Orgs(ctx, c, f)
			if err != nil {
				return nil, err
			}
			for _, o := range page {
				out = append(out, o)
				queue = append(queue, o.ID)
			}
			if len(out) > maxScan {
				return nil, scimErr(400, "tooMany", "more than "+strconv.Itoa(maxScan)+" groups: Roster lists at most that many")
			}
			if next == nil {
				break
			}
			f.Cursor = next
		}
	}
	return out, nil
}

// groupFields are what a Group carries: the name, the externalId and
// the member ids.
type groupFields struct {
	name, externalID string
	members          []string
}

func groupFieldsOf(d doc) (groupFields, error) {
	var g groupFields
	g.name, _ = d["displayName"].(string)
	if g.name == "" {
		return g, scimErr(400, "invalidValue", "displayName is required")
	}
	g.externalID, _ = d["externalId"].(string)
	for _, m := range asList(d["members"]) {
		el, _ := m.(doc)
		if v, _ := el["value"].(string); v != "" && !slices.Contains(g.members, v) {
			g.members = append(g.members, v)
		}
	}
	return g, nil
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	ctx := r.Context()
	var in doc
	if err := readDoc(r, &in); err != nil {
		h.writeErr(w, r, err)
		return
	}
	g, err := groupFieldsOf(normalize(in, URNGroup))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	parent := c.User.OrganizationID
	oi := &roster.OrgInput{Name: &g.name, ParentID: &parent}
	if g.externalID != "" {
		oi.ExternalID = &g.externalID
	}
	o, err := h.svc.CreateOrg(ctx, c, oi)
	if err != nil {
		h.writeErr(w, r, uniqueness(err))
		return
	}
	if err := h.setMembers(ctx, c, o.ID, nil, g.members); err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.sendGroup(w, r, c, http.StatusCreated, o)
}

func (h *Handler) replaceGroup(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	var in doc
	if err := readDoc(r, &in); err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.updateGroup(w, r, c, func(doc) (doc, error) { return normalize(in, URNGroup), nil })
}

func (h *Handler) patchGroup(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	var in patchRequest
	if err := readDoc(r, &in); err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.updateGroup(w, r, c, func(cur doc) (doc, error) { return cur, applyPatch(cur, in.Operations, groupAttrs) })
}

// updateGroup writes what next makes of a group: its name and externalId
// as a merge patch of the organisation (under If-Match or the version
// read), then the members added and removed, one membership each.
func (h *Handler) updateGroup(w http.ResponseWriter, r *http.Request, c *roster.Caller, next func(doc) (doc, error)) {
	ctx := r.Context()
	o, err := h.group(ctx, c, r.PathValue("id"))
	if err == nil {
		err = checkIfMatch(r, o.Version, "group")
	}
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	cur, err := h.groupDocOf(ctx, c, o, baseURL(r), true)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	had, _ := groupFieldsOf(cur)
	d, err := next(normalize(cur, URNGroup))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	g, err := groupFieldsOf(d)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	if g.name != had.name || g.externalID != had.externalID {
		patch, _ := json.Marshal(map[string]any{"name": g.name, "external_id": nullIfEmpty(g.externalID)})
		version := o.Version
		if o, err = h.svc.PatchOrg(ctx, c, o.ID, roster.MergePatch, patch, func(v int64) bool { return v == version }); err != nil {
			h.writeErr(w, r, uniqueness(err))
			return
		}
	}
	if err := h.setMembers(ctx, c, o.ID, had.members, g.members); err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.sendGroup(w, r, c, 200, o)
}

// setMembers adds the members in next that are not in had and removes
// those gone. A member that names no user the token can see is 400.
func (h *Handler) setMembers(ctx context.Context, c *roster.Caller, orgID string, had, next []string) error {
	for _, id := range next {
		if slices.Contains(had, id) {
			continue
		}
		u, err := h.user(ctx, c, id)
		if err != nil && asSCIM(err).status == 404 {
			return scimErr(400, "invalidValue", "members: "+quote(id)+" names no user")
		} else if err != nil {
			return err
		}
		if u.RolesIn(orgID) != nil {
			continue // a role there already, perhaps higher than member
		}
		if _, err := h.svc.PutMember(ctx, c, orgID, u.ID, []string{"member"}, nil); err != nil {
			return err
		}
	}
	for _, id := range had {
		if !slices.Contains(next, id) {
			if err := h.svc.DeleteMember(ctx, c, orgID, id, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	pre, err := precondition(r)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	o, err := h.group(r.Context(), c, r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	if err := h.svc.DeleteOrg(r.Context(), c, o.ID, pre); err != nil {
		h.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
