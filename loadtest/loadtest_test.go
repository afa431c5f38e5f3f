package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.9.9.9", true},
		{"http://[::1]:80/x", true},
		{"http://localhost:1", true},
		{"http://10.0.0.1:8080", false},
		{"http://192.168.1.2", false},
		{"http://example.com", false},
		{"http://0.0.0.0:80", false},
		{"::nonsense", false},
	} {
		if err := CheckLoopback(tc.url); (err == nil) != tc.ok {
			t.Errorf("CheckLoopback(%q) = %v", tc.url, err)
		}
	}
}

func TestRunBounds(t *testing.T) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer ts.Close()
	mk := Match(ts.URL, "", "pdq", "00")
	client := NewClient(4)

	rep, err := Run(context.Background(), client, mk, Options{Concurrency: 4, MaxRequests: 100})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 100 || rep.Errors != 10 || rep.Statuses[503] != 10 || rep.Statuses[200] != 90 {
		t.Errorf("closed loop: %v", rep)
	}
	if rep.Quantile(0) > rep.Quantile(.5) || rep.Quantile(.5) > rep.Quantile(1) {
		t.Errorf("quantiles out of order: %v", rep)
	}

	start := time.Now()
	rep, err = Run(context.Background(), client, mk, Options{Concurrency: 2, Rate: 200, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a 300ms run took %v", d)
	}
	if rep.Requests < 20 || rep.Requests > 70 {
		t.Errorf("200/s for 300ms sent %d requests", rep.Requests)
	}
	if _, err := Run(context.Background(), client, mk, Options{}); err == nil {
		t.Error("an unbounded run was accepted")
	}
}

func TestNoiseJPEG(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes several megabytes")
	}
	b, err := NoiseJPEG(2_000_000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 2_000_000 || len(b) < 1_800_000 {
		t.Errorf("%d bytes, want just under 2 MB", len(b))
	}
}
