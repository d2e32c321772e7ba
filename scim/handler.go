// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/service"
)

// Base is the path every SCIM endpoint lives under.
const Base = "/scim/v2"

// maxBody bounds a request body, as for the rest of the API.
const maxBody = 1 << 20

// Handler serves /scim/v2.
type Handler struct {
	svc *service.Service
	log *slog.Logger // internal errors, which the client sees only as "internal error"
	mux *http.ServeMux
}

// NewHandler returns the /scim/v2 handler.
func NewHandler(svc *service.Service, log *slog.Logger) *Handler {
	h := &Handler{svc: svc, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+Base+"/ServiceProviderConfig", h.serviceProviderConfig)
	h.mux.HandleFunc("GET "+Base+"/ResourceTypes", h.resourceTypes)
	h.mux.HandleFunc("GET "+Base+"/ResourceTypes/{id}", h.resourceType)
	h.mux.HandleFunc("GET "+Base+"/Schemas", h.schemas)
	h.mux.HandleFunc("GET "+Base+"/Schemas/{id}", h.schema)
	h.mux.HandleFunc("GET "+Base+"/Users", h.authed(h.listUsers))
	h.mux.HandleFunc("POST "+Base+"/Users/.search", h.authed(h.searchUsers))
	h.mux.HandleFunc("POST "+Base+"/Users", h.authed(h.createUser))
	h.mux.HandleFunc("GET "+Base+"/Users/{id}", h.authed(h.getUser))
	h.mux.HandleFunc("PUT "+Base+"/Users/{id}", h.authed(h.replaceUser))
	h.mux.HandleFunc("PATCH "+Base+"/Users/{id}", h.authed(h.patchUser))
	h.mux.HandleFunc("DELETE "+Base+"/Users/{id}", h.authed(h.deleteUser))
	h.mux.HandleFunc("POST "+Base+"/Bulk", h.authed(h.bulk))
	h.mux.HandleFunc("GET "+Base+"/Groups", h.authed(h.listGroups))
	h.mux.HandleFunc("POST "+Base+"/Groups", h.authed(h.createGroup))
	h.mux.HandleFunc("GET "+Base+"/Groups/{id}", h.authed(h.getGroup))
	h.mux.HandleFunc("PUT "+Base+"/Groups/{id}", h.authed(h.replaceGroup))
	h.mux.HandleFunc("PATCH "+Base+"/Groups/{id}", h.authed(h.patchGroup))
	h.mux.HandleFunc("DELETE "+Base+"/Groups/{id}", h.authed(h.deleteGroup))
	return h
}

// endpoints are the resource endpoints' names, matched
// case-insensitively (clients write /users as well as /Users).
var endpoints = []string{"ServiceProviderConfig", "ResourceTypes", "Schemas", "Users", "Groups", "Bulk"}

// ServeHTTP routes a request; a trailing slash is ignored (clients
// write /Users/?filter=…).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimSuffix(r.URL.Path, "/")
	if rest, ok := strings.CutPrefix(p, Base+"/"); ok {
		name, tail, _ := strings.Cut(rest, "/")
		for _, e := range endpoints {
			if strings.EqualFold(name, e) {
				name = e
			}
		}
		p = Base + "/" + name
		if tail != "" {
			p += "/" + tail
		}
	}
	if p != r.URL.Path {
		r.URL.Path, r.URL.RawPath = p, ""
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.writeErr(w, r, scimErr(404, "", "no SCIM endpoint "+r.Method+" "+r.URL.Path+": this server has ServiceProviderConfig, ResourceTypes, Schemas, Users, Groups and Bulk under "+Base))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// authed authenticates the bearer token and turns it into the SCIM
// caller (service.SCIMCaller) before fn runs.
func (h *Handler) authed(fn func(http.ResponseWriter, *http.Request, *roster.Caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
			h.writeErr(w, r, scimErr(401, "", "authentication required: send Authorization: Bearer <API key or client token with the scim scope>"))
			return
		}
		c, err := h.svc.Authenticate(r.Context(), strings.TrimSpace(token))
		if err == nil {
			c, err = h.svc.SCIMCaller(r.Context(), c)
		}
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		fn(w, r, c)
	}
}

// write sends a SCIM document.
func write(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = 500, []byte(`{"schemas":["`+URNError+`"],"status":"500","detail":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/scim+json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeErr answers err as a SCIM error; an internal one, which the client
// reads only as "internal error", is logged with its cause.
func (h *Handler) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	e := asSCIM(err)
	if e.status == http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	write(w, e.status, e)
}

// readDoc reads a JSON object body sent as application/scim+json or
// application/json (or with no content type, as some clients do).
func readDoc(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/scim+json" && mt != "application/json") {
			return scimErr(415, "", "send the body as application/scim+json or application/json, not "+quote(ct))
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return scimErr(400, "invalidSyntax", "the body could not be read")
	}
	if len(body) > maxBody {
		return scimErr(413, "", "the body is over 1 MiB")
	}
	if err := roster.CheckJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return scimErr(400, "invalidSyntax", "the body is not a JSON object of the expected form: "+err.Error())
	}
	return nil
}

// baseURL is the absolute URL of /scim/v2 as this request reached it,
// for meta.location.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Base
}

// sendUser answers one user, with its version as ETag.
func (h *Handler) sendUser(w http.ResponseWriter, r *http.Request, status int, u *roster.User) {
	d := userDoc(u, baseURL(r))
	w.Header().Set("ETag", etag(u.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", baseURL(r)+"/Users/"+u.ID)
	}
	d, err := projectQuery(d, r, userAttrs)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	write(w, status, d)
}

// precondition reads If-Match: a SCIM version (W/"n"), Roster's own
// ETag ("n") or *; nil when absent.
func precondition(r *http.Request) (service.Precondition, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return nil, nil
	}
	var ok []int64
	for _, t := range strings.Split(h, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		n, err := strconv.ParseInt(strings.Trim(t, `"`), 10, 64)
		if err != nil {
			return nil, scimErr(400, "invalidSyntax", "If-Match must hold meta.version values such as W/\"3\"")
		}
		ok = append(ok, n)
	}
	return func(v int64) bool {
		for _, n := range ok {
			if n == v {
				return true
			}
		}
		return false
	}, nil
}

// checkIfMatch answers 412 when If-Match names another version than the
// resource's (what) current one.
func checkIfMatch(r *http.Request, version int64, what string) error {
	pre, err := precondition(r)
	if err != nil {
		return err
	}
	if pre != nil && !pre(version) {
		return scimErr(412, "", "If-Match does not match meta.version "+etag(version)+": read the "+what+" again and retry")
	}
	return nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	u, err := h.user(r.Context(), c, r.PathValue("id"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.sendUser(w, r, 200, u)
}

// user finds a user by its Roster id; anything else is not found.
func (h *Handler) user(ctx context.Context, c *roster.Caller, id string) (*roster.User, error) {
	if !roster.ValidID(roster.PrefixUser, id) {
		return nil, scimErr(404, "", "no user "+quote(id))
	}
	return h.svc.User(ctx, c, id)
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	var in doc
	if err := readDoc(r, &in); err != nil {
		h.writeErr(w, r, err)
		return
	}
	f, err := fieldsOf(normalize(in, URNUser))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	if f.Email == "" {
		h.writeErr(w, r, scimErr(400, "invalidValue", "Roster needs an email address: send emails (or a userName that is one)"))
		return
	}
	if err := h.resolveManager(r.Context(), c, &f); err != nil {
		h.writeErr(w, r, err)
		return
	}
	u, err := h.svc.CreateUser(r.Context(), c, f.input())
	if err != nil {
		h.writeErr(w, r, uniqueness(err))
		return
	}
	h.sendUser(w, r, http.StatusCreated, u)
}

// uniqueness reports a conflict at creation as SCIM wants it: 409 with
// scimType uniqueness (a taken userName, email or externalId).
func uniqueness(err error) error {
	if roster.ErrorCode(err) == roster.CodeConflict {
		return scimErr(409, "uniqueness", err.Error())
	}
	return err
}

func (h *Handler) replaceUser(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	var in doc
	if err := readDoc(r, &in); err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.update(w, r, c, func(doc) (doc, error) { return normalize(in, URNUser), nil })
}

func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	var in patchRequest
	if err := readDoc(r, &in); err != nil {
		h.writeErr(w, r, err)
		return
	}
	h.update(w, r, c, func(cur doc) (doc, error) { return cur, applyPatch(cur, in.Operations, userAttrs) })
}

// update turns the user into what next makes of its SCIM document and
// writes the difference through the service: the profile and status as
// one merge patch (under If-Match, or else under the version read, so
// that a change made meanwhile is never overwritten), then the username
// and email through their own calls, as an admin's changes.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, c *roster.Caller, next func(doc) (doc, error)) {
	ctx := r.Context()
	cur, err := h.user(ctx, c, r.PathValue("id"))
	if err == nil {
		err = checkIfMatch(r, cur.Version, "user")
	}
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	d, err := next(normalize(userDoc(cur, baseURL(r)), URNUser))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	f, err := fieldsOf(d)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	if err := h.resolveManager(ctx, c, &f); err != nil {
		h.writeErr(w, r, err)
		return
	}
	u, err := h.apply(ctx, c, cur, f)
	if err != nil {
		h.writeErr(w, r, uniqueness(err))
		return
	}
	h.sendUser(w, r, 200, u)
}

// resolveManager turns the enterprise manager's value into a Roster user
// id: an id the token can see, or the externalId of a user of its
// organisation. An identity provider provisions a user before or after
// their manager as it likes, so one Roster does not know is left unset
// (the IdP sends it again with the user's next change).
func (h *Handler) resolveManager(ctx context.Context, c *roster.Caller, f *userFields) error {
	if f.ManagerID == "" {
		return nil
	}
	ref := "external:" + c.User.OrganizationID + ":" + f.ManagerID
	if roster.ValidID(roster.PrefixUser, f.ManagerID) {
		ref = f.ManagerID
	}
	m, err := h.svc.User(ctx, c, ref)
	switch {
	case roster.ErrorCode(err) == roster.CodeNotFound:
		f.ManagerID = ""
		return nil
	case err != nil:
		return err
	}
	f.ManagerID = m.ID
	return nil
}

// scimReason is recorded with the username and email changes SCIM makes.
const scimReason = "changed by SCIM provisioning"

func (h *Handler) apply(ctx context.Context, c *roster.Caller, cur *roster.User, f userFields) (*roster.User, error) {
	patch, err := f.mergePatch(cur)
	if err != nil {
		return nil, err
	}
	version := cur.Version
	u, err := h.svc.PatchUser(ctx, c, cur.ID, roster.MergePatch, patch, func(v int64) bool { return v == version })
	if err != nil {
		return nil, err
	}
	reason := scimReason
	if f.Username != u.Username {
		if u, err = h.svc.ChangeUsername(ctx, c, u.ID, &service.UsernameInput{Username: f.Username, Reason: &reason}); err != nil {
			return nil, err
		}
	}
	if f.emailGiven && !strings.EqualFold(f.Email, u.Email) {
		id, in := u.ID, &service.EmailChangeInput{Email: f.Email, Reason: &reason}
		if id == c.User.ID {
			in.Reason = nil // one's own change is confirmed by mail, with no reason
		}
		if _, u, err = h.svc.RequestEmailChange(ctx, c, id, in); err != nil {
			return nil, err
		}
		if u == nil { // the token's own holder: a verified change, pending
			return h.svc.User(ctx, c, id)
		}
	}
	return u, nil
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	pre, err := precondition(r)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	if !roster.ValidID(roster.PrefixUser, r.PathValue("id")) {
		h.writeErr(w, r, scimErr(404, "", "no user "+quote(r.PathValue("id"))))
		return
	}
	if err := h.svc.DeleteUser(r.Context(), c, r.PathValue("id"), pre); err != nil {
		h.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
