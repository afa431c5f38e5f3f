// Package loadtest drives a medialabel server with bounded load and
// reports throughput and latency. It only ever sends requests to loopback
// addresses, stops after a set number of requests or a set time, and
// measures latency from each request's scheduled start, so that a slow
// server cannot hide its queueing (coordinated omission).
package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// CheckLoopback returns an error unless rawURL names a loopback host.
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s: load is only sent to loopback addresses (127.0.0.0/8, ::1, localhost)", rawURL)
	}
	return nil
}

// A RequestFunc makes one request of a scenario.
type RequestFunc func(ctx context.Context) (*http.Request, error)

// Options bound a run.
type Options struct {
	// Concurrency is the number of requests in flight at most.
	Concurrency int
	// Rate, when positive, sends requests at this many a second (open
	// loop); zero sends them back to back from Concurrency workers
	// (closed loop, for the maximum throughput).
	Rate float64
	// Duration and MaxRequests bound the run; the first reached ends it.
	Duration    time.Duration
	MaxRequests int
	// Warmup requests are sent first and not counted.
	Warmup int
}

// A Report summarizes a run.
type Report struct {
	Requests  int
	Errors    int            // transport errors and non-2xx answers
	Statuses  map[int]int    // answers by status
	Failures  map[string]int // transport errors by message
	Elapsed   time.Duration
	Latencies []time.Duration // sorted
}

// Throughput is the completed requests per second.
func (r Report) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Quantile returns the q-quantile (0..1) of the latencies.
func (r Report) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(q * float64(len(r.Latencies)-1))
	return r.Latencies[i]
}

// String summarises the report on one line: requests, throughput, errors
// by status and latency quantiles.
func (r Report) String() string {
	return fmt.Sprintf("%d requests in %v: %.1f req/s, errors %d %v, p50 %v p90 %v p99 %v max %v",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.Throughput(), r.Errors, r.Statuses,
		r.Quantile(.5).Round(time.Microsecond), r.Quantile(.9).Round(time.Microsecond),
		r.Quantile(.99).Round(time.Microsecond), r.Quantile(1).Round(time.Microsecond))
}

// Run sends requests made by mk through client within opts' bounds.
func Run(ctx context.Context, client *http.Client, mk RequestFunc, opts Options) (Report, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 1
	}
	if opts.Duration <= 0 && opts.MaxRequests <= 0 {
		return Report{}, errors.New("loadtest: a run needs a duration or a request count")
	}
	for i := 0; i < opts.Warmup; i++ {
		if _, err := once(ctx, client, mk); err != nil {
			return Report{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	type result struct {
		latency time.Duration
		status  int
		err     error
	}
	// Each slot is a scheduled start; workers take them in order. In an
	// open loop the pacer releases every slot that is due each
	// millisecond, and never waits for a worker: slots queue instead, and
	// their wait counts in the latency.
	slots := make(chan time.Time, max(opts.Concurrency, 1<<16))
	results := make(chan result, 1024)
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range slots {
				if ctx.Err() != nil {
					return
				}
				if opts.Rate <= 0 {
					start = time.Now() // closed loop: no schedule to lag behind
				}
				status, err := once(ctx, client, mk)
				if ctx.Err() != nil && err != nil {
					return // cut short by the end of the run
				}
				results <- result{latency: time.Since(start), status: status, err: err}
			}
		}()
	}
	begin := time.Now()
	go func() {
		defer close(slots)
		if opts.Rate <= 0 {
			for i := 0; opts.MaxRequests <= 0 || i < opts.MaxRequests; i++ {
				select {
				case slots <- time.Now():
				case <-ctx.Done():
					return
				}
			}
			return
		}
		interval := time.Duration(float64(time.Second) / opts.Rate)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := 0; opts.MaxRequests <= 0 || i < opts.MaxRequests; {
			due := int(time.Since(begin)/interval) + 1
			for ; i < due && (opts.MaxRequests <= 0 || i < opts.MaxRequests); i++ {
				select {
				case slots <- begin.Add(time.Duration(i) * interval):
				default:
					return // more than 65536 requests behind: give up
				}
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	rep := Report{Statuses: map[int]int{}, Failures: map[string]int{}}
	for r := range results {
		rep.Requests++
		rep.Latencies = append(rep.Latencies, r.latency)
		switch {
		case r.err != nil:
			rep.Errors++
			rep.Failures[r.err.Error()]++
		default:
			rep.Statuses[r.status]++
			if r.status < 200 || r.status > 299 {
				rep.Errors++
			}
		}
	}
	rep.Elapsed = time.Since(begin)
	slices.Sort(rep.Latencies)
	return rep, nil
}

func once(ctx context.Context, client *http.Client, mk RequestFunc) (int, error) {
	req, err := mk(ctx)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// NewClient returns an HTTP client that keeps up to n connections open to
// one host.
func NewClient(n int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = n
	t.MaxIdleConnsPerHost = n
	t.MaxConnsPerHost = n
	t.DisableCompression = true
	return &http.Client{Transport: t, Timeout: 2 * time.Minute}
}

// Label makes POST /v1/label requests carrying img and caption.
func Label(base, key string, img []byte, caption string) (RequestFunc, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("image", "upload.jpg")
	if err != nil {
		return nil, err
	}
	fw.Write(img)
	if caption != "" {
		w.WriteField("caption", caption)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b, ct := body.Bytes(), w.FormDataContentType()
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/label", bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", ct)
		req.ContentLength = int64(len(b))
		auth(req, key)
		return req, nil
	}, nil
}

// Match makes GET /v1/match requests for hash (SIGNAL:HEX form).
func Match(base, key, signal, hex string) RequestFunc {
	u := base + "/v1/match?signal=" + url.QueryEscape(signal) + "&hash=" + url.QueryEscape(hex)
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		auth(req, key)
		return req, nil
	}
}

func auth(req *http.Request, key string) {
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
}

// Probe polls url every interval until ctx ends, and reports how many
// polls failed or were slower than slow.
func Probe(ctx context.Context, client *http.Client, url string, interval, slow time.Duration) (polls, failed int, worst time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		pctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := client.Do(req.WithContext(pctx))
		d := time.Since(start)
		cancel()
		polls++
		worst = max(worst, d)
		if err != nil || resp.StatusCode != 200 || d > slow {
			failed++
		}
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}

// FormatBytes prints n in MB.
func FormatBytes(n int64) string {
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
}
