package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// ExtractJSON finds the JSON object in a model's reply. In json_schema mode
// the reply is the object; in the other modes, and from models that think
// aloud, it may come inside a Markdown code fence, after a <think>…</think>
// block, or between sentences. ExtractJSON drops a leading think block,
// then returns the whole reply if it is an object, else the first
// ```json (or bare ```) fence that holds one, else the first '{' from which
// a whole object decodes. The bytes returned are the object as written.
func ExtractJSON(content string) (json.RawMessage, error) {
	s := strings.TrimSpace(content)
	if strings.HasPrefix(s, "<think>") {
		if end := strings.Index(s, "</think>"); end >= 0 {
			s = strings.TrimSpace(s[end+len("</think>"):])
		}
	}
	if s == "" {
		return nil, errors.New("the reply is empty")
	}
	if isObject(s) {
		return json.RawMessage(s), nil
	}
	for rest := s; ; {
		open := strings.Index(rest, "```")
		if open < 0 {
			break
		}
		rest = rest[open+3:]
		nl := strings.IndexByte(rest, '\n')
		if nl < 0 {
			break
		}
		lang := strings.TrimSpace(rest[:nl])
		body := rest[nl+1:]
		end := strings.Index(body, "```")
		if end < 0 {
			break
		}
		if lang == "" || strings.EqualFold(lang, "json") {
			if inner := strings.TrimSpace(body[:end]); isObject(inner) {
				return json.RawMessage(inner), nil
			}
		}
		rest = body[end+3:]
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(s[i:]))
		var raw json.RawMessage
		if dec.Decode(&raw) == nil && isObject(string(raw)) {
			return raw, nil
		}
	}
	return nil, errors.New("no JSON object found")
}

// isObject reports whether s is exactly one JSON object.
func isObject(s string) bool {
	b := bytes.TrimSpace([]byte(s))
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}
