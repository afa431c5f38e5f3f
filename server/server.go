// Package server is medialabel's HTTP API and moderators' page, built on
// gin. It depends only on the small interfaces it defines (ImageHasher,
// Matcher, BankReader, BankWriter, Classifier), which the command wires to
// the real packages and tests to in-memory fakes (package servertest).
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxBodyBytes    = 20 << 20
	DefaultMaxCaptionBytes = 16 << 10
	DefaultMaxTexts        = 256
	DefaultQueueWait       = time.Second
	DefaultRequestTimeout  = 30 * time.Second
	DefaultShutdownTimeout = 20 * time.Second
)

// Config is what a Server serves and how it protects itself. The
// components may be nil: calls that need a missing one are answered 503.
type Config struct {
	Hasher     ImageHasher
	Matcher    Matcher
	Banks      BankReader
	Editor     BankWriter
	Classifier Classifier
	// Ready lists the readiness checks behind /readyz.
	Ready []Check
	// Keys are the API keys. With none, every call is allowed, and Serve
	// refuses to listen anywhere but on loopback.
	Keys   []APIKey
	Logger *slog.Logger
	// Collectors are more Prometheus collectors to serve at /metrics
	// (the indexes' size, say), beside the server's own.
	Collectors []prometheus.Collector

	// MaxBodyBytes bounds a request body (default 20 MB).
	MaxBodyBytes int64
	// MaxCaptionBytes bounds one caption or text to classify (default 16 KiB).
	MaxCaptionBytes int
	// MaxTexts bounds the texts of one /v1/classify call (default 256).
	MaxTexts int
	// MaxDecodes bounds the images decoded at once (default GOMAXPROCS).
	MaxDecodes int
	// UploadBudget bounds the bytes of request bodies held in memory at
	// once (default 4 × MaxBodyBytes). A request reserves its
	// Content-Length (MaxBodyBytes when unknown) before its body is read.
	UploadBudget int64
	// QueueWait is how long a request waits for an upload or decode slot
	// before it is answered 503 with Retry-After (default 1 s).
	QueueWait time.Duration
	// RequestTimeout bounds the work on one request (default 30 s).
	RequestTimeout time.Duration
	// ShutdownTimeout bounds how long Serve waits for in-flight requests
	// after its context is cancelled (default 20 s).
	ShutdownTimeout time.Duration
}

// A Server answers medialabel's HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	keys    *keyring
	metrics *metrics
	uploads *semaphore.Weighted
	decodes chan struct{}
	engine  *gin.Engine
}

// New returns a server for cfg, with defaults filled in.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxCaptionBytes <= 0 {
		cfg.MaxCaptionBytes = DefaultMaxCaptionBytes
	}
	if cfg.MaxTexts <= 0 {
		cfg.MaxTexts = DefaultMaxTexts
	}
	if cfg.MaxDecodes <= 0 {
		cfg.MaxDecodes = runtime.GOMAXPROCS(0)
	}
	if cfg.UploadBudget <= 0 {
		cfg.UploadBudget = 4 * cfg.MaxBodyBytes
	}
	if cfg.UploadBudget < cfg.MaxBodyBytes {
		return nil, fmt.Errorf("upload budget %d is below the body limit %d", cfg.UploadBudget, cfg.MaxBodyBytes)
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = DefaultQueueWait
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		keys:    newKeyring(cfg.Keys),
		metrics: newMetrics(cfg.Banks, cfg.Logger),
		uploads: semaphore.NewWeighted(cfg.UploadBudget),
		decodes: make(chan struct{}, cfg.MaxDecodes),
	}
	for _, c := range cfg.Collectors {
		if err := s.metrics.reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	s.engine = s.routes()
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Serve answers requests on ln until ctx is cancelled, then stops
// accepting connections and waits (up to ShutdownTimeout) for the
// requests in flight to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := CheckListenAddr(ln.Addr().String(), len(s.cfg.Keys) > 0); err != nil {
		return err
	}
	if s.keys.empty() {
		s.log.Warn("no API keys configured: every call is allowed, and the service listens on loopback only", "addr", ln.Addr().String())
	}
	hs := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      s.cfg.RequestTimeout + 30*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "api_keys", len(s.cfg.Keys))
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing requests in flight", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

// CheckListenAddr refuses an address that is not loopback when no API
// keys are configured.
func CheckListenAddr(addr string, haveKeys bool) error {
	if haveKeys {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not loopback, and no API keys are configured: set --api-keys or MEDIALABEL_API_KEYS, or listen on 127.0.0.1", addr)
	}
	return nil
}

// Keys the middleware stores in the gin context.
const (
	ctxRequestID = "medialabel.request_id"
	ctxProblem   = "medialabel.problem"
	ctxRole      = "medialabel.role"
)

const maxRequestIDLen = 128

// requestID takes the caller's X-Request-Id when it is short printable
// ASCII, and makes one up otherwise.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if !validRequestID(id) {
		var b [12]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// observe logs each request and counts it in the metrics. Routes not
// found are counted under the route "unmatched", so that scanners cannot
// blow up the metrics' cardinality.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	d := time.Since(start)
	st := strconv.Itoa(status)
	s.metrics.requests.WithLabelValues(route, c.Request.Method, st).Inc()
	s.metrics.latency.WithLabelValues(route, st).Observe(d.Seconds())
	level := slog.LevelInfo
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable:
		level = slog.LevelError
	case status >= 500:
		level = slog.LevelWarn
	}
	if route == "/healthz" || route == "/readyz" || route == "/metrics" || !s.log.Enabled(c.Request.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", c.GetString(ctxRequestID)),
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.String("path", truncate(c.Request.URL.Path, 200)),
		slog.Int("status", status),
		slog.Int("bytes", c.Writer.Size()),
		slog.Duration("duration", d),
		slog.String("remote", c.ClientIP()),
	}
	if p := c.GetString(ctxProblem); p != "" {
		attrs = append(attrs, slog.String("problem", p))
	}
	s.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

// recoverPanic turns a panic in a handler into a logged 500 problem. It is
// for real bugs only: bad input never reaches it.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic in handler", "request_id", c.GetString(ctxRequestID), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				writeProblem(c, errorf(http.StatusInternalServerError, probInternal, "internal error; the request id is in the log"))
			}
			c.Abort()
		}
	}()
	c.Next()
}

// deadline bounds the request's work.
func (s *Server) deadline(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// auth requires a key of role need when keys are configured.
func (s *Server) auth(need Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.keys.empty() {
			c.Set(ctxRole, string(RoleAdmin))
			c.Next()
			return
		}
		h := c.GetHeader("Authorization")
		scheme, token, ok := cutSpace(h)
		if !ok || !equalFoldASCII(scheme, "Bearer") || token == "" {
			writeProblem(c, errorf(http.StatusUnauthorized, probUnauthorized, "this call needs an API key: Authorization: Bearer KEY"))
			return
		}
		role, ok := s.keys.lookup(token)
		if !ok {
			writeProblem(c, errorf(http.StatusUnauthorized, probUnauthorized, "unknown API key"))
			return
		}
		if !role.allows(need) {
			writeProblem(c, errorf(http.StatusForbidden, probForbidden, fmt.Sprintf("this call needs the %s role; the key has the %s role", need, role)))
			return
		}
		c.Set(ctxRole, string(role))
		c.Next()
	}
}

func cutSpace(s string) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			j := i
			for j < len(s) && s[j] == ' ' {
				j++
			}
			return s[:i], s[j:], true
		}
	}
	return s, "", false
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}
