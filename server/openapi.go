package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/attune-dao/attune/schema"
)

// obj is a JSON object under construction.
type obj = map[string]any

// openAPIDoc builds the API's OpenAPI 3.1 document: every path, the role
// each needs, its parameters, bodies and answers, with the documents'
// JSON Schemas (the schema package's) as components.
func openAPIDoc(version string) ([]byte, error) {
	components := obj{}
	for _, kind := range []string{schema.Cycles, schema.Cycle, schema.Proposal, schema.CycleDiff, schema.Trials, schema.Audit} {
		raw, err := schema.File(kind)
		if err != nil {
			return nil, err
		}
		var s obj
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("schema %s: %w", kind, err)
		}
		components[componentName(kind)] = s
	}
	components["Error"] = obj{
		"type": "object", "additionalProperties": false, "required": []string{"error", "detail"},
		"properties": obj{
			"error":  obj{"type": "string", "description": "a short code: bad_request, unauthorized, forbidden, not_found, method_not_allowed, conflict, payload_too_large, unsupported_media_type, internal, not_implemented, publish_failed, unavailable"},
			"detail": obj{"type": "string", "description": "what was wrong, where, and what to do"},
		},
	}
	components["ReviewRequest"] = obj{"type": "object", "additionalProperties": false, "required": []string{"comment"},
		"properties": obj{"comment": obj{"type": "string", "minLength": 1, "maxLength": maxComment, "description": "why the steward decides so; recorded in the store and the audit log"}}}
	components["RunRequest"] = obj{"type": "object", "additionalProperties": false, "required": []string{"dao"},
		"properties": obj{"dao": obj{"type": "string", "description": "the DAO's name, as its config names it"}}}

	ref := func(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }
	jsonBody := func(desc, name string) obj {
		return obj{"description": desc, "content": obj{"application/json": obj{"schema": ref(name)}}}
	}
	errs := func(codes ...int) obj {
		out := obj{}
		for _, c := range codes {
			out[fmt.Sprint(c)] = jsonBody(http.StatusText(c), "Error")
		}
		return out
	}
	op := func(summary string, role Role, ok int, okName string, errCodes []int, extra obj) obj {
		rs := errs(append([]int{401, 403}, errCodes...)...)
		rs[fmt.Sprint(ok)] = jsonBody(http.StatusText(ok), okName)
		o := obj{"summary": summary, "description": "Needs a " + string(role) + "'s token.", "responses": rs,
			"security": []obj{{"bearer": []string{}}}}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	idParam := obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1}, "description": "the cycle's ID in the store"}
	listParams := []obj{
		{"name": "dao", "in": "query", "schema": obj{"type": "string"}, "description": "only this DAO's cycles"},
		{"name": "state", "in": "query", "schema": obj{"type": "array", "items": obj{"type": "string", "enum": stateList()}}, "style": "form", "explode": true, "description": "only cycles in these states (repeated or comma-separated)"},
		{"name": "before", "in": "query", "schema": obj{"type": "integer", "minimum": 1}, "description": "only cycles with a smaller ID: the previous page's next"},
		{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}},
	}
	review := func(verb string) obj {
		return op(verb+" a proposal pending review, with a comment. An approval is handed to the sinks; 502 when it was recorded but publishing failed. A proposal that recommends no change is not approved (409, no_change): reject it to close its review.",
			Steward, 200, "Cycle", []int{400, 404, 409, 413, 415, 502},
			obj{"parameters": []obj{idParam}, "requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": ref("ReviewRequest")}}}})
	}
	paths := obj{
		"/api/v1/cycles": obj{"get": op("List cycles, newest first; a Link header (rel=next) gives the next page.", Viewer, 200, "Cycles", []int{400}, obj{"parameters": listParams})},
		"/api/v1/cycles/{id}": obj{"get": op("One cycle whole: state, review, documents, publications.", Viewer, 200, "Cycle", []int{404},
			obj{"parameters": []obj{idParam}})},
		"/api/v1/cycles/{id}/diff": obj{"get": op("What changed since another cycle of the DAO (by default its previous cycle with a recommendation).", Viewer, 200, "Cyclediff", []int{400, 404},
			obj{"parameters": []obj{idParam, {"name": "against", "in": "query", "schema": obj{"type": "integer", "minimum": 1}, "description": "the cycle to compare with"}}})},
		"/api/v1/cycles/{id}/trials":     obj{"get": op("The cycle's searches, trial by trial.", Viewer, 200, "Trials", []int{404}, obj{"parameters": []obj{idParam}})},
		"/api/v1/proposals":              obj{"get": op("List the cycles that have a proposal, newest first.", Viewer, 200, "Cycles", []int{400}, obj{"parameters": listParams})},
		"/api/v1/proposals/{id}":         obj{"get": op("A cycle's proposal document.", Viewer, 200, "Proposal", []int{404}, obj{"parameters": []obj{idParam}})},
		"/api/v1/proposals/{id}/approve": obj{"post": review("Approve")},
		"/api/v1/proposals/{id}/reject":  obj{"post": review("Reject")},
		"/api/v1/proposals/{id}/publish": obj{"post": op("Publish an approved cycle again, after publishing failed; sinks that published are not sent again.", Steward, 200, "Cycle", []int{404, 409, 501, 502},
			obj{"parameters": []obj{idParam}})},
		"/api/v1/runs": obj{"post": op("Start a DAO's cycle now, once its data are read: 202 and the cycle as recorded, its address in Location; or, when the config and data are those a cycle already decided (or awaits a decision on), 200 and that cycle, nothing started. 503 when the data cannot be read for now (the service retries).", Steward, 202, "Cycle", []int{400, 404, 409, 413, 415, 501, 503},
			obj{"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": ref("RunRequest")}}}})},
		"/api/v1/audit/verify": obj{"get": op("Walk the audit log's hash chain and report the first entry edited, inserted or deleted (ok false and the problem; still 200).", Admin, 200, "Audit", []int{400},
			obj{"parameters": []obj{{"name": "head", "in": "query", "schema": obj{"type": "string", "pattern": "^[0-9]+:[0-9a-f]{64}$"}, "description": "a head an earlier verify answered (SEQ:HASH): also check that entry is unchanged"}}})},
	}
	runs := paths["/api/v1/runs"].(obj)["post"].(obj)["responses"].(obj)
	runs["200"] = jsonBody("Nothing started: the cycle that decided the DAO's current config and data", "Cycle")
	doc := obj{
		"openapi": "3.1.0",
		"info": obj{"title": "attune API", "version": orUnknown(version),
			"description": "Cycles, proposals and reviews of attune's store. Every request carries Authorization: Bearer <token>; a token's role (viewer, steward or admin) decides what it may do. Errors are {error, detail}."},
		"paths":      paths,
		"components": obj{"schemas": components, "securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}}},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// componentName names a document kind's schema among the components:
// "attune.cycles/v1" is "Cycles".
func componentName(kind string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(kind, "attune."), "/")
	return strings.ToUpper(name[:1]) + name[1:]
}

func stateList() []string { return strings.Split(stateNames(), ", ") }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// openapi serves the OpenAPI document; it needs no token.
func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(s.openAPI)
}
