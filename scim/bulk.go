// SPDX-License-Identifier: Apache-2.0

package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
)

// maxBulkOperations bounds a bulk request, as ServiceProviderConfig
// announces (its size is bounded by maxBody).
const maxBulkOperations = 1000

// URNBulkResponse is the schema of a bulk request's answer.
const URNBulkResponse = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

type bulkOperation struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId,omitempty"`
	Version string          `json:"version,omitempty"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data,omitempty"`
}

type bulkRequest struct {
	Schemas      []string        `json:"schemas"`
	FailOnErrors int             `json:"failOnErrors"`
	Operations   []bulkOperation `json:"Operations"`
}

type bulkResult struct {
	Method   string          `json:"method"`
	BulkID   string          `json:"bulkId,omitempty"`
	Version  string          `json:"version,omitempty"`
	Location string          `json:"location,omitempty"`
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response,omitempty"`
}

type bulkResponse struct {
	Schemas    []string     `json:"schemas"`
	Operations []bulkResult `json:"Operations"`
}

// bulkRef is a reference to an earlier operation's resource.
var bulkRef = regexp.MustCompile(`bulkId:([^"/\s]+)`)

// bulk runs POST /Bulk (RFC 7644 section 3.7): each operation in order,
// as the request of its own that it stands for (the same handlers, the
// same caller, the same checks), with "bulkId:x" in a path or data
// replaced by the id the operation of bulkId x created. After
// failOnErrors failed operations (when set) the rest are not run.
func (h *Handler) bulk(w http.ResponseWriter, r *http.Request, c *roster.Caller) {
	var in bulkRequest
	if err := readDoc(r, &in); err != nil {
		h.writeErr(w, r, err)
		return
	}
	if len(in.Operations) > maxBulkOperations {
		h.writeErr(w, r, scimErr(413, "", "a bulk request holds at most "+strconv.Itoa(maxBulkOperations)+" operations"))
		return
	}
	ids := map[string]string{}
	out := bulkResponse{Schemas: []string{URNBulkResponse}, Operations: []bulkResult{}}
	failed := 0
	for _, op := range in.Operations {
		if in.FailOnErrors > 0 && failed >= in.FailOnErrors {
			break
		}
		res := h.bulkOne(r, op, ids)
		if res.BulkID != "" && res.Status == "201" {
			ids[res.BulkID] = res.Location[strings.LastIndexByte(res.Location, '/')+1:]
		}
		if st, _ := strconv.Atoi(res.Status); st >= 400 {
			failed++
		}
		out.Operations = append(out.Operations, res)
	}
	write(w, 200, out)
}

// bulkOne runs one operation through the handler's own routes.
func (h *Handler) bulkOne(r *http.Request, op bulkOperation, ids map[string]string) bulkResult {
	res := bulkResult{Method: strings.ToUpper(op.Method), BulkID: op.BulkID, Version: op.Version}
	fail := func(e *Error) bulkResult {
		res.Status = e.Status
		res.Response, _ = json.Marshal(e)
		return res
	}
	switch res.Method {
	case "POST", "PUT", "PATCH", "DELETE":
	default:
		return fail(scimErr(400, "invalidSyntax", "a bulk operation's method is POST, PUT, PATCH or DELETE"))
	}
	if res.Method == "POST" && op.BulkID == "" {
		return fail(scimErr(400, "invalidValue", "a POST in a bulk request needs a bulkId"))
	}
	path, data := op.Path, string(op.Data)
	var missing string
	resolve := func(s string) string {
		return bulkRef.ReplaceAllStringFunc(s, func(m string) string {
			id, ok := ids[m[len("bulkId:"):]]
			if !ok {
				missing = m
				return m
			}
			return id
		})
	}
	path, data = resolve(path), resolve(data)
	if missing != "" {
		return fail(scimErr(409, "invalidValue", missing+" names no resource an earlier operation of this request created"))
	}
	if !strings.HasPrefix(path, "/Users") && !strings.HasPrefix(path, "/Groups") {
		return fail(scimErr(400, "invalidPath", "a bulk operation's path is /Users or /Groups, with an id for PUT, PATCH and DELETE"))
	}
	sub, err := http.NewRequestWithContext(r.Context(), res.Method, Base+path, bytes.NewReader([]byte(data)))
	if err != nil {
		return fail(scimErr(400, "invalidPath", "the path "+quote(op.Path)+" is not valid"))
	}
	sub.Header.Set("Authorization", r.Header.Get("Authorization"))
	sub.Header.Set("Content-Type", "application/scim+json")
	if op.Version != "" {
		sub.Header.Set("If-Match", op.Version)
	}
	sub.Host, sub.TLS = r.Host, r.TLS
	rec := &recorder{header: http.Header{}, Code: 200}
	h.ServeHTTP(rec, sub)
	res.Status = strconv.Itoa(rec.Code)
	res.Version = rec.Header().Get("ETag")
	if loc := rec.Header().Get("Location"); loc != "" {
		res.Location = loc
	} else if rec.Code < 300 && res.Method != "DELETE" {
		res.Location = baseURL(r) + path
	}
	if rec.Code >= 400 {
		res.Response = rec.Body.Bytes()
	}
	return res
}

// recorder keeps the answer to one operation of a bulk request.
type recorder struct {
	header http.Header
	Code   int
	Body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.Code = code }
func (r *recorder) Write(b []byte) (int, error) { return r.Body.Write(b) }
