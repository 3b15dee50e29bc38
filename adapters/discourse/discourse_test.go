package discourse_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/discourse"
	"github.com/attune-dao/attune/adapters/discourse/discoursetest"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/adapters/sinktest"
)

const apiKey = "d1f0c5a9e3b7..test-key-6b2e"

func config(url string) *discourse.Config {
	return &discourse.Config{BaseURL: url, Category: 7, APIUsername: "attune-bot", APIKey: adapters.Secret{Env: "DISCOURSE_API_KEY"}, Tags: []string{"governance"}}
}

func newSink(t *testing.T, c *discourse.Config, key string, o httpx.Options) *discourse.Sink {
	t.Helper()
	s, err := discourse.Build(c, adapters.Env{Getenv: sinktest.Getenv(map[string]string{"DISCOURSE_API_KEY": key})}, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The chart is uploaded first and shown in the post; the topic opens in
// the category with the appendix folded and the key twice.
func TestPublishUploadsThenOpensTheTopic(t *testing.T) {
	forum, srv := discoursetest.New(apiKey)
	defer srv.Close()
	s := newSink(t, config(srv.URL), apiKey, httpx.Options{})
	p := sinktest.Publication(t)
	if _, found, err := s.Find(context.Background(), p); found || err != nil {
		t.Fatalf("found %v, %v on an empty forum", found, err)
	}
	r, err := s.Publish(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	ups, topics := forum.Uploads(), forum.Topics()
	if len(ups) != 1 || len(topics) != 1 || forum.Calls("POST /uploads.json") != 1 || forum.Calls("POST /posts.json") != 1 {
		t.Fatalf("%d uploads, %d topics; want one each", len(ups), len(topics))
	}
	up, tp := ups[0], topics[0]
	if up.Name != "objectives.png" || up.Width == 0 || up.Size != len(p.Files[0].Data) {
		t.Errorf("upload %+v", up)
	}
	if tp.Title != p.Proposal.Title || tp.Category != 7 || tp.ExternalID != "attune-"+p.CycleID || len(tp.Tags) != 1 || tp.Username != "attune-bot" {
		t.Errorf("topic %+v", tp)
	}
	for _, want := range []string{p.Proposal.Post[:300], "![objectives.png](" + up.ShortURL + ")", "[details=\"Appendix\"]\n\n## Appendix", "[/details]"} {
		if !strings.Contains(tp.Raw, want) {
			t.Errorf("raw lacks %q", want)
		}
	}
	if !strings.HasSuffix(tp.Raw, "\n<!-- attune:"+p.CycleID+" -->\n") {
		t.Errorf("raw does not end with the key:\n%s", tp.Raw[len(tp.Raw)-200:])
	}
	if r.ID != "4821" || r.URL != srv.URL+"/t/"+tp.Slug+"/4821" {
		t.Errorf("receipt %+v", r)
	}
	// Found by its external_id, without listing the category.
	got, found, err := s.Find(context.Background(), p)
	if !found || err != nil || !reflect.DeepEqual(got, r) || forum.Calls("GET /c") != 1 {
		t.Errorf("Find = %+v, %v, %v after %d category listings", got, found, err, forum.Calls("GET /c"))
	}
}

// On a forum older than external ids the key in the post finds it among
// the category's topics of the same title; another cycle's topic of
// that title is not taken for it.
func TestFindOnALegacyForum(t *testing.T) {
	forum, srv := discoursetest.New(apiKey)
	defer srv.Close()
	forum.Legacy = true
	s := newSink(t, config(srv.URL), apiKey, httpx.Options{})
	p := sinktest.Publication(t)
	r, err := s.Publish(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := s.Find(context.Background(), p)
	if !found || err != nil || !reflect.DeepEqual(got, r) || forum.Calls("GET /raw") != 1 {
		t.Errorf("Find = %+v, %v, %v (raw read %d times)", got, found, err, forum.Calls("GET /raw"))
	}
	other := *p
	other.Key = "attune:2026-10-21-0123456789ab"
	if _, found, err := s.Find(context.Background(), &other); found || err != nil {
		t.Errorf("another key found %v, %v", found, err)
	}
}

// The forum's errors come back saying what it said and what to do; the
// key never shows. 4xx are not retried and are marked not sent, except
// when an earlier attempt may have made the topic.
func TestErrors(t *testing.T) {
	p := sinktest.Publication(t)

	t.Run("bad key", func(t *testing.T) {
		forum, srv := discoursetest.New(apiKey)
		defer srv.Close()
		_, err := newSink(t, config(srv.URL), "wrong-key-0000", httpx.Options{}).Publish(context.Background(), p)
		if err == nil || !strings.Contains(err.Error(), "HTTP 403") || !strings.Contains(err.Error(), "The API username or key is invalid") ||
			!strings.Contains(err.Error(), "$DISCOURSE_API_KEY") || strings.Contains(err.Error(), "wrong-key") || !adapters.IsNotSent(err) {
			t.Errorf("err %v", err)
		}
		if forum.Calls("POST /uploads.json") != 1 || forum.Calls("POST /posts.json") != 0 {
			t.Errorf("retried or went on: %d uploads, %d posts", forum.Calls("POST /uploads.json"), forum.Calls("POST /posts.json"))
		}
	})

	t.Run("title taken", func(t *testing.T) {
		forum, srv := discoursetest.New(apiKey)
		defer srv.Close()
		s := newSink(t, config(srv.URL), apiKey, httpx.Options{})
		first := *p
		first.Key = "attune:someone-else"
		if _, err := s.Publish(context.Background(), &first); err != nil {
			t.Fatal(err)
		}
		_, err := s.Publish(context.Background(), p)
		if err == nil || !strings.Contains(err.Error(), "HTTP 422: Title has already been used") || !strings.Contains(err.Error(), "rename that topic") || !adapters.IsNotSent(err) {
			t.Errorf("err %v", err)
		}
		if len(forum.Topics()) != 1 {
			t.Errorf("%d topics", len(forum.Topics()))
		}
	})

	t.Run("rate limited then served", func(t *testing.T) {
		forum, srv := discoursetest.New(apiKey)
		defer srv.Close()
		forum.Push(discoursetest.RateLimited, discoursetest.BadGateway)
		var sl sinktest.Sleeps
		if _, err := newSink(t, config(srv.URL), apiKey, httpx.Options{Sleep: sl.Sleep}).Publish(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		if len(sl.Waits()) != 2 || sl.Waits()[0] != 10*time.Second || len(forum.Topics()) != 1 || forum.Calls("POST /uploads.json") != 3 {
			t.Errorf("waits %v, %d topics, %d upload requests", sl.Waits(), len(forum.Topics()), forum.Calls("POST /uploads.json"))
		}
	})

	t.Run("rate limited without retries", func(t *testing.T) {
		forum, srv := discoursetest.New(apiKey)
		defer srv.Close()
		c := config(srv.URL)
		none := 0
		c.MaxRetries = &none
		forum.Push(discoursetest.RateLimited)
		_, err := newSink(t, c, apiKey, httpx.Options{}).Publish(context.Background(), p)
		if err == nil || !strings.Contains(err.Error(), "publish again after 10 seconds") || !adapters.IsTransient(err) {
			t.Errorf("err %v", err)
		}
	})

	t.Run("answer lost after the topic was made", func(t *testing.T) {
		forum, srv := discoursetest.New(apiKey)
		defer srv.Close()
		forum.LoseAnswers = 1
		var sl sinktest.Sleeps
		s := newSink(t, config(srv.URL), apiKey, httpx.Options{Sleep: sl.Sleep})
		_, err := s.Publish(context.Background(), p)
		// The retry meets the topic the lost answer made: a 422 that
		// does not prove nothing was published.
		var he *httpx.Error
		if !errors.As(err, &he) || he.Status != 422 || adapters.IsNotSent(err) || len(forum.Topics()) != 1 {
			t.Fatalf("err %v (not sent: %v), %d topics", err, adapters.IsNotSent(err), len(forum.Topics()))
		}
		if _, found, err := s.Find(context.Background(), p); !found || err != nil {
			t.Errorf("Find after the lost answer: %v, %v", found, err)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		forum, srv := discoursetest.New(apiKey)
		defer srv.Close()
		c := config(srv.URL)
		none := 0
		c.MaxRetries = &none
		forum.Push(sinktest.Reply{Status: 200, Body: `{}`}) // a 2xx without an upload
		_, err := newSink(t, c, apiKey, httpx.Options{}).Publish(context.Background(), p)
		if err == nil || !strings.Contains(err.Error(), "without a short_url") || !adapters.IsNotSent(err) {
			t.Errorf("odd upload answer: %v", err)
		}
		forum.Push(sinktest.Reply{Hang: true})
		_, err = newSink(t, c, apiKey, httpx.Options{Timeout: 50 * time.Millisecond}).Publish(context.Background(), p)
		if err == nil || !strings.Contains(err.Error(), "no whole answer within 50ms") || !adapters.IsTransient(err) {
			t.Errorf("timeout: %v", err)
		}
	})
}

// Preview shows the upload and the topic without sending anything.
func TestPreviewSendsNothing(t *testing.T) {
	forum, srv := discoursetest.New(apiKey)
	defer srv.Close()
	out, err := newSink(t, config(srv.URL), apiKey, httpx.Options{}).Preview(context.Background(), sinktest.Publication(t))
	if err != nil || len(out) != 2 {
		t.Fatal(out, err)
	}
	if !strings.Contains(out[0].Target, "/uploads.json") || !strings.Contains(string(out[1].Body), `"external_id": "attune-2026-10-28-4018bc275ab6"`) ||
		!strings.Contains(string(out[1].Body), "upload://(objectives.png once uploaded)") || strings.Contains(string(out[1].Body), apiKey) {
		t.Errorf("preview %s\n%s", out[0].Target, out[1].Body)
	}
	if forum.Calls("POST /uploads.json")+forum.Calls("POST /posts.json") != 0 {
		t.Error("Preview sent requests")
	}
}

func TestExternalID(t *testing.T) {
	for key, want := range map[string]string{
		"attune:2026-10-28-4018bc275ab6": "attune-2026-10-28-4018bc275ab6",
		"attune:a b/c":                   "attune-a-b-c",
	} {
		if got := discourse.ExternalID(key); got != want {
			t.Errorf("ExternalID(%q) = %q; want %q", key, got, want)
		}
	}
	long := discourse.ExternalID("attune:" + strings.Repeat("x", 80))
	if len(long) != discourse.MaxExternalID || long == discourse.ExternalID("attune:"+strings.Repeat("x", 81)) {
		t.Errorf("a long key gives %q", long)
	}
}

func TestCheck(t *testing.T) {
	good := config("https://forum.example.org")
	if errs := good.Check(); len(errs) != 0 {
		t.Fatalf("good config: %v", errs)
	}
	for field, mutate := range map[string]func(c *discourse.Config){
		"base_url":     func(c *discourse.Config) { c.BaseURL = "forum.example.org" },
		"category":     func(c *discourse.Config) { c.Category = 0 },
		"api_username": func(c *discourse.Config) { c.APIUsername = " " },
		"api_key":      func(c *discourse.Config) { c.APIKey = adapters.Secret{} },
		"tags[0]":      func(c *discourse.Config) { c.Tags = []string{"two words"} },
	} {
		c := *config("https://forum.example.org")
		mutate(&c)
		if errs := c.Check(); len(errs) != 1 || errs[0].Field != field {
			t.Errorf("%s: Check() = %v", field, errs)
		}
	}
	// An unset key stops NewSink, naming the variable.
	_, err := config("https://forum.example.org").NewSink(adapters.Env{})
	if !errors.Is(err, adapters.ErrNoSecret) || !strings.Contains(err.Error(), "DISCOURSE_API_KEY") {
		t.Errorf("unset key: %v", err)
	}
}
