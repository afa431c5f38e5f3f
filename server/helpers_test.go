package server_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/medialabel/medialabel/server"
	"github.com/medialabel/medialabel/server/servertest"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	m.Run()
}

// Keys used by the tests.
const (
	labelKey = "label-key-0123456789abcdef"
	adminKey = "admin-key-0123456789abcdef"
)

// env is a server with fakes behind a real HTTP listener.
type env struct {
	url   string
	banks *servertest.Banks
	srv   *server.Server
	logs  *bytes.Buffer
}

func newEnv(t testing.TB, mod func(*server.Config)) *env {
	t.Helper()
	banks := &servertest.Banks{}
	logs := &syncBuffer{}
	cfg := server.Config{
		Hasher:     servertest.Hasher{MaxPixels: 20_000_000},
		Matcher:    banks,
		Banks:      banks,
		Editor:     banks,
		Classifier: servertest.Classifier{},
		Keys:       []server.APIKey{{Role: server.RoleLabel, Key: labelKey}, {Role: server.RoleAdmin, Key: adminKey}},
		Logger:     slog.New(slog.NewJSONHandler(logs, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{url: ts.URL, banks: banks, srv: srv, logs: &logs.Buffer}
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

// part is one part of a multipart body.
type part struct {
	name, filename string
	data           []byte
}

func file(name string, data []byte) part { return part{name: name, filename: "upload.bin", data: data} }
func field(name, value string) part      { return part{name: name, data: []byte(value)} }

func multipartBody(t testing.TB, parts ...part) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"; filename="`+p.filename+`"`)
			h.Set("Content-Type", "application/octet-stream")
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.name+`"`)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.data)
	}
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// request describes one call.
type request struct {
	method, path string
	key          string
	contentType  string
	body         []byte
	header       map[string]string
}

// response is an answer, checked against the OpenAPI document.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", truncate(r.body), err)
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func (e *env) do(t testing.TB, rq request) response {
	t.Helper()
	req, err := http.NewRequest(rq.method, e.url+rq.path, bytes.NewReader(rq.body))
	if err != nil {
		t.Fatal(err)
	}
	if rq.key != "" {
		req.Header.Set("Authorization", "Bearer "+rq.key)
	}
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: body}
	checkSpec(t, rq.method, req.URL.Path, r)
	return r
}

// post sends a multipart body.
func (e *env) post(t testing.TB, path, key string, parts ...part) response {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	return e.do(t, request{method: "POST", path: path, key: key, contentType: ct, body: body})
}

// spec holds the compiled OpenAPI document.
type spec struct {
	compiler *jsonschema.Compiler
	doc      map[string]any
	paths    []specPath
	mu       sync.Mutex
	cache    map[string]*jsonschema.Schema
}

type specPath struct {
	template string
	re       *regexp.Regexp
}

var loadSpec = sync.OnceValues(func() (*spec, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(server.OpenAPI()))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("mem://openapi.json", doc); err != nil {
		return nil, err
	}
	s := &spec{compiler: c, doc: doc.(map[string]any), cache: map[string]*jsonschema.Schema{}}
	for tmpl := range s.doc["paths"].(map[string]any) {
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[a-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$")
		s.paths = append(s.paths, specPath{template: tmpl, re: re})
	}
	return s, nil
})

func (s *spec) schema(ptr string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.cache[ptr]; ok {
		return sch, nil
	}
	sch, err := s.compiler.Compile("mem://openapi.json#" + ptr)
	if err != nil {
		return nil, err
	}
	s.cache[ptr] = sch
	return sch, nil
}

func escapePtr(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// checkSpec validates an answer against the OpenAPI document: a problem
// against the Problem schema, a JSON answer of a documented operation
// against that operation's schema for its status. An answer with a
// status the operation does not document fails.
func checkSpec(t testing.TB, method, path string, r response) {
	t.Helper()
	s, err := loadSpec()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	ct, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	var ptr string
	for _, p := range s.paths {
		if !p.re.MatchString(path) {
			continue
		}
		op, ok := s.doc["paths"].(map[string]any)[p.template].(map[string]any)[strings.ToLower(method)].(map[string]any)
		if !ok {
			break
		}
		st := strconv.Itoa(r.status)
		resp, ok := op["responses"].(map[string]any)[st].(map[string]any)
		if !ok && r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s answered %d, which openapi.json does not document (body %s)", method, path, r.status, truncate(r.body))
			return
		}
		if content, ok := resp["content"].(map[string]any); ok {
			if _, ok := content[ct]; !ok {
				t.Errorf("%s %s %d: content type %q is not documented", method, path, r.status, ct)
				return
			}
		}
		ptr = "/paths/" + escapePtr(p.template) + "/" + strings.ToLower(method) + "/responses/" + st + "/content/" + escapePtr(ct) + "/schema"
		break
	}
	switch {
	case ct == "application/problem+json":
		ptr = "/components/schemas/Problem"
	case ct != "application/json" || ptr == "":
		return
	}
	sch, err := s.schema(ptr)
	if err != nil {
		t.Fatalf("openapi.json %s: %v", ptr, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Errorf("%s %s: answer is not JSON: %v", method, path, err)
		return
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s %s %d does not match openapi.json %s: %v\nbody: %s", method, path, r.status, ptr, err, truncate(r.body))
	}
}

// picture draws a reproducible picture of random rectangles.
func picture(seed uint64, w, h int) image.Image {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < 24; i++ {
		x0, y0 := rng.IntN(w), rng.IntN(h)
		x1, y1 := x0+1+rng.IntN(w/2), y0+1+rng.IntN(h/2)
		c := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		for y := y0; y < min(y1, h); y++ {
			for x := x0; x < min(x1, w); x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
