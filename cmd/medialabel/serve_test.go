package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"20MB", 20_000_000}, {"20mb", 20_000_000}, {"512KiB", 512 << 10}, {"1GiB", 1 << 30},
		{"1048576", 1 << 20}, {" 3 MB ", 3_000_000}, {"10B", 10},
		{"", 0}, {"0", 0}, {"-1MB", 0}, {"MB", 0}, {"1.5MB", 0}, {"20XB", 0}, {"99999999999GB", 0},
	} {
		got, err := parseSize(tc.in)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("parseSize(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"20MB", "1GiB", "7", "-3KB", "1e9", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && (n <= 0 || n > 1<<40) {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}

func TestLoadAPIKeys(t *testing.T) {
	t.Setenv("MEDIALABEL_API_KEYS", "label:env-key-0123456789abcdef")
	keys, err := loadAPIKeys("")
	if err != nil || len(keys) != 1 || keys[0].Key != "env-key-0123456789abcdef" {
		t.Fatalf("from env: %v %v", keys, err)
	}
	path := filepath.Join(t.TempDir(), "keys")
	os.WriteFile(path, []byte("# moderators\nlabel:file-key-0123456789abcdef\nadmin:file-admin-0123456789abcdef\n"), 0o600)
	keys, err = loadAPIKeys(path)
	if err != nil || len(keys) != 2 || keys[1].Role != "admin" {
		t.Fatalf("from file: %v %v", keys, err)
	}
	os.WriteFile(path, []byte("superuser:file-key-0123456789abcdef\n"), 0o600)
	if _, err := loadAPIKeys(path); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad file: %v", err)
	}
}

// TestServe runs `medialabel serve` on a fresh store: it must start,
// answer, and stop cleanly when its context is cancelled.
func TestServe(t *testing.T) {
	t.Setenv("MEDIALABEL_API_KEYS", "")
	dir := t.TempDir()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"serve", "--db", filepath.Join(dir, "ml.db"), "--addr", "127.0.0.1:0", "--log-format", "json"},
			strings.NewReader(""), io.Discard, pw)
		pw.Close()
	}()
	addr := ""
	sc := bufio.NewScanner(pr)
	for addr == "" && sc.Scan() {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving" {
			addr = rec.Addr
		}
	}
	if addr == "" {
		t.Fatalf("serve did not start (exit %d)", <-code)
	}
	go io.Copy(io.Discard, pr)
	base := "http://" + addr

	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()

	img, err := os.ReadFile("../../testdata/photos/debian-python3-skimage/coffee.png")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("image", "coffee.png")
	fw.Write(img)
	w.WriteField("label", "demo.coffee")
	w.Close()
	resp, err = http.Post(base+"/v1/banks/demo/entries", w.FormDataContentType(), &body)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("add entry: %v %v", resp, err)
	}
	resp.Body.Close()

	body.Reset()
	w = multipart.NewWriter(&body)
	fw, _ = w.CreateFormFile("image", "coffee.png")
	fw.Write(img)
	w.Close()
	resp, err = http.Post(base+"/v1/label", w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	var lr struct {
		Labels []struct{ Name, Label string }
	}
	json.NewDecoder(resp.Body).Decode(&lr)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(lr.Labels) != 1 || lr.Labels[0].Label != "demo.coffee" {
		t.Errorf("label: %d %+v", resp.StatusCode, lr)
	}

	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("exit status %d after shutdown", c)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeRefusesOpenAddrWithoutKeys(t *testing.T) {
	t.Setenv("MEDIALABEL_API_KEYS", "")
	var stderr bytes.Buffer
	c := run(context.Background(), []string{"serve", "--db", filepath.Join(t.TempDir(), "ml.db"), "--addr", "0.0.0.0:0"},
		strings.NewReader(""), io.Discard, &stderr)
	if c != exitUsage || !strings.Contains(stderr.String(), "not loopback") {
		t.Errorf("exit %d, stderr %q", c, stderr.String())
	}
}
