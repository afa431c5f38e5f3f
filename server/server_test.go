package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/draw"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/server"
	"github.com/medialabel/medialabel/server/servertest"
)

const dehumanizingCaption = "這些蟑螂應該被清除"

// TestFlow adds a meme to a bank as admin, labels a re-encoded copy with a
// dehumanizing caption, and checks that both labels come back; then it
// browses and removes the entry.
func TestFlow(t *testing.T) {
	e := newEnv(t, nil)
	meme := picture(1, 640, 480)

	r := e.post(t, "/v1/banks/hk2019/entries", adminKey,
		file("image", encodePNG(t, meme)), field("label", "hk2019.cockroach"), field("note", "seen 2019-08"))
	if r.status != http.StatusCreated {
		t.Fatalf("add entry: %d %s", r.status, r.body)
	}
	var added server.EntryView
	r.json(t, &added)
	if added.ID == "" || added.Bank != "hk2019" || added.Label != "hk2019.cockroach" || added.Note != "seen 2019-08" {
		t.Fatalf("added entry = %+v", added)
	}
	if loc := r.header.Get("Location"); loc != "/v1/banks/hk2019/entries/"+added.ID {
		t.Errorf("Location = %q", loc)
	}

	r = e.post(t, "/v1/label", labelKey, file("image", encodeJPEG(t, meme, 60)), field("caption", dehumanizingCaption))
	if r.status != http.StatusOK {
		t.Fatalf("label: %d %s", r.status, r.body)
	}
	var lr server.LabelResponse
	r.json(t, &lr)
	if len(lr.Labels) != 2 {
		t.Fatalf("labels = %+v, want propaganda_meme and dehumanizing_language", lr.Labels)
	}
	meme0, lang := lr.Labels[0], lr.Labels[1]
	if meme0.Name != server.LabelPropagandaMeme || meme0.Bank != "hk2019" || meme0.Entry != added.ID ||
		meme0.Label != "hk2019.cockroach" || meme0.Signal != medialabel.PDQ || meme0.Distance == nil || *meme0.Distance > 31 {
		t.Errorf("meme label = %+v", meme0)
	}
	if lang.Name != server.LabelDehumanizingLanguage || lang.Source != "caption" || lang.Score == nil || *lang.Score < 0.5 ||
		len(lang.Evidence) != 1 || lang.Evidence[0].Span != "蟑螂" {
		t.Errorf("language label = %+v", lang)
	}
	if span := dehumanizingCaption[lang.Evidence[0].Start:lang.Evidence[0].End]; span != "蟑螂" {
		t.Errorf("evidence offsets give %q", span)
	}
	if lr.Image == nil || lr.Image.Format != "jpeg" || lr.Image.Width != 640 || len(lr.Image.PDQ) != 64 || lr.Caption == nil {
		t.Errorf("image %+v caption %+v", lr.Image, lr.Caption)
	}

	// The meme set in a larger picture matches through a region.
	framed := image.NewRGBA(image.Rect(0, 0, 1280, 960))
	draw.Draw(framed, framed.Bounds(), picture(9, 1280, 960), image.Point{}, draw.Src)
	draw.Draw(framed, image.Rect(320, 240, 960, 720), meme, image.Point{}, draw.Src)
	r = e.post(t, "/v1/label", labelKey, file("image", encodeJPEG(t, framed, 80)))
	lr = server.LabelResponse{}
	r.json(t, &lr)
	if r.status != http.StatusOK || len(lr.Labels) != 1 || lr.Labels[0].Region != "centre" || lr.Labels[0].Entry != added.ID {
		t.Errorf("framed meme: %d %s", r.status, r.body)
	}

	// A different picture with a clean caption gets no label.
	r = e.post(t, "/v1/label", labelKey, file("image", encodeJPEG(t, picture(2, 640, 480), 80)), field("caption", "今天天氣很好"))
	r.json(t, &lr)
	if r.status != http.StatusOK || len(lr.Labels) != 0 || lr.Matches == nil || len(lr.Matches) != 0 {
		t.Errorf("unrelated upload: %d %s", r.status, r.body)
	}

	// Caption only.
	r = e.post(t, "/v1/label", labelKey, field("caption", "你是白痴"))
	lr = server.LabelResponse{}
	r.json(t, &lr)
	if r.status != http.StatusOK || len(lr.Labels) != 1 || lr.Labels[0].Name != server.LabelOffensiveLanguage || lr.Image != nil || lr.Matches != nil {
		t.Errorf("caption only: %d %s", r.status, r.body)
	}

	// Browse.
	r = e.do(t, request{method: "GET", path: "/v1/banks", key: labelKey})
	var br server.BanksResponse
	r.json(t, &br)
	if len(br.Banks) != 1 || br.Banks[0] != (medialabel.Bank{Name: "hk2019", Entries: 1}) {
		t.Errorf("banks = %s", r.body)
	}
	r = e.do(t, request{method: "GET", path: "/v1/banks/hk2019/entries", key: labelKey})
	var er server.EntriesResponse
	r.json(t, &er)
	if len(er.Entries) != 1 || er.Entries[0].ID != added.ID || len(er.Entries[0].Hashes) == 0 {
		t.Errorf("entries = %s", r.body)
	}
	r = e.do(t, request{method: "GET", path: "/v1/banks/hk2019/entries/" + added.ID + "/thumbnail", key: labelKey})
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/jpeg" || len(r.body) < 100 {
		t.Errorf("thumbnail: %d %s", r.status, r.header.Get("Content-Type"))
	}

	// Match by the stored hash.
	pdq := strings.TrimPrefix(er.Entries[0].Hashes[0], "pdq:")
	r = e.do(t, request{method: "GET", path: "/v1/match?signal=pdq&hash=" + pdq + "&threshold=0", key: labelKey})
	var mr server.MatchResponse
	r.json(t, &mr)
	if r.status != http.StatusOK || len(mr.Matches) != 1 || mr.Matches[0].Distance != 0 || mr.Hash != "pdq:"+pdq {
		t.Errorf("match: %d %s", r.status, r.body)
	}

	// Add a bare hash, then remove the first entry.
	r = e.post(t, "/v1/banks/hk2019/entries", adminKey, field("hash", "pdq:"+strings.Repeat("ab", 32)), field("label", "hk2019.other"))
	if r.status != http.StatusCreated {
		t.Fatalf("add hash: %d %s", r.status, r.body)
	}
	r = e.do(t, request{method: "DELETE", path: "/v1/banks/hk2019/entries/" + added.ID, key: adminKey})
	if r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	r = e.do(t, request{method: "DELETE", path: "/v1/banks/hk2019/entries/" + added.ID, key: adminKey})
	if r.status != http.StatusNotFound {
		t.Errorf("second delete: %d %s", r.status, r.body)
	}
	r = e.post(t, "/v1/label", labelKey, file("image", encodeJPEG(t, meme, 60)))
	lr = server.LabelResponse{}
	r.json(t, &lr)
	if len(lr.Labels) != 0 {
		t.Errorf("after delete: labels %+v", lr.Labels)
	}
}

func TestClassify(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		body   string
		labels []string
	}{
		{`{"text":"` + dehumanizingCaption + `"}`, []string{"dehumanizing"}},
		{`{"texts":["你是白痴","你好"]}`, []string{"offensive", "none"}},
	} {
		r := e.do(t, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte(tc.body)})
		var cr server.ClassifyResponse
		r.json(t, &cr)
		if r.status != http.StatusOK || len(cr.Results) != len(tc.labels) {
			t.Fatalf("%s: %d %s", tc.body, r.status, r.body)
		}
		for i, l := range tc.labels {
			if cr.Results[i].Label != l {
				t.Errorf("%s: result %d label %q, want %q", tc.body, i, cr.Results[i].Label, l)
			}
		}
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, nil)
	img, ct := multipartBody(t, field("label", "x"), field("hash", "pdq:"+strings.Repeat("0", 64)))
	for _, tc := range []struct {
		name   string
		req    request
		status int
	}{
		{"no key", request{method: "GET", path: "/v1/banks"}, 401},
		{"unknown key", request{method: "GET", path: "/v1/banks", key: "not-a-key-0123456789"}, 401},
		{"wrong scheme", request{method: "GET", path: "/v1/banks", header: map[string]string{"Authorization": "Basic " + labelKey}}, 401},
		{"label key reads", request{method: "GET", path: "/v1/banks", key: labelKey}, 200},
		{"admin key reads", request{method: "GET", path: "/v1/banks", key: adminKey}, 200},
		{"label key cannot add", request{method: "POST", path: "/v1/banks/b/entries", key: labelKey, contentType: ct, body: img}, 403},
		{"label key cannot delete", request{method: "DELETE", path: "/v1/banks/b/entries/e1", key: labelKey}, 403},
		{"no key cannot delete", request{method: "DELETE", path: "/v1/banks/b/entries/e1"}, 401},
		{"admin adds", request{method: "POST", path: "/v1/banks/b/entries", key: adminKey, contentType: ct, body: img}, 201},
		{"healthz is open", request{method: "GET", path: "/healthz"}, 200},
		{"page is open", request{method: "GET", path: "/"}, 200},
		{"openapi is open", request{method: "GET", path: "/openapi.json"}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.req)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
		})
	}

	// Without keys everything is allowed (the server is on loopback).
	open := newEnv(t, func(c *server.Config) { c.Keys = nil })
	if r := open.do(t, request{method: "POST", path: "/v1/banks/b/entries", contentType: ct, body: img}); r.status != 201 {
		t.Errorf("no keys configured: %d %s", r.status, r.body)
	}
}

// pngHeader is the start of a PNG that declares w×h pixels: enough for a
// decoder to read the size, nothing more.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// TestHostile sends bad requests: each must get its 4xx problem, never a
// 5xx, and the server must stay healthy.
func TestHostile(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxBodyBytes = 2 << 20 })
	jpg := encodeJPEG(t, picture(3, 320, 240), 80)
	okBody, okCT := multipartBody(t, file("image", jpg))
	bigCaption := strings.Repeat("蟑", 1<<20/3+1)
	mp := func(parts ...part) ([]byte, string) { return multipartBody(t, parts...) }
	type tc struct {
		name   string
		req    request
		status int
	}
	var cases []tc
	add := func(name string, status int, req request) { cases = append(cases, tc{name, req, status}) }
	post := func(path string, parts ...part) request {
		b, ct := mp(parts...)
		return request{method: "POST", path: path, key: adminKey, contentType: ct, body: b}
	}
	add("garbage image", 415, post("/v1/label", file("image", []byte("this is not an image at all"))))
	add("truncated jpeg", 422, post("/v1/label", file("image", jpg[:len(jpg)/3])))
	add("jpeg header only", 422, post("/v1/hash", file("image", jpg[:20])))
	add("pixel bomb", 413, post("/v1/label", file("image", pngHeader(100000, 100000))))
	add("zero-size png", 422, post("/v1/hash", file("image", pngHeader(0, 0))))
	add("empty image part", 400, post("/v1/label", file("image", nil)))
	add("neither image nor caption", 400, post("/v1/label"))
	add("blank caption only", 400, post("/v1/label", field("caption", "   ")))
	add("unknown field", 400, post("/v1/label", field("captoin", "x")))
	add("two images", 400, post("/v1/label", file("image", jpg), file("image", jpg)))
	add("invalid UTF-8 caption", 400, post("/v1/label", field("caption", "\xff\xfe蟑螂")))
	add("1 MB caption", 413, post("/v1/label", field("caption", bigCaption)))
	add("oversize body", 413, post("/v1/label", file("image", bytes.Repeat([]byte{0xff}, 3<<20))))
	add("oversize body, no length", 413, request{method: "POST", path: "/v1/label", key: adminKey, contentType: okCT,
		body: nil, header: map[string]string{"X-Test-Stream": "1"}})
	add("not multipart", 415, request{method: "POST", path: "/v1/label", key: adminKey, contentType: "application/json", body: []byte(`{}`)})
	add("no content type", 415, request{method: "POST", path: "/v1/hash", key: adminKey, body: okBody})
	add("multipart without boundary", 400, request{method: "POST", path: "/v1/label", key: adminKey, contentType: "multipart/form-data", body: okBody})
	add("broken multipart", 400, request{method: "POST", path: "/v1/label", key: adminKey, contentType: okCT, body: okBody[:len(okBody)/2]})
	add("wrong boundary", 400, request{method: "POST", path: "/v1/label", key: adminKey, contentType: "multipart/form-data; boundary=nope", body: okBody})
	add("bad content type", 400, request{method: "POST", path: "/v1/label", key: adminKey, contentType: "multipart/form-data; boundary=", body: okBody})
	add("hash without image", 400, post("/v1/hash", field("caption", "x")))
	add("match: no hash", 400, request{method: "GET", path: "/v1/match?signal=pdq", key: labelKey})
	add("match: bad hex", 400, request{method: "GET", path: "/v1/match?signal=pdq&hash=" + strings.Repeat("zz", 32), key: labelKey})
	add("match: short hash", 400, request{method: "GET", path: "/v1/match?signal=pdq&hash=abcd", key: labelKey})
	add("match: unknown signal", 400, request{method: "GET", path: "/v1/match?signal=blake3&hash=abcd", key: labelKey})
	add("match: negative threshold", 400, request{method: "GET", path: "/v1/match?signal=pdq&hash=" + strings.Repeat("0", 64) + "&threshold=-1", key: labelKey})
	add("match: huge threshold", 400, request{method: "GET", path: "/v1/match?signal=phash&hash=" + strings.Repeat("0", 16) + "&threshold=65", key: labelKey})
	add("match: threshold on md5", 400, request{method: "GET", path: "/v1/match?signal=md5&hash=" + strings.Repeat("0", 32) + "&threshold=3", key: labelKey})
	add("match: repeated signal", 400, request{method: "GET", path: "/v1/match?signal=pdq&signal=md5&hash=" + strings.Repeat("0", 64), key: labelKey})
	add("match: unknown parameter", 400, request{method: "GET", path: "/v1/match?signal=pdq&hash=" + strings.Repeat("0", 64) + "&thresh=3", key: labelKey})
	add("classify: not json", 400, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte(`{"text":`)})
	add("classify: wrong type", 415, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "text/plain", body: []byte(`hello`)})
	add("classify: both", 400, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte(`{"text":"a","texts":["b"]}`)})
	add("classify: empty", 400, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte(`{"texts":[]}`)})
	add("classify: unknown field", 400, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte(`{"txt":"a"}`)})
	add("classify: invalid UTF-8", 400, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte("{\"text\":\"\xff\"}")})
	add("classify: trailing data", 400, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte(`{"text":"a"} {}`)})
	add("classify: trailing brace", 400, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte(`{"text":"a"}}`)})
	add("classify: trailing bracket", 400, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte(`{"text":"a"} ]`)})
	add("classify: 1 MB text", 413, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte(`{"text":"` + bigCaption + `"}`)})
	add("add: missing label", 400, post("/v1/banks/b/entries", field("hash", "pdq:"+strings.Repeat("0", 64))))
	add("add: bad hash", 400, post("/v1/banks/b/entries", field("hash", "pdq:xyz"), field("label", "l")))
	add("add: unknown signal", 400, post("/v1/banks/b/entries", field("hash", "blake3:00"), field("label", "l")))
	add("add: neither image nor hash", 400, post("/v1/banks/b/entries", field("label", "l")))
	add("add: both image and hash", 400, post("/v1/banks/b/entries", file("image", jpg), field("hash", "md5:"+strings.Repeat("0", 32)), field("label", "l")))
	add("add: bad bank name", 400, post("/v1/banks/Bad%20Bank!/entries", field("hash", "md5:"+strings.Repeat("0", 32)), field("label", "l")))
	add("add: garbage image", 415, post("/v1/banks/b/entries", file("image", []byte("%PDF-1.4 not an image")), field("label", "l")))
	add("add: truncated gif", 422, post("/v1/banks/b/entries", file("image", []byte("GIF89a nope")), field("label", "l")))
	add("add: label too long", 413, post("/v1/banks/b/entries", field("hash", "md5:"+strings.Repeat("0", 32)), field("label", strings.Repeat("l", 201))))
	add("delete: missing entry", 404, request{method: "DELETE", path: "/v1/banks/b/entries/nope", key: adminKey})
	add("delete: odd id", 404, request{method: "DELETE", path: "/v1/banks/b/entries/%00%ff", key: adminKey})
	add("thumbnail: missing entry", 404, request{method: "GET", path: "/v1/banks/b/entries/nope/thumbnail", key: adminKey})
	add("list: bad limit", 400, request{method: "GET", path: "/v1/banks/b/entries?limit=-3", key: adminKey})
	add("unknown route", 404, request{method: "GET", path: "/v2/label"})
	add("wrong method", 405, request{method: "PUT", path: "/v1/label", key: adminKey})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r response
			if c.req.header["X-Test-Stream"] != "" {
				r = e.stream(t, c.req, 3<<20)
			} else {
				r = e.do(t, c.req)
			}
			if r.status != c.status {
				t.Errorf("status %d, want %d: %s", r.status, c.status, truncate(r.body))
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var p server.Problem
			r.json(t, &p)
			if p.Status != r.status || p.Detail == "" || !strings.HasPrefix(p.Type, "urn:medialabel:problem:") || p.RequestID == "" {
				t.Errorf("problem = %+v", p)
			}
			if p.RequestID != r.header.Get("X-Request-Id") {
				t.Errorf("problem request_id %q, header %q", p.RequestID, r.header.Get("X-Request-Id"))
			}
		})
	}
	if len(cases) < 20 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	if r := e.do(t, request{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Fatalf("unhealthy after hostile requests: %d", r.status)
	}
	if r := e.post(t, "/v1/hash", adminKey, file("image", jpg)); r.status != 200 {
		t.Fatalf("cannot hash after hostile requests: %d %s", r.status, r.body)
	}
	if strings.Contains(e.logs.String(), `"status":500`) {
		t.Errorf("a 500 was logged:\n%s", e.logs.String())
	}
}

// stream sends a multipart body of n bytes without a Content-Length.
func (e *env) stream(t testing.TB, rq request, n int) response {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("--X\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\n"))
		chunk := bytes.Repeat([]byte{0xff}, 64<<10)
		for sent := 0; sent < n; sent += len(chunk) {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Write([]byte("\r\n--X--\r\n"))
		pw.Close()
	}()
	req, _ := http.NewRequest(rq.method, e.url+rq.path, pr)
	req.Header.Set("Authorization", "Bearer "+rq.key)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=X")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := new(bytes.Buffer)
	body.ReadFrom(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, body: body.Bytes()}
	checkSpec(t, rq.method, rq.path, r)
	return r
}

// slowHasher holds each decode until release is closed.
type slowHasher struct {
	servertest.Hasher
	started chan struct{}
	release chan struct{}
}

func (h slowHasher) Fingerprint(ctx context.Context, data []byte) (medialabel.Fingerprint, []medialabel.RegionHash, error) {
	h.started <- struct{}{}
	<-h.release
	return h.Hasher.Fingerprint(ctx, data)
}

// TestOverload fills the decode slots and checks that the next upload is
// refused at once with 503 and Retry-After, while /healthz still answers.
func TestOverload(t *testing.T) {
	h := slowHasher{started: make(chan struct{}, 4), release: make(chan struct{})}
	e := newEnv(t, func(c *server.Config) {
		c.Hasher = h
		c.MaxDecodes = 1
		c.QueueWait = 50 * time.Millisecond
	})
	jpg := encodeJPEG(t, picture(4, 200, 200), 80)
	var wg sync.WaitGroup
	wg.Add(1)
	var first response
	go func() {
		defer wg.Done()
		first = e.post(t, "/v1/hash", labelKey, file("image", jpg))
	}()
	<-h.started
	start := time.Now()
	r := e.post(t, "/v1/hash", labelKey, file("image", jpg))
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("saturated: %d Retry-After %q: %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusal took %v", d)
	}
	if r := e.do(t, request{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("healthz while saturated: %d", r.status)
	}
	close(h.release)
	wg.Wait()
	if first.status != 200 {
		t.Errorf("first upload: %d %s", first.status, first.body)
	}
	m := e.do(t, request{method: "GET", path: "/metrics"})
	if !bytes.Contains(m.body, []byte(`medialabel_overload_rejections_total{pool="decode"} 1`)) {
		t.Errorf("metrics do not count the rejection")
	}
}

// TestUploadBudget checks that bodies beyond the memory budget are
// refused without being read.
func TestUploadBudget(t *testing.T) {
	h := slowHasher{started: make(chan struct{}, 4), release: make(chan struct{})}
	e := newEnv(t, func(c *server.Config) {
		c.Hasher = h
		c.MaxBodyBytes = 1 << 20
		c.UploadBudget = 1 << 20
		c.QueueWait = 50 * time.Millisecond
	})
	jpg := encodeJPEG(t, picture(5, 200, 200), 80)
	done := make(chan response)
	go func() { done <- e.post(t, "/v1/hash", labelKey, file("image", jpg)) }()
	<-h.started
	// The first request holds len(body) of the budget; one of 1 MB more
	// cannot fit.
	r := e.post(t, "/v1/hash", labelKey, file("image", bytes.Repeat([]byte{1}, 1<<20-1024)))
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("over budget: %d %s", r.status, r.body)
	}
	close(h.release)
	if r := <-done; r.status != 200 {
		t.Errorf("first: %d", r.status)
	}
}

func TestMetricsAndIDs(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, request{method: "GET", path: "/v1/banks", key: labelKey, header: map[string]string{"X-Request-Id": "abc-123"}})
	if r.header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("request id not echoed: %q", r.header.Get("X-Request-Id"))
	}
	r = e.do(t, request{method: "GET", path: "/v1/banks", key: labelKey, header: map[string]string{"X-Request-Id": strings.Repeat("x", 500)}})
	if id := r.header.Get("X-Request-Id"); len(id) != 24 {
		t.Errorf("long request id kept: %q", id)
	}
	e.post(t, "/v1/banks/memes/entries", adminKey, field("hash", "md5:"+strings.Repeat("1", 32)), field("label", "l"))
	e.do(t, request{method: "GET", path: "/nope/" + strings.Repeat("a", 10)})
	m := e.do(t, request{method: "GET", path: "/metrics"})
	for _, want := range []string{
		`medialabel_http_requests_total{method="GET",route="/v1/banks",status="200"} 2`,
		`medialabel_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`medialabel_bank_entries{bank="memes"} 1`,
		`medialabel_http_request_duration_seconds_bucket{route="/v1/banks",status="200",le="+Inf"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !strings.Contains(e.logs.String(), `"request_id":"abc-123"`) {
		t.Errorf("access log lacks the request id:\n%s", e.logs.String())
	}
}

func TestReady(t *testing.T) {
	var mu sync.Mutex
	warm := false
	e := newEnv(t, func(c *server.Config) {
		c.Ready = []server.Check{
			{Name: "store", Check: func(context.Context) error { return nil }},
			{Name: "model", Check: func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				if !warm {
					return errors.New("warming up")
				}
				return nil
			}},
		}
	})
	r := e.do(t, request{method: "GET", path: "/readyz"})
	if r.status != 503 || !strings.Contains(string(r.body), "warming up") {
		t.Errorf("cold: %d %s", r.status, r.body)
	}
	mu.Lock()
	warm = true
	mu.Unlock()
	if r := e.do(t, request{method: "GET", path: "/readyz"}); r.status != 200 {
		t.Errorf("warm: %d %s", r.status, r.body)
	}
}

// panicky panics on every call: a stand-in for a bug.
type panicky struct{ servertest.Classifier }

func (panicky) Classify(context.Context, []string) ([]medialabel.CaptionScore, error) {
	panic("bug")
}

func TestRecover(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Classifier = panicky{} })
	r := e.do(t, request{method: "POST", path: "/v1/classify", key: labelKey, contentType: "application/json", body: []byte(`{"text":"a"}`)})
	if r.status != 500 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("panic: %d %s", r.status, r.body)
	}
	if !strings.Contains(e.logs.String(), "panic in handler") {
		t.Errorf("panic not logged")
	}
	// The caption of /v1/label is scored on a goroutine of its own.
	r = e.post(t, "/v1/label", labelKey, file("image", encodeJPEG(t, picture(8, 64, 64), 80)), field("caption", "a"))
	if r.status != 500 || !strings.Contains(e.logs.String(), "panic while classifying") {
		t.Errorf("panic in /v1/label: %d %s", r.status, r.body)
	}
	if r := e.do(t, request{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("healthz after panic: %d", r.status)
	}
}

// TestServeShutdown cancels Serve's context while an upload is being
// decoded: the upload must still be answered.
func TestServeShutdown(t *testing.T) {
	h := slowHasher{started: make(chan struct{}, 1), release: make(chan struct{})}
	srv, err := server.New(server.Config{Hasher: h, Matcher: &servertest.Banks{}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	e := &env{url: "http://" + ln.Addr().String()}
	done := make(chan response, 1)
	jpg := encodeJPEG(t, picture(6, 100, 100), 80)
	go func() { done <- e.post(t, "/v1/hash", "", file("image", jpg)) }()
	<-h.started
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(h.release)
	if r := <-done; r.status != 200 {
		t.Errorf("in-flight request: %d %s", r.status, r.body)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestCheckListenAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		keys bool
		ok   bool
	}{
		{"127.0.0.1:8080", false, true},
		{"[::1]:8080", false, true},
		{"localhost:8080", false, true},
		{"127.0.0.2:80", false, true},
		{"0.0.0.0:8080", false, false},
		{":8080", false, false},
		{"192.0.2.1:8080", false, false},
		{"0.0.0.0:8080", true, true},
		{"nonsense", false, false},
	} {
		err := server.CheckListenAddr(tc.addr, tc.keys)
		if (err == nil) != tc.ok {
			t.Errorf("CheckListenAddr(%q, %v) = %v", tc.addr, tc.keys, err)
		}
	}
}

func TestParseAPIKeys(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []server.APIKey
		ok   bool
	}{
		{"label:" + labelKey, []server.APIKey{{server.RoleLabel, labelKey}}, true},
		{"label:" + labelKey + ", admin:" + adminKey, []server.APIKey{{server.RoleLabel, labelKey}, {server.RoleAdmin, adminKey}}, true},
		{"# keys\nlabel:" + labelKey + "\n\nADMIN:" + adminKey + "\n", []server.APIKey{{server.RoleLabel, labelKey}, {server.RoleAdmin, adminKey}}, true},
		{"", nil, true},
		{"root:" + labelKey, nil, false},
		{labelKey, nil, false},
		{"label:short", nil, false},
		{"label:" + labelKey + ",admin:" + labelKey, nil, false},
		{"label:has space in the key!!", nil, false},
		{"label:" + labelKey + "é", nil, false},
	} {
		got, err := server.ParseAPIKeys(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseAPIKeys(%q) error %v", tc.in, err)
			continue
		}
		if tc.ok && !equalKeys(got, tc.want) {
			t.Errorf("ParseAPIKeys(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func equalKeys(a, b []server.APIKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseMatchQuery(t *testing.T) {
	zero := strings.Repeat("0", 64)
	for _, tc := range []struct {
		q         string
		hash      string
		threshold int
	}{
		{"signal=pdq&hash=" + zero, "pdq:" + zero, -1},
		{"signal=PDQ&hash=" + strings.ToUpper(strings.Repeat("ab", 32)) + "&threshold=12", "pdq:" + strings.Repeat("ab", 32), 12},
		{"hash=pdq:" + zero, "pdq:" + zero, -1},
		{"signal=pdq&hash=pdq:" + zero, "pdq:" + zero, -1},
		{"signal=md5&hash=" + strings.Repeat("f", 32) + "&threshold=0", "md5:" + strings.Repeat("f", 32), 0},
	} {
		q, _ := url.ParseQuery(tc.q)
		h, th, err := server.ParseMatchQuery(q)
		if err != nil || h.String() != tc.hash || th != tc.threshold {
			t.Errorf("ParseMatchQuery(%q) = %v, %d, %v", tc.q, h, th, err)
		}
	}
}

func FuzzParseMatchQuery(f *testing.F) {
	for _, s := range []string{"signal=pdq&hash=" + strings.Repeat("0", 64), "hash=phash:0123456789abcdef&threshold=3",
		"signal=md5&hash=x", "threshold=-1", "signal=%zz", "hash=sha256:" + strings.Repeat("a", 64) + "&threshold=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		h, th, err := server.ParseMatchQuery(q)
		if err != nil {
			return
		}
		if len(h.Value)*8 != h.Signal.Bits() {
			t.Fatalf("%q: hash %v has %d bytes", raw, h, len(h.Value))
		}
		if th < -1 || th > h.Signal.Bits() {
			t.Fatalf("%q: threshold %d", raw, th)
		}
		back, err := medialabel.ParseHash(h.String())
		if err != nil || back.String() != h.String() {
			t.Fatalf("%q: %v does not round-trip: %v", raw, h, err)
		}
	})
}

func FuzzParseAPIKeys(f *testing.F) {
	for _, s := range []string{"label:" + labelKey, "admin:" + adminKey + ",label:" + labelKey, "#c\nlabel:" + labelKey + "\n", "x:y", ",,,", "label:\x00\x01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := server.ParseAPIKeys(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if k.Role != server.RoleLabel && k.Role != server.RoleAdmin {
				t.Fatalf("role %q", k.Role)
			}
			if len(k.Key) < 16 || strings.ContainsAny(k.Key, " ,\n\t") || seen[k.Key] {
				t.Fatalf("key %q", k.Key)
			}
			seen[k.Key] = true
		}
	})
}

// FuzzLabel sends arbitrary multipart bodies to /v1/label: the answer is
// never a 5xx and always a valid document.
func FuzzLabel(f *testing.F) {
	e := newEnv(f, func(c *server.Config) { c.Keys = nil; c.MaxBodyBytes = 1 << 20 })
	seed, _ := multipartBody(f, file("image", encodeJPEG(f, picture(7, 64, 64), 70)), field("caption", dehumanizingCaption))
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\n\xff\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\n" + string(pngHeader(1<<20, 1<<20)) + "\r\n--B--\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ct := range []string{"multipart/form-data; boundary=B", "multipart/form-data; boundary=" + boundaryOf(seed)} {
			r := e.do(t, request{method: "POST", path: "/v1/label", contentType: ct, body: body})
			if r.status >= 500 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if r.status != 200 && r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d with %q", r.status, r.header.Get("Content-Type"))
			}
			var v map[string]any
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatalf("answer is not JSON: %v", err)
			}
		}
	})
}

func boundaryOf(body []byte) string {
	line, _, _ := bytes.Cut(body, []byte("\r\n"))
	return string(bytes.TrimPrefix(line, []byte("--")))
}

// TestListEntriesPages walks a bank's entries page by page with limit and
// after, and checks that an after naming no entry is refused rather than
// answered with an empty, final-looking page.
func TestListEntriesPages(t *testing.T) {
	e := newEnv(t, nil)
	var ids []string
	for i := range 5 {
		r := e.post(t, "/v1/banks/pages/entries", adminKey, field("hash", "pdq:"+strings.Repeat(fmt.Sprintf("%02x", i), 32)), field("label", "pages.x"))
		var ev server.EntryView
		r.json(t, &ev)
		if r.status != http.StatusCreated {
			t.Fatalf("add %d: %d %s", i, r.status, r.body)
		}
		ids = append(ids, ev.ID)
	}
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		path := "/v1/banks/pages/entries?limit=2"
		if after != "" {
			path += "&after=" + after
		}
		r := e.do(t, request{method: "GET", path: path, key: labelKey})
		var er server.EntriesResponse
		r.json(t, &er)
		if r.status != http.StatusOK || len(er.Entries) > 2 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		for _, en := range er.Entries {
			got = append(got, en.ID)
		}
		if er.Next == "" {
			break
		}
		after = er.Next
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("pages gave %v, want %v", got, ids)
	}
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"limit=0", http.StatusBadRequest},
		{"limit=1001", http.StatusBadRequest},
		{"limit=x", http.StatusBadRequest},
		{"after=no-such-entry", http.StatusNotFound},
	} {
		r := e.do(t, request{method: "GET", path: "/v1/banks/pages/entries?" + tc.query, key: labelKey})
		if r.status != tc.status || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s %s, want %d", tc.query, r.status, r.header.Get("Content-Type"), r.body, tc.status)
		}
	}
	if r := e.do(t, request{method: "GET", path: "/v1/banks/nosuch/entries", key: labelKey}); r.status != http.StatusNotFound {
		t.Errorf("missing bank: %d %s, want 404", r.status, r.body)
	}
}
