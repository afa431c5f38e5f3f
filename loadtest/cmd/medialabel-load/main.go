// Command medialabel-load measures a medialabel server on this machine:
// /v1/label with a 1 MP JPEG and a caption against the same work done
// in-process (the CLI's baseline), /v1/match by hash, both at full load
// and at 70% of it, and a flood of 20 MB uploads. It only talks to
// loopback and every phase is bounded in time.
//
//	go build -o bin/medialabel ./cmd/medialabel
//	go run ./loadtest/cmd/medialabel-load -serve bin/medialabel
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/medialabel/medialabel/loadtest"
	"github.com/medialabel/medialabel/meme"
	"github.com/medialabel/medialabel/model"
)

const caption = "這些蟑螂應該被清除"

func main() {
	var (
		serveBin = flag.String("serve", "", "start this medialabel binary on a free loopback port with a fresh store (else use -url)")
		baseURL  = flag.String("url", "", "a running server (loopback only)")
		key      = flag.String("key", "", "API key (admin, to seed the bank)")
		photo    = flag.String("image", "testdata/photos/debian-mate-backgrounds/Aqua.jpg", "photo to scale to 1 MP")
		dur      = flag.Duration("duration", 10*time.Second, "length of each measured phase")
		runs     = flag.Int("runs", 3, "repetitions of each throughput phase (the median is reported)")
		phases   = flag.String("phases", "label,match,flood", "phases to run")
		floodN   = flag.Int("flood", 100, "concurrent 20 MB uploads in the flood phase")
		regs     = flag.Bool("regions", true, "serve with --regions (look up an upload's regions too) and include them in the baseline")
	)
	flag.Parse()
	log.SetFlags(0)
	ctx, stop := context.WithTimeout(context.Background(), 20*time.Minute)
	defer stop()

	img, err := loadtest.PhotoJPEG(*photo, 1.0)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("image: %s scaled to 1 MP, %d bytes; GOMAXPROCS %d", *photo, len(img), runtime.GOMAXPROCS(0))

	var srv *server
	if *serveBin != "" {
		if srv, err = startServer(ctx, *serveBin, "--regions="+strconv.FormatBool(*regs)); err != nil {
			log.Fatal(err)
		}
		defer srv.stop()
		*baseURL = srv.url
	}
	if *baseURL == "" {
		log.Fatal("give -serve BIN or -url URL")
	}
	if err := loadtest.CheckLoopback(*baseURL); err != nil {
		log.Fatal(err)
	}
	want := map[string]bool{}
	for _, p := range strings.Split(*phases, ",") {
		want[strings.TrimSpace(p)] = true
	}
	client := loadtest.NewClient(256)
	pdq, err := seed(ctx, client, *baseURL, *key, img)
	if err != nil {
		log.Fatal(err)
	}

	if want["label"] {
		// Baseline and server runs alternate, so that both see the same
		// machine; the ratio of each pair is kept, and the median of
		// the ratios reported.
		mk, err := loadtest.Label(*baseURL, *key, img, caption)
		if err != nil {
			log.Fatal(err)
		}
		conc := 2 * runtime.GOMAXPROCS(0)
		var ratios, maxes []float64
		for range max(*runs, 1) {
			base := measureBaseline(ctx, img, conc, *regs, *dur)
			log.Printf("baseline (in-process hash + classify, regions %v, %d workers): %.1f images/s", *regs, conc, base)
			rate := phase(ctx, client, "label", mk, conc, *dur, 1)
			ratios, maxes = append(ratios, rate/base), append(maxes, rate)
			log.Printf("label: %.2fx the in-process baseline", rate/base)
		}
		slices.Sort(ratios)
		slices.Sort(maxes)
		log.Printf("label: median %.2fx the in-process baseline over %d runs (target >= 0.8)", ratios[len(ratios)/2], len(ratios))
		paced(ctx, client, "label", mk, conc, 0.7*maxes[len(maxes)/2], *dur)
	}
	if want["match"] {
		mk := loadtest.Match(*baseURL, *key, "pdq", pdq)
		max := phase(ctx, client, "match", mk, 8, *dur, *runs)
		log.Printf("match: %.0f req/s (target >= 10000)", max)
		paced(ctx, client, "match", mk, 8, 0.7*max, *dur)
	}
	if want["flood"] {
		if err := flood(ctx, client, *baseURL, *key, *floodN, srv); err != nil {
			log.Fatal(err)
		}
	}
}

// phase runs a closed-loop phase runs times and returns the median
// throughput.
func phase(ctx context.Context, client *http.Client, name string, mk loadtest.RequestFunc, conc int, d time.Duration, runs int) float64 {
	return median(runs, func() float64 {
		rep, err := loadtest.Run(ctx, client, mk, loadtest.Options{Concurrency: conc, Duration: d, Warmup: 5})
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("%s, %d in flight: %v", name, conc, rep)
		if rep.Errors > 0 {
			log.Printf("%s: ERRORS %v %v", name, rep.Statuses, rep.Failures)
		}
		return rep.Throughput()
	})
}

// paced runs an open-loop phase at rate and reports its latencies.
func paced(ctx context.Context, client *http.Client, name string, mk loadtest.RequestFunc, conc int, rate float64, d time.Duration) {
	rep, err := loadtest.Run(ctx, client, mk, loadtest.Options{Concurrency: conc, Rate: rate, Duration: d})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%s at %.0f req/s (70%% of max): %v", name, rate, rep)
	log.Printf("%s: p99 %v at 70%% load (target <= 50ms), errors %d", name, rep.Quantile(.99).Round(time.Microsecond), rep.Errors)
}

func median(n int, f func() float64) float64 {
	xs := make([]float64, 0, n)
	for range max(n, 1) {
		xs = append(xs, f())
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// measureBaseline hashes and classifies img in-process, as the CLI does
// (`medialabel match`, through package meme, with the query's regions when
// withRegions, then `medialabel classify`), with workers
// goroutines, for d; it returns images a second.
func measureBaseline(ctx context.Context, img []byte, workers int, withRegions bool, d time.Duration) float64 {
	clf, err := model.OpenDefault(ctx, model.Options{})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	done := 0
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		// What `medialabel match` and the server do with an upload.
		h, err := meme.New(meme.Options{Dihedral: true, Regions: withRegions})
		if err != nil {
			log.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := h.Query(ctx, img); err != nil {
					return
				}
				if _, err := clf.Classify(ctx, []string{caption}); err != nil {
					return
				}
				mu.Lock()
				done++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return float64(done) / time.Since(start).Seconds()
}

// seed adds img to a bank so that label and match find something, and
// returns its PDQ hash.
func seed(ctx context.Context, client *http.Client, base, key string, img []byte) (string, error) {
	mk, err := loadtest.Label(base, key, img, "")
	if err != nil {
		return "", err
	}
	req, _ := mk(ctx)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	var lr struct {
		Image struct{ PDQ string }
	}
	err = json.NewDecoder(resp.Body).Decode(&lr)
	resp.Body.Close()
	if err != nil || lr.Image.PDQ == "" {
		return "", fmt.Errorf("seed: label answered %d: %v", resp.StatusCode, err)
	}
	body := strings.NewReader("--B\r\nContent-Disposition: form-data; name=\"hash\"\r\n\r\npdq:" + lr.Image.PDQ +
		"\r\n--B\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\nload.seed\r\n--B--\r\n")
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/banks/load/entries", body)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err = client.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("seed: add entry answered %d", resp.StatusCode)
	}
	return lr.Image.PDQ, nil
}

// flood sends n uploads of a 20 MB JPEG at once while polling /healthz,
// and reports the answers and the server's peak memory.
func flood(ctx context.Context, client *http.Client, base, key string, n int, srv *server) error {
	big, err := loadtest.NoiseJPEG(20_000_000-4096, 1)
	if err != nil {
		return err
	}
	log.Printf("flood: %d concurrent uploads of a %s noise JPEG", n, loadtest.FormatBytes(int64(len(big))))
	mk, err := loadtest.Label(base, key, big, caption)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithCancel(ctx)
	type probe struct {
		polls, failed int
		worst         time.Duration
	}
	probed := make(chan probe, 1)
	go func() {
		p, f, w := loadtest.Probe(pctx, loadtest.NewClient(2), base+"/healthz", 50*time.Millisecond, time.Second)
		probed <- probe{p, f, w}
	}()
	rep, err := loadtest.Run(ctx, loadtest.NewClient(n), mk, loadtest.Options{Concurrency: n, MaxRequests: n, Duration: 5 * time.Minute})
	cancel()
	p := <-probed
	if err != nil {
		return err
	}
	log.Printf("flood: %v", rep)
	log.Printf("flood: answers %v (200 = labelled, 503 = refused while busy), transport errors %v", rep.Statuses, rep.Failures)
	log.Printf("flood: /healthz polled %d times, %d failed or slower than 1s, slowest %v", p.polls, p.failed, p.worst.Round(time.Millisecond))
	if srv != nil {
		log.Printf("flood: server peak RSS %s (target < 1 GB)", loadtest.FormatBytes(srv.peakRSS()))
	}
	return nil
}

// server is a medialabel process started for the run.
type server struct {
	cmd *exec.Cmd
	url string
	dir string
}

func startServer(ctx context.Context, bin string, args ...string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	dir, err := os.MkdirTemp("", "medialabel-load")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--db", filepath.Join(dir, "load.db"), "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "MEDIALABEL_API_KEYS=")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if !strings.Contains(sc.Text(), "no API keys") {
				log.Printf("server: %s", sc.Text())
			}
		}
	}()
	s := &server{cmd: cmd, url: "http://" + addr, dir: dir}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				log.Printf("server: pid %d on %s", cmd.Process.Pid, addr)
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("server did not become ready within 60s")
}

// peakRSS is the server's high-water resident memory (VmHWM).
func (s *server) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return -1
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(s.dir)
}
