package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attune-dao/attune/store"
)

// requestError is a request the server refuses: its status, a short code
// and a sentence saying what was wrong, where, and what to do.
type requestError struct {
	status int
	code   string
	detail string
}

func (e *requestError) Error() string { return e.detail }

func badRequest(format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, code: "bad_request", detail: fmt.Sprintf(format, args...)}
}

// reviewBody is the body of an approve or reject request.
type reviewBody struct {
	// Comment says why; required.
	Comment string `json:"comment"`
}

// runBody is the body of a run-now request.
type runBody struct {
	DAO string `json:"dao"`
}

// decodeBody reads a JSON request body into v: application/json, at most
// maxJSONBody bytes, one object whose fields v knows, nothing after it.
func decodeBody(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &requestError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
				detail: fmt.Sprintf("the body is %q; send JSON with Content-Type: application/json", clip(ct, 60))}
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		return badRequest("reading the body: %v", err)
	}
	if len(body) > maxJSONBody {
		return &requestError{status: http.StatusRequestEntityTooLarge, code: "payload_too_large",
			detail: fmt.Sprintf("the body is over %d bytes; a request needs far less", maxJSONBody)}
	}
	return decodeJSON(body, v)
}

// decodeJSON decodes one JSON object into v, refusing unknown fields,
// invalid UTF-8 and anything after the object.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("the body is empty; send a JSON object, e.g. {\"comment\": \"...\"}")
	}
	if !utf8.Valid(body) {
		return badRequest("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return badRequest("the body is not JSON: %v (at byte %d)", syn, syn.Offset)
		case errors.As(err, &typ):
			if typ.Field == "" {
				return badRequest("the body is a JSON %s; send an object", typ.Value)
			}
			return badRequest("field %q is a JSON %s; want a %s", typ.Field, typ.Value, typ.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return badRequest("%s; the fields are %s", strings.TrimPrefix(err.Error(), "json: "), fieldNames(v))
		}
		return badRequest("the body is not a JSON object: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the body has data after its JSON object; send one object")
	}
	return nil
}

// fieldNames lists the JSON fields of a request body type.
func fieldNames(v any) string {
	switch v.(type) {
	case *reviewBody:
		return `"comment"`
	case *runBody:
		return `"dao"`
	}
	return "none"
}

// checkComment checks a review comment: what a steward says about the
// decision, recorded in the store and the audit log.
func checkComment(c string) error {
	if strings.TrimSpace(c) == "" {
		return badRequest("the comment is empty; say why you approve or reject the proposal")
	}
	if len(c) > maxComment {
		return badRequest("the comment is %d bytes; at most %d are kept", len(c), maxComment)
	}
	if !utf8.ValidString(c) {
		return badRequest("the comment is not valid UTF-8")
	}
	for _, r := range c {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return badRequest("the comment contains the control character %U; write plain text", r)
		}
	}
	return nil
}

// parseID reads a cycle ID from a path.
func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, &requestError{status: http.StatusNotFound, code: "not_found",
			detail: fmt.Sprintf("%q is not a cycle ID; cycle IDs are positive whole numbers (GET /api/v1/cycles lists them)", clip(s, 40))}
	}
	return id, nil
}

// listQuery is what a list of cycles is asked for.
type listQuery struct {
	filter store.Filter
	limit  int
}

// listParams are the query parameters a list takes.
var listParams = []string{"dao", "state", "before", "limit"}

// parseList reads a list's query: dao, state (repeated or
// comma-separated), before (a cycle ID, for the next page) and limit (1
// to maxLimit). An unknown or repeated parameter is refused, so that a
// misspelt filter does not silently list everything.
func parseList(q url.Values) (listQuery, error) {
	out := listQuery{limit: defaultLimit}
	for k, vs := range q {
		if !slices.Contains(listParams, k) {
			return listQuery{}, badRequest("unknown query parameter %q; a list takes %s", clip(k, 40), strings.Join(listParams, ", "))
		}
		if k != "state" && len(vs) > 1 {
			return listQuery{}, badRequest("query parameter %q is given %d times; give it once", k, len(vs))
		}
	}
	if v := q.Get("dao"); v != "" {
		if !utf8.ValidString(v) || len(v) > 200 {
			return listQuery{}, badRequest("dao is not a DAO's name (valid UTF-8, at most 200 bytes)")
		}
		out.filter.DAO = v
	}
	for _, v := range q["state"] {
		for _, st := range strings.Split(v, ",") {
			st = strings.TrimSpace(st)
			if st == "" {
				continue
			}
			if !store.State(st).Valid() {
				return listQuery{}, badRequest("state %q is not a state; want one of %s", clip(st, 40), stateNames())
			}
			if !slices.Contains(out.filter.States, store.State(st)) {
				out.filter.States = append(out.filter.States, store.State(st))
			}
		}
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return listQuery{}, badRequest("before %q is not a cycle ID (a positive whole number)", clip(v, 40))
		}
		out.filter.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return listQuery{}, badRequest("limit %q; want a whole number from 1 to %d", clip(v, 40), maxLimit)
		}
		out.limit = n
	}
	// One more than asked tells whether there is a next page.
	out.filter.Limit = out.limit + 1
	return out, nil
}

// stateNames lists the states, comma-separated.
func stateNames() string {
	names := make([]string, len(store.States))
	for i, s := range store.States {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
