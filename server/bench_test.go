package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/medialabel/medialabel"
	"github.com/medialabel/medialabel/server"
	"github.com/medialabel/medialabel/server/servertest"
)

// BenchmarkMatch compares GET /v1/match through the handler (auth,
// parsing, metrics, JSON) with the fake matcher called directly: the
// difference is the server's cost per lookup.
func BenchmarkMatch(b *testing.B) {
	banks := &servertest.Banks{}
	h := medialabel.Hash{Signal: medialabel.PDQ, Value: make([]byte, 32)}
	banks.AddEntries(context.Background(), "b", []medialabel.Entry{{Label: "l", Hashes: []medialabel.Hash{h}}})
	srv, err := server.New(server.Config{Matcher: banks, Keys: []server.APIKey{{Role: server.RoleLabel, Key: labelKey}}})
	if err != nil {
		b.Fatal(err)
	}
	handler := srv.Handler()
	target := "/v1/match?signal=pdq&hash=" + strings.Repeat("0", 64)
	b.Run("direct", func(b *testing.B) {
		fp := medialabel.Fingerprint{Hashes: []medialabel.Hash{h}}
		for b.Loop() {
			if _, err := banks.Match(context.Background(), fp, nil, -1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("handler", func(b *testing.B) {
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Header.Set("Authorization", "Bearer "+labelKey)
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
}

// BenchmarkLabel compares POST /v1/label of a 1 MP JPEG and a caption
// through the handler (multipart streaming, limits, JSON) with the fakes
// called directly.
func BenchmarkLabel(b *testing.B) {
	jpg := encodeJPEG(b, picture(1, 1280, 800), 85)
	body, ct := multipartBody(b, file("image", jpg), field("caption", dehumanizingCaption))
	banks := &servertest.Banks{}
	hasher, clf := servertest.Hasher{}, servertest.Classifier{}
	srv, err := server.New(server.Config{Hasher: hasher, Matcher: banks, Classifier: clf})
	if err != nil {
		b.Fatal(err)
	}
	handler := srv.Handler()
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			fp, regions, err := hasher.Fingerprint(ctx, jpg)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := banks.Match(ctx, fp, regions, -1); err != nil {
				b.Fatal(err)
			}
			if _, err := clf.Classify(ctx, []string{dehumanizingCaption}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("handler", func(b *testing.B) {
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/v1/label", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", ct)
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatal(w.Code, w.Body.String())
			}
		}
	})
}
