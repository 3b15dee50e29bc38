package openaitest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Replies come in order, the last repeating; SetReplies starts a new
// script; Answer reads the request; every request is recorded.
func TestScript(t *testing.T) {
	s := NewServer(t, Reply{Status: 429, Body: RateLimitBody}, OK("second"))
	url := s.BaseURL() + "/chat/completions"
	if code, body := post(t, url, `{"model":"m"}`); code != 429 || body != RateLimitBody {
		t.Fatalf("first: %d %s", code, body)
	}
	for range 2 {
		if code, body := post(t, url, `{"model":"m"}`); code != 200 || !strings.Contains(body, `"content": "second"`) {
			t.Fatalf("later: %d %s", code, body)
		}
	}
	s.SetReplies(Reply{Answer: func(req map[string]any) string { return "echo " + req["model"].(string) }})
	_, body := post(t, url, `{"model":"gpt-4o-mini"}`)
	var c struct {
		Choices []struct {
			Message struct{ Content string }
		}
		Usage struct {
			TotalTokens int `json:"total_tokens"`
		}
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil || len(c.Choices) != 1 || c.Choices[0].Message.Content != "echo gpt-4o-mini" || c.Usage.TotalTokens != 2040 {
		t.Fatalf("answer: %v %s", err, body)
	}
	if got := s.Requests(); len(got) != 4 || got[3].Body["model"] != "gpt-4o-mini" || got[0].Method != http.MethodPost {
		t.Fatalf("requests %+v", got)
	}
}

// Another path gets OpenAI's 404 error object; SetPath moves the
// endpoint (Azure's deployments path).
func TestPath(t *testing.T) {
	s := NewServer(t, OK("x"))
	code, body := post(t, s.URL+"/v1/completions", `{}`)
	var e struct {
		Error struct{ Message, Type string }
	}
	if code != 404 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Type != "invalid_request_error" {
		t.Fatalf("%d %s", code, body)
	}
	s.SetPath("/openai/deployments/d/chat/completions")
	if code, _ := post(t, s.URL+"/openai/deployments/d/chat/completions", `{}`); code != 200 {
		t.Fatalf("after SetPath: %d", code)
	}
}
