package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/internal/sqldb"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/server"
	"github.com/attune-dao/attune/service"
	"github.com/attune-dao/attune/store"
)

// serveShutdownTimeout bounds how long a stopping service waits for HTTP
// requests in progress.
const serveShutdownTimeout = 10 * time.Second

// authEnv is the environment variable naming the auth file when --auth
// is not given.
const authEnv = "ATTUNE_AUTH"

func (a *app) serveCmd() *cobra.Command {
	var configs []string
	var dsn, listen, actor, authFile, tlsCert, tlsKey string
	var noTrack bool
	var workers int
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run cycles on each DAO's schedule and on demand, and serve the stewards' review desk",
		Long: `Run attune as a service: for each DAO config (--config, repeated, or a
directory of *.yaml configs), reconcile the DAO at start and then on its
schedule (the config's schedule: "@every 24h", "@daily" or a cron
expression; none means on demand only), one cycle at a time per DAO, and
--workers cycles at a time in all (1 by default: a cycle already spreads
its simulations over every CPU; DAOs due at once wait their turn).

A reconcile takes the DAO's lock in the store (a file lock beside a SQLite
database, an advisory lock on PostgreSQL), so that a cron attune run or
another replica never runs the same DAO at once, then decides from the
current state: it resumes a cycle a stopped process left in flight, or reads
the data and runs a cycle only when no cycle of the same config and data is
already pending review, approved, published or rejected. Each cycle's
states (fetching, calibrating, optimizing, drafting, pending_review) are
recorded in the store as it reaches them; it writes its directory under the
config's out, as attune run does, and waits there for a steward's review.
Approved cycles are published to their config's sinks, each sink once.
Transient failures (network, rate limits, a busy database) are retried with
backoff; others fail the cycle with its message.

The store is --store (sqlite:PATH, a path ending .db, or postgres://...),
by default the SQLite file attune.db in the configs' out directory, the
store attune run records into.

HTTP on --listen: /healthz, /readyz and /metrics (Prometheus) always; with
an auth file (--auth FILE, or the file $ATTUNE_AUTH names) also the
stewards' review desk at / and the JSON API at /api/v1 (described at
/openapi.json). Without one, there is no desk and no API: review with
attune proposals approve|reject on the same store. The auth file lists who
may sign in, each token by its SHA-256 or by the environment variable or
file that holds it (never the token itself), and where the session key is:

  tokens:
    - {name: alice, role: steward, sha256: 3f7a...}  # sha256sum of the token
    - {name: ci, role: viewer, env: ATTUNE_TOKEN_CI}
  session_key: {env: ATTUNE_SESSION_KEY}          # 32+ random bytes

A viewer reads; a steward also approves, rejects, publishes and runs cycles;
an admin also verifies the audit log. Without session_key, a random key is
made at start: sessions then end when the process does. The desk's session
cookies are Secure: serve it over HTTPS, with --tls-cert and --tls-key or
behind a proxy that terminates TLS.

SIGHUP reads the --config files and directories again: DAOs added or whose
config changed are reconciled at once and follow their schedules, DAOs
removed are no longer run; no cycle in flight is stopped (one of a changed
or removed DAO finishes on the config it started with). Configs that do
not load leave the service as it was, and the log says why. The store,
the auth file and the flags are not read again.

SIGINT or SIGTERM stop it: no new cycle starts, the cycle in flight is
cancelled and stays in its state, and the next start resumes it; attune
serve then exits 0. Deployment: docs/DEPLOY.md.`,
		Example: `  attune serve --config dao.yaml
  attune serve --config /etc/attune/daos --store postgres://attune@db:5432/attune --listen :8080 --auth /etc/attune/auth.yaml
  curl -s localhost:8080/metrics | grep attune_cycles`,
		Args: noArgs,
		Annotations: map[string]string{
			interruptedNote: "the cycle in flight stays in its state and resumes at the next start",
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			daos, err := a.serveConfigs(cmd, configs)
			if err != nil {
				return err
			}
			if dsn, err = serveDSN(dsn, daos); err != nil {
				return err
			}
			if workers < 1 {
				return usageError{fmt.Errorf("--workers %d: want 1 or more cycles at once", workers)}
			}
			if (tlsCert == "") != (tlsKey == "") {
				return usageError{errors.New("--tls-cert and --tls-key go together: give both, or neither (and terminate TLS in a proxy)")}
			}
			if authFile == "" {
				authFile = os.Getenv(authEnv)
			}
			var auth *server.Auth
			if authFile != "" {
				au, err := server.LoadAuth(authFile, adapters.Env{Getenv: os.Getenv})
				if err != nil {
					return usageError{fmt.Errorf("--auth: %w", err)}
				}
				auth = &au
			}
			logger := a.serviceLogger()
			if path, err := sqldb.SQLitePath(dsn); err != nil {
				return usageError{fmt.Errorf("--store: %w", err)}
			} else if path != "" {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					return fmt.Errorf("store: %w", err)
				}
			}
			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			if actor == "" {
				host, _ := os.Hostname()
				actor = "serve@" + host
			}
			opts := service.Options{
				Store: st, DAOs: daos, Actor: actor, Logger: logger, Workers: workers,
				Cycle: loop.Options{Version: buildVersion()},
			}
			if !noTrack {
				opts.Cycle.TrackRecord = trackRecord
			}
			svc, err := service.New(opts)
			if err != nil {
				return err
			}
			handler, err := serveHandler(svc, st, auth, logger)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return usageError{fmt.Errorf("--listen %s: %w", listen, err)}
			}
			srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
			served := make(chan error, 1)
			scheme := "http"
			if tlsCert != "" {
				scheme = "https"
				go func() { served <- srv.ServeTLS(ln, tlsCert, tlsKey) }()
			} else {
				go func() { served <- srv.Serve(ln) }()
			}
			var names []string
			for _, d := range daos {
				names = append(names, d.Config.DAO.Name)
			}
			stopReloads := a.reloadOnHangup(ctx, cmd, configs, svc, logger)
			logger.Info("serving", "addr", ln.Addr().String(), "scheme", scheme, "desk", auth != nil, "store", st.String(), "daos", strings.Join(names, ", "), "version", buildVersion())
			runErr := svc.Run(ctx)
			stopReloads()
			shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), serveShutdownTimeout)
			defer cancel()
			httpErr := srv.Shutdown(shut)
			if err := <-served; !errors.Is(err, http.ErrServerClosed) {
				httpErr = errors.Join(httpErr, err)
			}
			if err := errors.Join(runErr, httpErr); err != nil {
				return err
			}
			logger.Info("stopped")
			return nil
		},
	}
	f := cmd.Flags()
	// A local --config shadows the root's: the service takes several.
	f.StringArrayVarP(&configs, "config", "c", nil, "a DAO's config file, or a directory of them (*.yaml, *.yml); repeat for several DAOs")
	f.StringVar(&dsn, "store", "", "the store: sqlite:PATH, a path ending .db, or postgres://user@host:5432/db (default: sqlite:<out>/attune.db, out being the configs')")
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "the address HTTP is served on (/healthz, /readyz, /metrics; the desk and API with --auth)")
	f.StringVar(&authFile, "auth", "", "the auth file: the tokens that may use the review desk and the API, and the session key (default: the file $"+authEnv+" names; none: no desk, no API)")
	f.StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	f.StringVar(&tlsKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	f.StringVar(&actor, "actor", "", "who the store's audit log records the service's changes as (default: serve@<hostname>)")
	f.IntVar(&workers, "workers", 1, "how many cycles run at once, across DAOs (each spreads its simulations over every CPU)")
	f.BoolVar(&noTrack, "no-track-record", false, "skip each cycle's short backtest (2 windows of 180 days) whose result the proposal quotes")
	_ = cmd.MarkFlagFilename("auth", "yaml", "yml")
	_ = cmd.MarkFlagFilename("tls-cert", "pem", "crt")
	_ = cmd.MarkFlagFilename("tls-key", "pem", "key")
	return cmd
}

// reloadOnHangup reloads the service's configs (the --config flags read
// again) on each SIGHUP until ctx ends or the function returned is
// called. A reload that fails is logged and changes nothing.
func (a *app) reloadOnHangup(ctx context.Context, cmd *cobra.Command, configs []string, svc *service.Service, logger *slog.Logger) func() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-hup:
			}
			logger.Info("SIGHUP: reloading the configs")
			daos, err := a.serveConfigs(cmd, configs)
			var r service.Reloaded
			if err == nil {
				r, err = svc.Reload(daos)
			}
			if err != nil {
				logger.Error("reload failed; the service runs the configs it ran before", "error", err)
				continue
			}
			logger.Info("reloaded", "added", strings.Join(r.Added, ", "), "changed", strings.Join(r.Changed, ", "),
				"removed", strings.Join(r.Removed, ", "), "kept", strings.Join(r.Kept, ", "))
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		<-finished
	}
}

// serveConfigs loads the configs the --config flags name: files, and the
// *.yaml and *.yml files of directories, in name order.
func (a *app) serveConfigs(cmd *cobra.Command, args []string) ([]service.DAO, error) {
	if len(args) == 0 {
		return nil, usageError{errors.New("no --config: give each DAO's config file, or a directory of them")}
	}
	var files []string
	for _, arg := range args {
		if strings.TrimSpace(arg) == "" {
			return nil, usageError{errors.New("--config is empty; give a config file or a directory of them")}
		}
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
		if !fi.IsDir() {
			files = append(files, arg)
			continue
		}
		var in []string
		for _, pat := range []string{"*.yaml", "*.yml"} {
			m, err := filepath.Glob(filepath.Join(arg, pat))
			if err != nil {
				return nil, usageError{fmt.Errorf("--config %s: %w", arg, err)}
			}
			in = append(in, m...)
		}
		if len(in) == 0 {
			return nil, usageError{fmt.Errorf("--config %s: the directory holds no *.yaml or *.yml config", arg)}
		}
		slices.Sort(in)
		files = append(files, in...)
	}
	over := map[string]any{}
	if cmd.Flags().Changed("seed") {
		over["optimizer.seed"] = a.seed
	}
	var out []service.DAO
	for _, f := range files {
		cfg, err := config.Load(config.LoadOptions{File: f, Overrides: over})
		if err != nil {
			return nil, err
		}
		out = append(out, service.DAO{Config: cfg, File: f})
	}
	return out, nil
}

// serveDSN returns the store's DSN: --store, else attune.db in the
// configs' out directory, which they must then share.
func serveDSN(flag string, daos []service.DAO) (string, error) {
	if flag != "" {
		return flag, nil
	}
	out := daos[0].Config.Out
	for _, d := range daos[1:] {
		if filepath.Clean(d.Config.Out) != filepath.Clean(out) {
			return "", usageError{fmt.Errorf("the configs write to different out directories (%s: %s, %s: %s), so there is no one default store; give --store",
				daos[0].File, out, d.File, d.Config.Out)}
		}
	}
	return "sqlite:" + filepath.Join(out, storeFile), nil
}

// serviceLogger logs with slog to stderr, as text or JSON (--log-format):
// a service's log is read by machines, even on a terminal.
func (a *app) serviceLogger() *slog.Logger {
	var w io.Writer = a.stderr
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if a.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serveHandler is what attune serve answers HTTP with. With auth, the
// server package's: the review desk and the JSON API over the store, the
// service running cycles on demand and publishing approved ones, and
// /healthz, /readyz (the service's readiness) and /metrics (the
// service's registry). Without auth, only those three.
func serveHandler(svc *service.Service, st store.Store, auth *server.Auth, logger *slog.Logger) (http.Handler, error) {
	metrics := promhttp.HandlerFor(svc.Metrics().Registry(), promhttp.HandlerOpts{})
	if auth == nil {
		logger.Info("no auth file (--auth): the review desk and the API are off; review with attune proposals on the same store")
		return server.Health(svc.Ready, metrics, logger), nil
	}
	return server.New(server.Options{
		Store:  st,
		Runner: svc,
		// The service publishes as the steward who approved the cycle.
		Publish:    func(ctx context.Context, c store.Cycle, _ string) error { return svc.Publish(ctx, c.ID) },
		Tokens:     auth.Tokens,
		SessionKey: auth.SessionKey,
		Metrics:    metrics,
		Ready:      svc.Ready,
		Logger:     logger,
		Version:    buildVersion(),
	})
}
