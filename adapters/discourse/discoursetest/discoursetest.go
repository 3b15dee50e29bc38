// Package discoursetest is a fake Discourse forum for tests: the API
// endpoints the discourse sink uses, with Discourse's request checks,
// answers and error bodies (testdata/README.md in package discourse
// cites their sources).
package discoursetest

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png" // charts are PNG
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/attune-dao/attune/adapters/sinktest"
)

// Topic is a topic the forum holds.
type Topic struct {
	ID                   int
	Title, Slug, Raw     string
	ExternalID, Username string
	Category             int
	Tags                 []string
	CreatedAt            time.Time
}

// Upload is a file the forum holds.
type Upload struct {
	ID                        int
	Name, SHA1, ShortURL, URL string
	Size, Width, Height       int
}

// Server is the fake forum. Set its fields before the first request.
type Server struct {
	sinktest.Script
	// Counter counts the requests to an endpoint (Calls): "POST /posts.json",
	// "POST /uploads.json", "GET /t/external_id", "GET /t", "GET /c",
	// "GET /raw".
	sinktest.Counter
	// Key and Username are the API credentials it accepts.
	Key, Username string
	// Categories are the category ids that exist, with their slugs.
	Categories map[int]string
	// Legacy makes it a forum older than external ids (Discourse before
	// 2.7): external_id is ignored and /t/external_id/ is not found.
	Legacy bool
	// LoseAnswers is how many topic creations are answered with a 502
	// from the proxy after the topic was made (the answer lost on the
	// way).
	LoseAnswers int

	mu      sync.Mutex
	topics  []Topic
	uploads []Upload
}

// New starts a forum with one category, governance (7), for user
// attune-bot with key.
func New(key string) (*Server, *httptest.Server) {
	s := &Server{Key: key, Username: "attune-bot", Categories: map[int]string{7: "governance"}}
	return s, httptest.NewServer(s)
}

// Answers the tests push (Discourse's bodies).
var (
	// RateLimited is the 429 of Discourse's rate limiter.
	RateLimited = sinktest.Reply{Status: 429, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Retry-After": {"10"}},
		Body: `{"errors":["You’ve performed this action too many times. Please wait 10 seconds before trying again."],"error_type":"rate_limit","extras":{"wait_seconds":10,"time_left":"10 seconds"}}`}
	// BadGateway is the proxy's answer when Discourse is down.
	BadGateway = sinktest.Reply{Status: 502, Header: http.Header{"Content-Type": {"text/html"}},
		Body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"}
)

const invalidAccess = `{"errors":["You are not permitted to view the requested resource. The API username or key is invalid."],"error_type":"invalid_access"}`
const notFound = `{"errors":["The requested URL or resource could not be found."],"error_type":"not_found"}`

// Topics are the topics made, in order.
func (s *Server) Topics() []Topic {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Topic(nil), s.topics...)
}

// Uploads are the files uploaded, in order.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Upload(nil), s.uploads...)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

var (
	externalRE = regexp.MustCompile(`^/t/external_id/([^/]+)\.json$`)
	topicRE    = regexp.MustCompile(`^/t/([^/]+)/(\d+)\.json$`)
	categoryRE = regexp.MustCompile(`^/c/(\d+)\.json$`)
	rawRE      = regexp.MustCompile(`^/raw/(\d+)/1$`)
)

// ServeHTTP routes as Discourse does for the endpoints the sink uses.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	key := r.Method + " " + p
	for _, e := range []struct {
		re   *regexp.Regexp
		name string
	}{{externalRE, "/t/external_id"}, {topicRE, "/t"}, {categoryRE, "/c"}, {rawRE, "/raw"}} {
		if e.re.MatchString(p) {
			key = r.Method + " " + e.name
			break
		}
	}
	s.Count(key)
	if s.Serve(w, r) {
		return
	}
	if r.Header.Get("Api-Key") != s.Key || r.Header.Get("Api-Username") != s.Username {
		writeJSON(w, http.StatusForbidden, invalidAccess)
		return
	}
	switch {
	case r.Method == http.MethodPost && p == "/uploads.json":
		s.upload(w, r)
	case r.Method == http.MethodPost && p == "/posts.json":
		s.createTopic(w, r)
	case r.Method == http.MethodGet && externalRE.MatchString(p):
		ext := externalRE.FindStringSubmatch(p)[1]
		if t, ok := s.find(func(t Topic) bool { return !s.Legacy && t.ExternalID == ext }); ok {
			http.Redirect(w, r, fmt.Sprintf("/t/%s/%d.json", t.Slug, t.ID), http.StatusMovedPermanently)
			return
		}
		writeJSON(w, http.StatusNotFound, notFound)
	case r.Method == http.MethodGet && topicRE.MatchString(p):
		id, _ := strconv.Atoi(topicRE.FindStringSubmatch(p)[2])
		t, ok := s.find(func(t Topic) bool { return t.ID == id })
		if !ok {
			writeJSON(w, http.StatusNotFound, notFound)
			return
		}
		b, _ := json.Marshal(map[string]any{"id": t.ID, "title": t.Title, "fancy_title": t.Title, "slug": t.Slug, "posts_count": 1,
			"created_at": t.CreatedAt.Format(time.RFC3339Nano), "category_id": t.Category, "archetype": "regular", "visible": true,
			"closed": false, "archived": false, "external_id": nullable(t.ExternalID), "tags": t.Tags,
			"details": map[string]any{"created_by": map[string]any{"username": t.Username}}})
		writeJSON(w, http.StatusOK, string(b))
	case r.Method == http.MethodGet && categoryRE.MatchString(p):
		id, _ := strconv.Atoi(categoryRE.FindStringSubmatch(p)[1])
		if _, ok := s.Categories[id]; !ok {
			writeJSON(w, http.StatusNotFound, notFound)
			return
		}
		s.mu.Lock()
		topics := []map[string]any{}
		for i := len(s.topics) - 1; i >= 0 && len(topics) < 30; i-- {
			t := s.topics[i]
			if t.Category == id {
				topics = append(topics, map[string]any{"id": t.ID, "title": t.Title, "fancy_title": t.Title, "slug": t.Slug, "posts_count": 1,
					"reply_count": 0, "highest_post_number": 1, "created_at": t.CreatedAt.Format(time.RFC3339Nano), "archetype": "regular",
					"pinned": false, "visible": true, "closed": false, "archived": false, "category_id": t.Category, "last_poster_username": t.Username})
			}
		}
		s.mu.Unlock()
		b, _ := json.Marshal(map[string]any{"users": []any{}, "primary_groups": []any{},
			"topic_list": map[string]any{"can_create_topic": true, "per_page": 30, "topics": topics}})
		writeJSON(w, http.StatusOK, string(b))
	case r.Method == http.MethodGet && rawRE.MatchString(p):
		id, _ := strconv.Atoi(rawRE.FindStringSubmatch(p)[1])
		t, ok := s.find(func(t Topic) bool { return t.ID == id })
		if !ok {
			writeJSON(w, http.StatusNotFound, notFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, t.Raw)
	default:
		writeJSON(w, http.StatusNotFound, notFound)
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) find(match func(Topic) bool) (Topic, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.topics {
		if match(t) {
			return t, true
		}
	}
	return Topic{}, false
}

// upload takes a multipart composer upload, as UploadsController#create.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		writeJSON(w, http.StatusBadRequest, `{"errors":["You supplied invalid parameters to the request: file"],"error_type":"invalid_parameters"}`)
		return
	}
	typ := r.FormValue("upload_type")
	if typ == "" {
		typ = r.FormValue("type")
	}
	if typ == "" {
		writeJSON(w, http.StatusBadRequest, `{"errors":["param is missing or the value is empty: upload_type"],"error_type":"invalid_parameters"}`)
		return
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, `{"errors":["Sorry, there was an error uploading that file. Please try again."]}`)
		return
	}
	data, _ := io.ReadAll(f)
	sum := sha1.Sum(data)
	sha := hex.EncodeToString(sum[:])
	ext := fh.Filename[strings.LastIndex(fh.Filename, ".")+1:]
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, `{"errors":["Sorry, the file you are trying to upload is not authorized (authorized extensions: jpg, jpeg, png, gif, heic, heif, webp, avif, svg)."]}`)
		return
	}
	// Discourse's short URL is the SHA-1 in base 62.
	short := new(big.Int).SetBytes(sum[:]).Text(62)
	s.mu.Lock()
	u := Upload{ID: 1042 + len(s.uploads), Name: fh.Filename, SHA1: sha, ShortURL: "upload://" + short + "." + ext,
		URL: "/uploads/default/original/1X/" + sha + "." + ext, Size: len(data), Width: cfg.Width, Height: cfg.Height}
	s.uploads = append(s.uploads, u)
	s.mu.Unlock()
	tw, th := u.Width, u.Height
	if tw > 690 { // the composer's thumbnail width
		th, tw = th*690/tw, 690
	}
	b, _ := json.Marshal(map[string]any{"id": u.ID, "url": u.URL, "original_filename": u.Name, "filesize": u.Size,
		"width": u.Width, "height": u.Height, "thumbnail_width": tw, "thumbnail_height": th, "extension": ext,
		"short_url": u.ShortURL, "short_path": "/uploads/short-url/" + short + "." + ext, "retain_hours": nil,
		"human_filesize": fmt.Sprintf("%d KB", (u.Size+1023)/1024), "dominant_color": "F5F5F5"})
	writeJSON(w, http.StatusOK, string(b))
}

// Site settings at their defaults.
const (
	minTitle     = 15
	maxTitle     = 255
	minFirstPost = 20
	maxPost      = 32000
)

// createTopic takes POST /posts.json with a title: a new topic.
func (s *Server) createTopic(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title      string   `json:"title"`
		Raw        string   `json:"raw"`
		Category   int      `json:"category"`
		ExternalID string   `json:"external_id"`
		Tags       []string `json:"tags"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, `{"errors":["You supplied invalid parameters to the request: raw"],"error_type":"invalid_parameters"}`)
		return
	}
	var errs []string
	switch n := len([]rune(strings.TrimSpace(in.Title))); {
	case n < minTitle:
		errs = append(errs, fmt.Sprintf("Title is too short (minimum is %d characters)", minTitle))
	case n > maxTitle:
		errs = append(errs, fmt.Sprintf("Title is too long (maximum is %d characters)", maxTitle))
	}
	switch n := len([]rune(strings.TrimSpace(in.Raw))); {
	case n < minFirstPost:
		errs = append(errs, fmt.Sprintf("Body is too short (minimum is %d characters)", minFirstPost))
	case n > maxPost:
		errs = append(errs, fmt.Sprintf("Body is limited to %d characters; you entered %d.", maxPost, n))
	}
	if _, dup := s.find(func(t Topic) bool { return strings.EqualFold(t.Title, in.Title) }); dup {
		errs = append(errs, "Title has already been used")
	}
	if _, ok := s.Categories[in.Category]; !ok {
		writeJSON(w, http.StatusForbidden, `{"errors":["You are not permitted to view the requested resource."],"error_type":"invalid_access"}`)
		return
	}
	if len(errs) > 0 {
		b, _ := json.Marshal(map[string]any{"action": "create_post", "errors": errs})
		writeJSON(w, http.StatusUnprocessableEntity, string(b))
		return
	}
	if s.Legacy {
		in.ExternalID = ""
	}
	s.mu.Lock()
	t := Topic{ID: 4821 + len(s.topics), Title: in.Title, Slug: slug(in.Title), Raw: in.Raw, ExternalID: in.ExternalID,
		Username: s.Username, Category: in.Category, Tags: in.Tags, CreatedAt: time.Date(2026, 11, 24, 16, 2, 11, 0, time.UTC).Add(time.Duration(len(s.topics)) * time.Minute)}
	s.topics = append(s.topics, t)
	lose := s.LoseAnswers > 0
	if lose {
		s.LoseAnswers--
	}
	s.mu.Unlock()
	if lose {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, BadGateway.Body)
		return
	}
	// The shape of discourse_api_docs' new_topic_response.json.
	b, _ := json.Marshal(map[string]any{"id": 10000 + t.ID, "name": "", "username": t.Username,
		"avatar_template": "/user_avatar/forum.example.org/" + t.Username + "/{size}/2_2.png",
		"created_at":      t.CreatedAt.Format("2006-01-02T15:04:05.000Z"), "cooked": "<p>…</p>", "post_number": 1, "post_type": 1,
		"updated_at": t.CreatedAt.Format("2006-01-02T15:04:05.000Z"), "reply_count": 0, "reply_to_post_number": nil,
		"quote_count": 0, "incoming_link_count": 0, "reads": 0, "score": 0, "yours": true, "topic_id": t.ID,
		"topic_slug": t.Slug, "display_username": "", "primary_group_name": nil, "version": 1, "can_edit": true,
		"can_delete": false, "can_recover": false, "can_wiki": true, "user_title": nil, "moderator": false, "admin": false,
		"staff": false, "user_id": 2, "draft_sequence": 0, "hidden": false, "trust_level": 1, "deleted_at": nil,
		"user_deleted": false, "edit_reason": nil, "can_view_edit_history": true, "wiki": false})
	writeJSON(w, http.StatusOK, string(b))
}

// slug is Discourse's ASCII slug of a title.
func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "topic"
	}
	return out
}
