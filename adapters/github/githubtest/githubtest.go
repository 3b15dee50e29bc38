// Package githubtest is a fake of GitHub's REST API for the issues the
// github sink opens and lists, with GitHub's answers and error bodies
// (testdata/README.md in package github cites their sources).
package githubtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/attune-dao/attune/adapters/sinktest"
)

// Issue is an issue (or, with PullRequest, a pull request) the fake
// repository holds.
type Issue struct {
	Number      int
	Title, Body string
	Labels      []string
	PullRequest bool
}

// Server is the fake API for one repository. Set its fields before the
// first request.
type Server struct {
	sinktest.Script
	// Counter counts requests (Calls): "POST issues", "GET issues".
	sinktest.Counter
	// Owner/Repo is the repository; Token the one token it accepts.
	Owner, Repo, Token string
	// Login is the token's user, the issues' author.
	Login string
	// ReadOnly makes the token one without Issues: write; IssuesOff
	// turns the repository's issues off.
	ReadOnly, IssuesOff bool
	// LoseAnswers is how many issue creations are answered with a 502
	// after the issue was opened.
	LoseAnswers int

	mu     sync.Mutex
	issues []Issue
	header http.Header
}

// New starts a fake holding example-dao/governance with one pull request,
// for token.
func New(token string) (*Server, *httptest.Server) {
	s := &Server{Owner: "example-dao", Repo: "governance", Token: token, Login: "attune-bot",
		issues: []Issue{{Number: 41, Title: "Update the delegate registry", Body: "Adds three delegates.", PullRequest: true}}}
	return s, httptest.NewServer(s)
}

const docs = "https://docs.github.com/rest/issues/issues#create-an-issue"

// Answers the tests push.
var (
	// SecondaryRateLimit is the 403 of GitHub's secondary rate limit on
	// content creation, with retry-after.
	SecondaryRateLimit = sinktest.Reply{Status: 403, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Retry-After": {"60"},
		"X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Remaining": {"4987"}, "X-Ratelimit-Resource": {"core"}},
		Body: `{"message":"You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later. If you reach out to GitHub Support for help, please include the request ID C0D2:3A3B:1F4E6A2:2066B46:6743A1F2.","documentation_url":"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"403"}`}
	// ServerError is GitHub's 500.
	ServerError = sinktest.Reply{Status: 500, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body: `{"message":"Server Error","status":"500"}`}
)

// PrimaryRateLimit is the 403 of an exhausted primary rate limit that
// resets at reset.
func PrimaryRateLimit(reset time.Time) sinktest.Reply {
	return sinktest.Reply{Status: 403, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"},
		"X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Used": {"5000"},
		"X-Ratelimit-Reset": {strconv.FormatInt(reset.Unix(), 10)}, "X-Ratelimit-Resource": {"core"}},
		Body: `{"message":"API rate limit exceeded for user ID 139426512. If you reach out to GitHub Support for help, please include the request ID C0D2:3A3B:1F4E6A2:2066B46:6743A1F3 and timestamp 2024-11-24 21:36:51 UTC.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":"403"}`}
}

// Issues are the issues opened through the API, in order.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Issue
	for _, is := range s.issues {
		if !is.PullRequest {
			out = append(out, is)
		}
	}
	return out
}

// Header is the last request's header.
func (s *Server) Header() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.header.Clone()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Github-Media-Type", "github.v3; format=json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiErr(msg string, status int) map[string]any {
	return map[string]any{"message": msg, "documentation_url": docs, "status": strconv.Itoa(status)}
}

// ServeHTTP answers as GitHub does for the issues endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := "/repos/" + s.Owner + "/" + s.Repo + "/issues"
	s.Count(r.Method + " issues")
	s.mu.Lock()
	s.header = r.Header.Clone()
	s.mu.Unlock()
	if s.Serve(w, r) {
		return
	}
	auth := r.Header.Get("Authorization")
	if auth != "Bearer "+s.Token && auth != "token "+s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/repos/") || !strings.HasSuffix(r.URL.Path, "/issues") {
		writeJSON(w, http.StatusNotFound, apiErr("Not Found", 404))
		return
	}
	if r.URL.Path != path {
		writeJSON(w, http.StatusNotFound, apiErr("Not Found", 404))
		return
	}
	switch r.Method {
	case http.MethodPost:
		s.create(w, r)
	case http.MethodGet:
		s.list(w, r)
	default:
		writeJSON(w, http.StatusNotFound, apiErr("Not Found", 404))
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if s.IssuesOff {
		writeJSON(w, http.StatusGone, map[string]any{"message": "Issues are disabled for this repo", "documentation_url": "https://docs.github.com/v3/issues/", "status": "410"})
		return
	}
	if s.ReadOnly {
		writeJSON(w, http.StatusForbidden, apiErr("Resource not accessible by personal access token", 403))
		return
	}
	var in struct {
		Title  *string  `json:"title"`
		Body   string   `json:"body"`
		Labels []string `json:"labels"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON", "documentation_url": docs, "status": "400"})
		return
	}
	switch {
	case in.Title == nil || *in.Title == "":
		e := apiErr("Validation Failed", 422)
		e["errors"] = []map[string]any{{"resource": "Issue", "code": "missing_field", "field": "title"}}
		writeJSON(w, http.StatusUnprocessableEntity, e)
		return
	case len([]rune(in.Body)) > 65536:
		e := apiErr("Validation Failed", 422)
		e["errors"] = []map[string]any{{"resource": "Issue", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)"}}
		writeJSON(w, http.StatusUnprocessableEntity, e)
		return
	}
	s.mu.Lock()
	is := Issue{Number: 42 + len(s.issues) - 1, Title: *in.Title, Body: in.Body, Labels: in.Labels}
	s.issues = append(s.issues, is)
	lose := s.LoseAnswers > 0
	if lose {
		s.LoseAnswers--
	}
	s.mu.Unlock()
	if lose {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		return
	}
	w.Header().Set("Location", s.apiURL(r, is.Number))
	writeJSON(w, http.StatusCreated, s.render(r, is))
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := strconv.Atoi(q.Get("per_page"))
	if q.Get("per_page") == "" {
		n, err = 30, nil
	}
	if err != nil || n < 1 {
		n = 30
	}
	n = min(n, 100)
	s.mu.Lock()
	var out []map[string]any
	for i := len(s.issues) - 1; i >= 0 && len(out) < n; i-- { // newest first
		out = append(out, s.render(r, s.issues[i]))
	}
	s.mu.Unlock()
	if out == nil {
		out = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiURL(r *http.Request, n int) string {
	return fmt.Sprintf("http://%s/repos/%s/%s/issues/%d", r.Host, s.Owner, s.Repo, n)
}

// render is an issue as the REST API writes it.
func (s *Server) render(r *http.Request, is Issue) map[string]any {
	api := s.apiURL(r, is.Number)
	repo := fmt.Sprintf("http://%s/repos/%s/%s", r.Host, s.Owner, s.Repo)
	html := fmt.Sprintf("https://github.com/%s/%s/issues/%d", s.Owner, s.Repo, is.Number)
	labels := []map[string]any{}
	for i, l := range is.Labels {
		labels = append(labels, map[string]any{"id": 7750133001 + i, "node_id": "LA_kwDOMx4cJ88AAAABzfTz6Q", "url": repo + "/labels/" + l,
			"name": l, "color": "ededed", "default": false, "description": nil})
	}
	created := time.Date(2026, 11, 24, 16, 2, 11, 0, time.UTC).Add(time.Duration(is.Number) * time.Minute).Format(time.RFC3339)
	m := map[string]any{"url": api, "repository_url": repo, "labels_url": api + "/labels{/name}", "comments_url": api + "/comments",
		"events_url": api + "/events", "html_url": html, "id": 2690000000 + is.Number, "node_id": "I_kwDOMx4cJ86gVrTq",
		"number": is.Number, "title": is.Title,
		"user": map[string]any{"login": s.Login, "id": 139426512, "node_id": "U_kgDOCE9q0A", "avatar_url": "https://avatars.githubusercontent.com/u/139426512?v=4",
			"gravatar_id": "", "url": "https://api.github.com/users/" + s.Login, "html_url": "https://github.com/" + s.Login, "type": "User", "site_admin": false},
		"labels": labels, "state": "open", "locked": false, "assignee": nil, "assignees": []any{}, "milestone": nil, "comments": 0,
		"created_at": created, "updated_at": created, "closed_at": nil, "author_association": "CONTRIBUTOR", "active_lock_reason": nil,
		"body": is.Body, "closed_by": nil, "timeline_url": api + "/timeline", "performed_via_github_app": nil, "state_reason": nil,
		"reactions": map[string]any{"url": api + "/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0}}
	if is.PullRequest {
		m["pull_request"] = map[string]any{"url": repo + "/pulls/" + strconv.Itoa(is.Number), "html_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d", s.Owner, s.Repo, is.Number),
			"diff_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d.diff", s.Owner, s.Repo, is.Number), "patch_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d.patch", s.Owner, s.Repo, is.Number), "merged_at": nil}
	}
	return m
}

// AddPullRequest adds a pull request to the repository; the issues list
// includes pull requests, as GitHub's does.
func (s *Server) AddPullRequest(title, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issues = append(s.issues, Issue{Number: 41 + len(s.issues), Title: title, Body: body, PullRequest: true})
}
