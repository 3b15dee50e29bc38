package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/attune-dao/attune/service"
	"github.com/attune-dao/attune/store"
)

// Runner starts a DAO's cycle now, outside its schedule
// (*service.Service is one). RunNow returns once the cycle is recorded in
// the store (it may go on running), with its ID, or, Unchanged, the cycle
// that already decided the DAO's current config and data; an error
// wrapping store.ErrLocked when the DAO's cycle is running already,
// ErrUnknownDAO when the service runs no such DAO, service.ErrRetrying
// when the data could not be read for now.
type Runner interface {
	RunNow(ctx context.Context, dao string) (service.Started, error)
}

// ErrUnknownDAO is what a Runner returns for a DAO it does not run: the
// service's own error, so that *service.Service is a Runner as it is.
var ErrUnknownDAO = service.ErrUnknownDAO

// PublishFunc hands an approved cycle to the configured sinks and records
// what each published (store.Store.RecordPublication), advancing the cycle
// to published once all have. It is called after a steward approves, and
// again when one asks to retry; approver names the steward. It must
// publish each sink at most once however often it is called.
type PublishFunc func(ctx context.Context, c store.Cycle, approver string) error

// Options configure the server.
type Options struct {
	// Store is where cycles, reviews and publications are (required).
	Store store.Store
	// Runner runs a cycle on demand; without one, run-now is refused
	// (501).
	Runner Runner
	// Publish publishes an approved cycle; without it approval only
	// records the decision and the cycle waits, approved, for whatever
	// publishes.
	Publish PublishFunc
	// Tokens are the bearer tokens accepted (Tokens resolves them from
	// the config). Without any, nobody can sign in.
	Tokens []Token
	// SessionKey signs the desk's session cookies (SessionKey reads it;
	// at least MinSessionKeyLength bytes). Without one, a random key is
	// made: sessions then end when the process does and are not shared
	// by replicas.
	SessionKey []byte
	// SessionTTL is how long a desk session lasts (12 hours when 0).
	SessionTTL time.Duration
	// ReadCacheTTL is how long a cycle read from the store is shown from
	// memory (1 second when 0; none when negative). A cycle this server
	// changes is read again at once; one changed elsewhere shows within
	// the TTL.
	ReadCacheTTL time.Duration
	// PublishTimeout bounds one publication (5 minutes when 0).
	PublishTimeout time.Duration
	// Metrics is served at /metrics when set (Prometheus' handler).
	Metrics http.Handler
	// Ready, when set, says whether the server is ready (/readyz): nil
	// when it is. Without it, /readyz asks the store.
	Ready func(ctx context.Context) error
	// Logger receives a line per request that changes something or fails
	// (debug for the others); never a token, a cookie or a form's
	// contents. Discarded when nil.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Version is attune's version, shown in the desk's footer.
	Version string
}

// Limits on what a request may send.
const (
	maxJSONBody  = 64 << 10 // an API request body
	maxFormBody  = 32 << 10 // a desk form
	maxComment   = 10_000   // a review comment, the store's bound
	defaultLimit = 50       // cycles per page
	maxLimit     = 500
)

// Server is attune's HTTP side: the JSON API under /api/v1, the review
// desk, /healthz, /readyz and /metrics. New builds it.
type Server struct {
	opt      Options
	log      *slog.Logger
	tokens   *tokenSet
	sessions *sessions
	mux      *http.ServeMux
	cache    *pageCache
	reads    *ttlCache[store.Cycle]
	docs     *ttlCache[[]byte]
	desk     *desk
	openAPI  []byte
}

// New returns the server's handler, or an error naming the option that
// is missing or wrong.
func New(opt Options) (*Server, error) {
	if opt.Store == nil {
		return nil, errors.New("server: Options.Store is nil; open the store (store.Open) and pass it")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 12 * time.Hour
	}
	if opt.ReadCacheTTL == 0 {
		opt.ReadCacheTTL = time.Second
	}
	if opt.PublishTimeout <= 0 {
		opt.PublishTimeout = 5 * time.Minute
	}
	ts, err := newTokenSet(opt.Tokens)
	if err != nil {
		return nil, err
	}
	key := opt.SessionKey
	switch {
	case key == nil:
		key = []byte(randomText(32))
		opt.Logger.Warn("no session key configured: desk sessions end when this process does and are not shared by replicas")
	case len(key) < MinSessionKeyLength:
		return nil, fmt.Errorf("server: the session key is %d bytes; use at least %d random ones (openssl rand -hex 32)", len(key), MinSessionKeyLength)
	}
	if len(opt.Tokens) == 0 {
		opt.Logger.Warn("no tokens configured: nobody can sign in to the desk or call the API")
	}
	s := &Server{
		opt:      opt,
		log:      opt.Logger,
		tokens:   ts,
		sessions: &sessions{key: key, ttl: opt.SessionTTL, now: opt.Now, tokens: ts},
		mux:      http.NewServeMux(),
		cache:    newPageCache(256),
		reads:    newTTLCache[store.Cycle](opt.ReadCacheTTL, opt.Now, 1024),
		docs:     newTTLCache[[]byte](opt.ReadCacheTTL, opt.Now, 1024),
	}
	if s.desk, err = newDesk(s); err != nil {
		return nil, err
	}
	if s.openAPI, err = openAPIDoc(opt.Version); err != nil {
		return nil, fmt.Errorf("server: OpenAPI document: %w", err)
	}
	s.routes()
	return s, nil
}

// ServeHTTP serves a request: secure headers on every response, a panic
// turned into a 500, one log line.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.opt.Now()
	who := &Principal{}
	r = r.WithContext(context.WithValue(r.Context(), principalKey{}, who))
	rec := &statusRecorder{ResponseWriter: w}
	setSecureHeaders(rec.Header(), r)
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic serving a request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !rec.wrote {
				s.fail(rec, r, http.StatusInternalServerError, "internal", "the server failed; the log has the details")
			}
		}
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelError
		} else if r.Method != http.MethodGet && r.Method != http.MethodHead || rec.status >= 400 {
			level = slog.LevelInfo
		}
		if s.log.Enabled(r.Context(), level) {
			s.log.Log(r.Context(), level, "request", "method", r.Method, "path", clip(r.URL.Path, 200), "status", rec.code(),
				"user", who.Name, "duration", s.opt.Now().Sub(start))
		}
	}()
	s.mux.ServeHTTP(rec, r)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) code() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// contentSecurityPolicy allows the desk's own stylesheet and images and
// nothing else: no script at all, no inline style, no framing, forms only
// back to the desk.
const contentSecurityPolicy = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// setSecureHeaders sets the headers every response carries.
func setSecureHeaders(h http.Header, r *http.Request) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// routes registers every handler.
func (s *Server) routes() {
	m := s.mux
	ready := s.opt.Ready
	if ready == nil {
		ready = func(ctx context.Context) error {
			_, err := s.opt.Store.Cycles(ctx, store.Filter{Limit: 1})
			return err
		}
	}
	healthRoutes(m, ready, s.opt.Metrics, s.log)
	m.HandleFunc("GET /openapi.json", s.openapi)
	s.apiRoutes()
	s.desk.routes(m)
}

// Health serves only what a supervisor and Prometheus need, for a
// service without the desk and the API: /healthz (200 while the process
// serves), /readyz (200 when ready says so within five seconds, else
// 503; the log says why) and, when metrics is set, /metrics. Every
// answer carries the secure headers; anything else is a 404.
func Health(ready func(ctx context.Context) error, metrics http.Handler, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := http.NewServeMux()
	healthRoutes(m, ready, metrics, logger)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecureHeaders(w.Header(), r)
		m.ServeHTTP(w, r)
	})
}

// healthRoutes registers /healthz, /readyz and /metrics.
func healthRoutes(m *http.ServeMux, ready func(ctx context.Context) error, metrics http.Handler, log *slog.Logger) {
	m.HandleFunc("GET /healthz", healthz)
	m.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { readyz(w, r, ready, log) })
	if metrics != nil {
		m.Handle("GET /metrics", metrics)
	}
}

// healthz answers 200 while the process serves.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 when ready says so within five seconds, 503
// otherwise, logging why.
func readyz(w http.ResponseWriter, r *http.Request, ready func(ctx context.Context) error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := ready(ctx); err != nil {
		log.Error("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready; the log says why\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// principalKey keys the request's Principal in its context.
type principalKey struct{}

// setPrincipal records who the request acts as, for the log line.
func setPrincipal(r *http.Request, p Principal) {
	if holder, ok := r.Context().Value(principalKey{}).(*Principal); ok {
		*holder = p
	}
}

// clip shortens s to at most n bytes on a rune boundary, for quoting.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// wantsJSON reports whether a request is the API's.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/openapi.json"
}
