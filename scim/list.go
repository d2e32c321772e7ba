// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/rosterhq/roster"
)

// maxScan bounds what a Groups list reads into memory: the organisations
// below the token's, and a group's members. More is 400 tooMany. (Users
// are filtered, sorted and paged in the store: Store.QueryUsers.)
const maxScan = 10000

type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

// listQuery is a list request's parameters (RFC 7644 section 3.4.2).
type listQuery struct {
	filter     filter.Expression
	sortBy     *filter.AttributePath
	descending bool
	startIndex int
	count      int
	proj       projection
}

func parseList(q url.Values, top []Attribute) (listQuery, error) {
	lq := listQuery{startIndex: 1, count: 100}
	var err error
	if f := q.Get("filter"); f != "" {
		if lq.filter, err = parseFilter(f, top); err != nil {
			return lq, err
		}
	}
	if s := q.Get("sortBy"); s != "" {
		p, err := filter.ParseAttrPath([]byte(s))
		if err == nil {
			_, _, err = resolve(p, top)
		}
		if err != nil {
			return lq, scimErr(400, "invalidValue", "sortBy must name a User attribute, not "+quote(s))
		}
		lq.sortBy = &p
	}
	switch o := strings.ToLower(q.Get("sortOrder")); o {
	case "", "ascending":
	case "descending":
		lq.descending = true
	default:
		return lq, scimErr(400, "invalidValue", "sortOrder must be ascending or descending")
	}
	if lq.startIndex, err = intParam(q, "startIndex", 1); err != nil {
		return lq, err
	}
	if lq.count, err = intParam(q, "count", 100); err != nil {
		return lq, err
	}
	// RFC 7644: a startIndex below 1 is 1, a negative count is 0.
	lq.startIndex = max(lq.startIndex, 1)
	lq.count = min(max(lq.count, 0), maxResults)
	lq.proj, err = parseProjection(q)
	return lq, err
}

func intParam(q url.Values, name string, def int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, scimErr(400, "invalidValue", name+" must be an integer")
	}
	return n, nil
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	h.list(w, r, c, r.URL.Query())
}

// searchUsers is POST /Users/.search: the list's parameters in a body.
func (h *Handler) searchUsers(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	var in struct {
		Filter             string   `json:"filter"`
		SortBy             string   `json:"sortBy"`
		SortOrder          string   `json:"sortOrder"`
		StartIndex         *int     `json:"startIndex"`
		Count              *int     `json:"count"`
		Attributes         []string `json:"attributes"`
		ExcludedAttributes []string `json:"excludedAttributes"`
	}
	if err := readDoc(r, &in); err != nil {
		h.writeErr(w, r, err)
		return
	}
	q := url.Values{}
	for k, v := range map[string]string{"filter": in.Filter, "sortBy": in.SortBy, "sortOrder": in.SortOrder,
		"attributes": strings.Join(in.Attributes, ","), "excludedAttributes": strings.Join(in.ExcludedAttributes, ",")} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if in.StartIndex != nil {
		q.Set("startIndex", strconv.Itoa(*in.StartIndex))
	}
	if in.Count != nil {
		q.Set("count", strconv.Itoa(*in.Count))
	}
	h.list(w, r, c, q)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, c *roster.Caller, q url.Values) {
	lq, err := parseList(q, userAttrs)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	base := baseURL(r)
	if ref, ok := indexedRef(lq.filter, c.User.OrganizationID); ok {
		docs, err := h.lookup(r.Context(), c, ref, lq.filter, base)
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		h.page(w, docs, lq, userAttrs)
		return
	}
	uq := roster.UserQuery{OrganizationID: c.User.OrganizationID, Offset: lq.startIndex - 1, Limit: lq.count, Descending: lq.descending}
	if lq.sortBy != nil {
		uq.SortBy = userSort(*lq.sortBy)
	}
	if lq.filter != nil {
		cond, err := userCond(lq.filter)
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		uq.Where = &cond
	}
	found, err := h.svc.QueryUsers(r.Context(), c, uq)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := listResponse{Schemas: []string{URNList}, TotalResults: found.Total, StartIndex: lq.startIndex, Resources: []any{}}
	for _, u := range found.Users {
		out.Resources = append(out.Resources, lq.proj.apply(userDoc(u, base), userAttrs))
	}
	out.ItemsPerPage = len(out.Resources)
	write(w, 200, out)
}

// lookup answers a filter that pins one user by userName or externalId
// (what an identity provider asks before every creation) with one index
// lookup, the rest of the filter evaluated on that user.
func (h *Handler) lookup(ctx context.Context, c *roster.Caller, ref string, f filter.Expression, base string) ([]doc, error) {
	u, err := h.svc.User(ctx, c, ref)
	switch {
	case roster.ErrorCode(err) == roster.CodeNotFound:
		return nil, nil
	case err != nil:
		return nil, err
	}
	if d := userDoc(u, base); match(f, d, userAttrs) {
		return []doc{d}, nil
	}
	return nil, nil
}

// page sorts the matching resources and answers the page asked for.
func (h *Handler) page(w http.ResponseWriter, docs []doc, lq listQuery, top []Attribute) {
	if lq.sortBy != nil {
		sortDocs(docs, *lq.sortBy, lq.descending, top)
	}
	out := listResponse{Schemas: []string{URNList}, TotalResults: len(docs), StartIndex: lq.startIndex, Resources: []any{}}
	from := min(lq.startIndex-1, len(docs))
	for _, d := range docs[from:min(from+lq.count, len(docs))] {
		out.Resources = append(out.Resources, lq.proj.apply(d, top))
	}
	out.ItemsPerPage = len(out.Resources)
	write(w, 200, out)
}

// readUsers reads every page that next gives, at most maxScan users;
// beyond that it answers 400 tooMany, saying tooMany.
func readUsers(next func(*roster.Cursor) ([]*roster.User, *roster.Cursor, error), tooMany string) ([]*roster.User, error) {
	var all []*roster.User
	var cur *roster.Cursor
	for {
		page, more, err := next(cur)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(all) > maxScan {
			return nil, scimErr(400, "tooMany", tooMany)
		}
		if more == nil {
			return all, nil
		}
		cur = more
	}
}

// indexedRef returns the service's reference for a filter that pins one
// user by userName or externalId (alone or and-ed with more).
func indexedRef(f filter.Expression, org string) (string, bool) {
	switch f := f.(type) {
	case *filter.AttributeExpression:
		v, ok := f.CompareValue.(string)
		p := f.AttributePath
		if !ok || f.Operator != filter.EQ || p.SubAttribute != nil || (p.URIPrefix != nil && !strings.EqualFold(*p.URIPrefix, URNUser)) {
			return "", false
		}
		switch {
		case strings.EqualFold(p.AttributeName, "userName"):
			return "username:" + v, true
		case strings.EqualFold(p.AttributeName, "externalId"):
			return "external:" + org + ":" + v, true
		}
	case *filter.LogicalExpression:
		if f.Operator != filter.AND {
			return "", false
		}
		if ref, ok := indexedRef(f.Left, org); ok {
			return ref, true
		}
		return indexedRef(f.Right, org)
	}
	return "", false
}

// sortDocs sorts by an attribute's value (a multi-valued one's primary
// or first), case-insensitively; users without it go last.
func sortDocs(docs []doc, p filter.AttributePath, descending bool, top []Attribute) {
	a, sub, _ := resolve(p, top) // once, not per comparison
	key := func(d doc) string {
		v := container(d, p)[a.Name]
		if a.MultiValued {
			s, _ := primaryValue(v)
			return strings.ToLower(s)
		}
		if sub != nil {
			m, _ := v.(doc)
			v = m[sub.Name]
		}
		s, _ := v.(string)
		return strings.ToLower(s)
	}
	slices.SortStableFunc(docs, func(a, b doc) int {
		ka, kb := key(a), key(b)
		if ka == "" || kb == "" {
			return cmp.Compare(kb, ka) // empty last in either order
		}
		if descending {
			return cmp.Compare(kb, ka)
		}
		return cmp.Compare(ka, kb)
	})
}
