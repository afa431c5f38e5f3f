package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/medialabel/medialabel"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Limits on the fields of a new bank entry, in bytes.
const (
	maxLabelBytes  = 200
	maxNoteBytes   = 2000
	maxSourceBytes = 500
	maxHashField   = 200
	maxListLimit   = 1000
	defListLimit   = 100
)

func (s *Server) routes() *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.Use(s.requestID, s.observe, s.recoverPanic, s.deadline, securityHeaders)
	r.NoRoute(func(c *gin.Context) {
		writeProblem(c, errorf(http.StatusNotFound, probNotFound, "no such route: "+truncate(c.Request.URL.Path, 100)))
	})
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, errorf(http.StatusMethodNotAllowed, probMethod, fmt.Sprintf("method %s is not allowed here", truncate(c.Request.Method, 20))))
	})

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})))
	r.GET("/openapi.json", s.openapi)
	s.pageRoutes(r)

	read := r.Group("/v1", s.auth(RoleLabel))
	read.POST("/label", s.handle(s.label))
	read.POST("/hash", s.handle(s.hash))
	read.GET("/match", s.handle(s.match))
	read.POST("/classify", s.handle(s.classify))
	read.GET("/banks", s.handle(s.banks))
	read.GET("/banks/:bank/entries", s.handle(s.listEntries))
	read.GET("/banks/:bank/entries/:id/thumbnail", s.handle(s.thumbnail))

	admin := r.Group("/v1", s.auth(RoleAdmin))
	admin.POST("/banks/:bank/entries", s.handle(s.addEntry))
	admin.DELETE("/banks/:bank/entries/:id", s.handle(s.deleteEntry))
	return r
}

// handle adapts a handler that returns its problem, if any.
func (s *Server) handle(h func(c *gin.Context) *apiError) gin.HandlerFunc {
	return func(c *gin.Context) {
		if e := h(c); e != nil {
			writeProblem(c, e)
		}
	}
}

func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	c.Next()
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, HealthResponse{Status: "ok"})
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	resp := ReadyResponse{Status: "ready", Checks: []CheckResult{}}
	for _, ch := range s.cfg.Ready {
		cr := CheckResult{Name: ch.Name, OK: true}
		if err := ch.Check(ctx); err != nil {
			cr.OK, cr.Error = false, err.Error()
			resp.Status = "not ready"
		}
		resp.Checks = append(resp.Checks, cr)
	}
	status := http.StatusOK
	if resp.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, resp)
}

func unavailable(what string) *apiError {
	return errorf(http.StatusServiceUnavailable, probUnavailable, what+" is not available in this service")
}

// internal logs err and returns the 500 problem for it, or a 503 when the
// request ran out of time.
func (s *Server) internal(c *gin.Context, what string, err error) *apiError {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return errorf(http.StatusServiceUnavailable, probRequestTimeout, what+": the request took too long")
	}
	s.log.Error(what, "request_id", c.GetString(ctxRequestID), "err", err)
	return errorf(http.StatusInternalServerError, probInternal, what+" failed; the request id is in the log")
}

// acquireDecode waits at most QueueWait for a decode slot.
func (s *Server) acquireDecode(c *gin.Context) (release func(), e *apiError) {
	start := time.Now()
	t := time.NewTimer(s.cfg.QueueWait)
	defer t.Stop()
	select {
	case s.decodes <- struct{}{}:
		s.metrics.waits.WithLabelValues("decode").Observe(time.Since(start).Seconds())
		return func() { <-s.decodes }, nil
	case <-t.C:
	case <-c.Request.Context().Done():
	}
	s.metrics.waits.WithLabelValues("decode").Observe(time.Since(start).Seconds())
	s.metrics.rejected.WithLabelValues("decode").Inc()
	return nil, errorf(http.StatusServiceUnavailable, probOverloaded, "too many images being decoded; retry shortly")
}

// imageError answers a hasher's error.
func (s *Server) imageError(c *gin.Context, err error) *apiError {
	switch {
	case errors.Is(err, ErrImageTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, probImageTooLarge, err.Error())
	case errors.Is(err, ErrImageFormat):
		return errorf(http.StatusUnsupportedMediaType, probMediaType, err.Error())
	case errors.Is(err, ErrImageCorrupt):
		return errorf(http.StatusUnprocessableEntity, probUndecodable, err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return s.internal(c, "image", err)
	}
	// An error the hasher did not classify comes from the image's bytes
	// all the same: it is the upload's fault, not a bug of the service.
	s.log.Warn("unclassified image error", "request_id", c.GetString(ctxRequestID), "err", err)
	return errorf(http.StatusUnprocessableEntity, probUndecodable, err.Error())
}

// fingerprint decodes and hashes an upload within a decode slot.
func (s *Server) fingerprint(c *gin.Context, data []byte) (medialabel.Fingerprint, []medialabel.RegionHash, *apiError) {
	if s.cfg.Hasher == nil {
		return medialabel.Fingerprint{}, nil, unavailable("image hashing")
	}
	release, e := s.acquireDecode(c)
	if e != nil {
		return medialabel.Fingerprint{}, nil, e
	}
	defer release()
	start := time.Now()
	fp, regions, err := s.cfg.Hasher.Fingerprint(c.Request.Context(), data)
	s.metrics.observe("fingerprint", start)
	if err != nil {
		return fp, nil, s.imageError(c, err)
	}
	return fp, regions, nil
}

func (s *Server) lookup(c *gin.Context, fp medialabel.Fingerprint, regions []medialabel.RegionHash, threshold int) ([]medialabel.Match, *apiError) {
	if s.cfg.Matcher == nil {
		return nil, unavailable("matching")
	}
	start := time.Now()
	ms, err := s.cfg.Matcher.Match(c.Request.Context(), fp, regions, threshold)
	s.metrics.observe("match", start)
	if err != nil {
		return nil, s.internal(c, "match", err)
	}
	if ms == nil {
		ms = []medialabel.Match{}
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Distance < ms[j].Distance })
	return ms, nil
}

func (s *Server) classifyTexts(c *gin.Context, texts []string) ([]medialabel.CaptionScore, *apiError) {
	if s.cfg.Classifier == nil {
		return nil, unavailable("caption classification")
	}
	start := time.Now()
	scores, err := s.cfg.Classifier.Classify(c.Request.Context(), texts)
	s.metrics.observe("classify", start)
	if err != nil {
		return nil, s.internal(c, "classify", err)
	}
	if len(scores) != len(texts) {
		return nil, s.internal(c, "classify", fmt.Errorf("classifier returned %d scores for %d texts", len(scores), len(texts)))
	}
	return scores, nil
}

func (s *Server) label(c *gin.Context) *apiError {
	release, e := s.reserveBody(c)
	if e != nil {
		return e
	}
	defer release()
	f, e := s.readForm(c, true, map[string]int{"caption": s.cfg.MaxCaptionBytes})
	if e != nil {
		return e
	}
	caption, hasCaption := f.fields["caption"]
	hasCaption = hasCaption && strings.TrimSpace(caption) != ""
	if !f.hasImage && !hasCaption {
		return badRequest(`want an "image" file, a "caption", or both`)
	}
	// The caption is scored while the image is hashed. The handler
	// always waits for it: the gin context must not outlive the handler.
	type captionOut struct {
		scores []medialabel.CaptionScore
		e      *apiError
	}
	var captionc chan captionOut
	if hasCaption {
		captionc = make(chan captionOut, 1)
		go func() {
			out := captionOut{}
			defer func() {
				if v := recover(); v != nil {
					s.log.Error("panic while classifying", "request_id", c.GetString(ctxRequestID), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
					out = captionOut{e: errorf(http.StatusInternalServerError, probInternal, "internal error; the request id is in the log")}
				}
				captionc <- out
			}()
			out.scores, out.e = s.classifyTexts(c, []string{caption})
		}()
	}
	resp := LabelResponse{}
	var imgErr *apiError
	if f.hasImage {
		var fp medialabel.Fingerprint
		var regions []medialabel.RegionHash
		fp, regions, imgErr = s.fingerprint(c, f.image)
		f.image = nil
		if imgErr == nil {
			resp.Image = imageResult(fp)
			resp.Matches, imgErr = s.lookup(c, fp, regions, -1)
		}
	}
	var cs *medialabel.CaptionScore
	if captionc != nil {
		out := <-captionc
		if imgErr == nil && out.e != nil {
			return out.e
		}
		if out.e == nil {
			cs = &out.scores[0]
			resp.Caption = captionResult(*cs)
		}
	}
	if imgErr != nil {
		return imgErr
	}
	resp.Labels = labelsFor(resp.Matches, cs)
	c.JSON(http.StatusOK, resp)
	return nil
}

func (s *Server) hash(c *gin.Context) *apiError {
	release, e := s.reserveBody(c)
	if e != nil {
		return e
	}
	defer release()
	f, e := s.readForm(c, true, nil)
	if e != nil {
		return e
	}
	if !f.hasImage {
		return badRequest(`want an "image" file`)
	}
	fp, _, e := s.fingerprint(c, f.image)
	if e != nil {
		return e
	}
	c.JSON(http.StatusOK, imageResult(fp))
	return nil
}

// ParseMatchQuery reads the signal, hash and optional threshold of a
// /v1/match query. The threshold is -1 when absent (each signal's
// default), else 0 to the signal's bit length.
func ParseMatchQuery(q url.Values) (medialabel.Hash, int, error) {
	for _, k := range []string{"signal", "hash", "threshold"} {
		if len(q[k]) > 1 {
			return medialabel.Hash{}, 0, fmt.Errorf("%q given more than once", k)
		}
	}
	for k := range q {
		if k != "signal" && k != "hash" && k != "threshold" {
			return medialabel.Hash{}, 0, fmt.Errorf("unknown parameter %q (want signal, hash, threshold)", truncate(k, 40))
		}
	}
	sigText, hx := q.Get("signal"), q.Get("hash")
	if hx == "" {
		return medialabel.Hash{}, 0, errors.New(`missing "hash"`)
	}
	if sigText == "" {
		// SIGNAL:HEX in hash alone is accepted too.
		h, err := medialabel.ParseHash(hx)
		if err != nil {
			return medialabel.Hash{}, 0, fmt.Errorf(`missing "signal" and %w`, err)
		}
		return withThreshold(h, q)
	}
	sig, err := medialabel.ParseSignal(truncate(sigText, 40))
	if err != nil {
		return medialabel.Hash{}, 0, err
	}
	if strings.HasPrefix(strings.ToLower(hx), string(sig)+":") {
		hx = hx[len(sig)+1:]
	}
	h, err := medialabel.ParseHex(sig, hx)
	if err != nil {
		return medialabel.Hash{}, 0, err
	}
	return withThreshold(h, q)
}

func withThreshold(h medialabel.Hash, q url.Values) (medialabel.Hash, int, error) {
	t := q.Get("threshold")
	if t == "" {
		return h, -1, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > h.Signal.Bits() {
		return medialabel.Hash{}, 0, fmt.Errorf("threshold %q: want a whole number from 0 to %d", truncate(t, 20), h.Signal.Bits())
	}
	if !h.Signal.Perceptual() && n != 0 {
		return medialabel.Hash{}, 0, fmt.Errorf("threshold %d: %s hashes only match exactly (threshold 0)", n, h.Signal)
	}
	return h, n, nil
}

func (s *Server) match(c *gin.Context) *apiError {
	h, threshold, err := ParseMatchQuery(c.Request.URL.Query())
	if err != nil {
		return badRequest(err.Error())
	}
	ms, e := s.lookup(c, medialabel.Fingerprint{Hashes: []medialabel.Hash{h}}, nil, threshold)
	if e != nil {
		return e
	}
	c.JSON(http.StatusOK, MatchResponse{Hash: h.String(), Matches: ms})
	return nil
}

func (s *Server) classify(c *gin.Context) *apiError {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, probMediaType, `want an application/json body: {"text":"..."} or {"texts":[...]}`)
	}
	release, e := s.reserveBody(c)
	if e != nil {
		return e
	}
	defer release()
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return s.bodyError(err, "body")
	}
	if !utf8.Valid(body) {
		return badRequest("body is not valid UTF-8")
	}
	var req ClassifyRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest("body: " + truncate(err.Error(), 200))
	}
	// Token rather than More: More reports false before a stray '}' or ']'.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("body: data after the JSON object")
	}
	var texts []string
	switch {
	case req.Text != nil && req.Texts != nil:
		return badRequest(`give "text" or "texts", not both`)
	case req.Text != nil:
		texts = []string{*req.Text}
	case len(req.Texts) > 0:
		texts = req.Texts
	default:
		return badRequest(`want {"text":"..."} or a non-empty {"texts":[...]}`)
	}
	if len(texts) > s.cfg.MaxTexts {
		return errorf(http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("%d texts: at most %d a call", len(texts), s.cfg.MaxTexts))
	}
	for i, t := range texts {
		if len(t) > s.cfg.MaxCaptionBytes {
			return errorf(http.StatusRequestEntityTooLarge, probTooLarge, fmt.Sprintf("text %d is over the limit of %d bytes", i, s.cfg.MaxCaptionBytes))
		}
	}
	scores, e := s.classifyTexts(c, texts)
	if e != nil {
		return e
	}
	c.JSON(http.StatusOK, ClassifyResponse{Results: scores})
	return nil
}

var (
	bankNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	entryIDRE  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
)

func (s *Server) bankParam(c *gin.Context) (string, *apiError) {
	b := c.Param("bank")
	if !bankNameRE.MatchString(b) {
		return "", badRequest(fmt.Sprintf("bank name %q: want 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit", truncate(b, 70)))
	}
	return b, nil
}

func (s *Server) entryParams(c *gin.Context) (bank, id string, e *apiError) {
	bank, e = s.bankParam(c)
	if e != nil {
		return "", "", e
	}
	id = c.Param("id")
	if !entryIDRE.MatchString(id) {
		return "", "", errorf(http.StatusNotFound, probNotFound, fmt.Sprintf("no entry %q in bank %q", truncate(id, 130), bank))
	}
	return bank, id, nil
}

func (s *Server) storeError(c *gin.Context, what string, err error) *apiError {
	if errors.Is(err, medialabel.ErrNotFound) {
		return errorf(http.StatusNotFound, probNotFound, err.Error())
	}
	return s.internal(c, what, err)
}

func (s *Server) banks(c *gin.Context) *apiError {
	if s.cfg.Banks == nil {
		return unavailable("the bank store")
	}
	bs, err := s.cfg.Banks.Banks(c.Request.Context())
	if err != nil {
		return s.internal(c, "list banks", err)
	}
	if bs == nil {
		bs = []medialabel.Bank{}
	}
	c.JSON(http.StatusOK, BanksResponse{Banks: bs})
	return nil
}

// errPageFull stops an entry listing once a page is full.
var errPageFull = errors.New("page full")

func (s *Server) listEntries(c *gin.Context) *apiError {
	bank, e := s.bankParam(c)
	if e != nil {
		return e
	}
	if s.cfg.Banks == nil {
		return unavailable("the bank store")
	}
	limit := defListLimit
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxListLimit {
			return badRequest(fmt.Sprintf("limit %q: want 1 to %d", truncate(l, 20), maxListLimit))
		}
		limit = n
	}
	after := c.Query("after")
	if after != "" && !entryIDRE.MatchString(after) {
		return errorf(http.StatusNotFound, probNotFound, fmt.Sprintf("after %q: no such entry in bank %q", truncate(after, 130), bank))
	}
	resp := EntriesResponse{Bank: bank, Entries: []EntryView{}}
	err := s.cfg.Banks.ListEntries(c.Request.Context(), medialabel.EntryFilter{Bank: bank, After: after}, func(en medialabel.Entry) error {
		if len(resp.Entries) == limit {
			resp.Next = resp.Entries[limit-1].ID
			return errPageFull
		}
		resp.Entries = append(resp.Entries, entryView(en))
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		// Also an after entry that is not in the bank (it may have been
		// deleted since the previous page): 404, for an empty page would
		// read as the end of the bank.
		return s.storeError(c, "list entries", err)
	}
	c.JSON(http.StatusOK, resp)
	return nil
}

func (s *Server) thumbnail(c *gin.Context) *apiError {
	bank, id, e := s.entryParams(c)
	if e != nil {
		return e
	}
	if s.cfg.Banks == nil {
		return unavailable("the bank store")
	}
	en, err := s.cfg.Banks.Entry(c.Request.Context(), bank, id)
	if err != nil {
		return s.storeError(c, "entry", err)
	}
	if len(en.Thumbnail) == 0 {
		return errorf(http.StatusNotFound, probNotFound, fmt.Sprintf("entry %q has no thumbnail", id))
	}
	c.Header("Cache-Control", "private, max-age=3600")
	c.Data(http.StatusOK, http.DetectContentType(en.Thumbnail), en.Thumbnail)
	return nil
}

func (s *Server) addEntry(c *gin.Context) *apiError {
	bank, e := s.bankParam(c)
	if e != nil {
		return e
	}
	if s.cfg.Editor == nil {
		return unavailable("changing banks")
	}
	release, e := s.reserveBody(c)
	if e != nil {
		return e
	}
	defer release()
	f, e := s.readForm(c, true, map[string]int{"label": maxLabelBytes, "note": maxNoteBytes, "source": maxSourceBytes, "hash": maxHashField})
	if e != nil {
		return e
	}
	label := strings.TrimSpace(f.fields["label"])
	if label == "" {
		return badRequest(`missing "label"`)
	}
	hashText, hasHash := f.fields["hash"]
	var en medialabel.Entry
	switch {
	case f.hasImage && hasHash:
		return badRequest(`give an "image" or a "hash", not both`)
	case hasHash:
		h, err := medialabel.ParseHash(hashText)
		if err != nil {
			return badRequest(err.Error())
		}
		en.Hashes = []medialabel.Hash{h}
	case f.hasImage:
		if s.cfg.Hasher == nil {
			return unavailable("image hashing")
		}
		rel, e := s.acquireDecode(c)
		if e != nil {
			return e
		}
		start := time.Now()
		made, err := s.cfg.Hasher.Entry(c.Request.Context(), f.image)
		s.metrics.observe("fingerprint", start)
		rel()
		if err != nil {
			return s.imageError(c, err)
		}
		en = made
	default:
		return badRequest(`want an "image" file or a "hash" as SIGNAL:HEX`)
	}
	en.Bank, en.Label = bank, label
	en.Note = strings.TrimSpace(f.fields["note"])
	en.Source = strings.TrimSpace(f.fields["source"])
	added, err := s.cfg.Editor.AddEntries(c.Request.Context(), bank, []medialabel.Entry{en})
	if err != nil || len(added) != 1 {
		if err == nil {
			err = fmt.Errorf("store returned %d entries for 1", len(added))
		}
		return s.internal(c, "add entry", err)
	}
	c.Header("Location", "/v1/banks/"+bank+"/entries/"+url.PathEscape(added[0].ID))
	c.JSON(http.StatusCreated, entryView(added[0]))
	return nil
}

func (s *Server) deleteEntry(c *gin.Context) *apiError {
	bank, id, e := s.entryParams(c)
	if e != nil {
		return e
	}
	if s.cfg.Editor == nil {
		return unavailable("changing banks")
	}
	if err := s.cfg.Editor.DeleteEntry(c.Request.Context(), bank, id); err != nil {
		return s.storeError(c, "delete entry", err)
	}
	c.Status(http.StatusNoContent)
	return nil
}

func contextWithTimeout(c *gin.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), d)
}
