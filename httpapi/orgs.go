// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"

	"github.com/rosterhq/roster"
)

func (s *server) createOrg(w http.ResponseWriter, r *http.Request) {
	var in roster.OrgInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := s.Service.CreateOrg(r.Context(), state(r).caller, &in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/orgs/"+o.ID)
	s.sendVersioned(w, r, http.StatusCreated, o.Version, "organization", orgResource(o))
}

func (s *server) listOrgs(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	f := roster.OrgFilter{
		ParentID:      q.str("parent_id", 64),
		Status:        q.oneOf("status", roster.StatusEnabled, roster.StatusDisabled),
		Feature:       q.str("feature", 64),
		Query:         q.str("q", 255),
		CreatedAfter:  q.time("created_after"),
		CreatedBefore: q.time("created_before"),
		Limit:         q.limit(),
		Cursor:        q.cursor("created_at"),
	}
	if err := q.err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	orgs, next, err := s.Service.Orgs(r.Context(), state(r).caller, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list := OrgList{Items: make([]OrgResource, 0, len(orgs)), NextCursor: nextCursor(next)}
	for _, o := range orgs {
		list.Items = append(list.Items, orgResource(o))
	}
	s.respond(w, r, http.StatusOK, "list", list)
}

func (s *server) getOrg(w http.ResponseWriter, r *http.Request) {
	o, err := s.Service.Org(r.Context(), state(r).caller, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sendVersioned(w, r, http.StatusOK, o.Version, "organization", orgResource(o))
}

func (s *server) replaceOrg(w http.ResponseWriter, r *http.Request) {
	var in roster.OrgInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := s.Service.ReplaceOrg(r.Context(), state(r).caller, r.PathValue("id"), &in, precondition(r))
	s.orgWritten(w, r, o, err)
}

func (s *server) patchOrg(w http.ResponseWriter, r *http.Request) {
	format, patch, err := decodePatch(w, r, &roster.OrgInput{})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := s.Service.PatchOrg(r.Context(), state(r).caller, r.PathValue("id"), format, patch, precondition(r))
	s.orgWritten(w, r, o, err)
}

func (s *server) orgWritten(w http.ResponseWriter, r *http.Request, o *roster.Organization, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sendVersioned(w, r, http.StatusOK, o.Version, "organization", orgResource(o))
}

func (s *server) deleteOrg(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.DeleteOrg(r.Context(), state(r).caller, r.PathValue("id"), precondition(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// CreditInput is the body of the credit adjustment call.
type CreditInput struct {
	Amount string `json:"amount" required:"true" example:"-12.50" doc:"Decimal string, may be negative; at most 4 decimals."`
	Reason string `json:"reason" required:"true" minLength:"1" maxLength:"255"`
}

func (s *server) adjustCredit(w http.ResponseWriter, r *http.Request) {
	var in CreditInput
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := s.Service.AdjustCredit(r.Context(), state(r).caller, r.PathValue("id"), in.Amount, in.Reason)
	s.orgWritten(w, r, o, err)
}
