package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medialabel/medialabel/imagefile"
	"github.com/medialabel/medialabel/server"
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

// TestServe runs `medialabel serve` with the real store, matcher, hashers
// and model: an admin adds a picture to a bank, a re-encoded copy with a
// dehumanizing caption gets both labels, and the server stops cleanly
// when its context is cancelled.
func TestServe(t *testing.T) {
	const labelKey, adminKey = "label-0123456789abcdef", "admin-0123456789abcdef"
	t.Setenv("MEDIALABEL_API_KEYS", "label:"+labelKey+",admin:"+adminKey)
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

	f, err := os.Open("../../testdata/photos/debian-python3-skimage/coffee.png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var orig, reencoded bytes.Buffer
	png.Encode(&orig, img)
	jpeg.Encode(&reencoded, img, &jpeg.Options{Quality: 60})

	post := func(path, key string, fields map[string]string, image []byte) *http.Response {
		t.Helper()
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		if image != nil {
			fw, _ := w.CreateFormFile("image", "upload")
			fw.Write(image)
		}
		for k, v := range fields {
			w.WriteField(k, v)
		}
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, base+path, &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	add := map[string]string{"label": "demo.coffee"}
	for _, tc := range []struct {
		key    string
		status int
	}{{"", 401}, {labelKey, 403}, {adminKey, 201}} {
		resp := post("/v1/banks/demo/entries", tc.key, add, orig.Bytes())
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("add entry with key %q: %d, want %d", tc.key, resp.StatusCode, tc.status)
		}
	}

	resp = post("/v1/label", labelKey, map[string]string{"caption": "這些黑衣人係蟑螂，應該被清除"}, reencoded.Bytes())
	var lr struct {
		Labels []struct{ Name, Label string }
	}
	json.NewDecoder(resp.Body).Decode(&lr)
	resp.Body.Close()
	names := map[string]string{}
	for _, l := range lr.Labels {
		names[l.Name] = l.Label
	}
	if resp.StatusCode != 200 || names["propaganda_meme"] != "demo.coffee" || len(lr.Labels) != 2 {
		t.Errorf("label: %d %+v", resp.StatusCode, lr)
	}
	if _, ok := names["dehumanizing_language"]; !ok {
		t.Errorf("label: no dehumanizing_language in %+v", lr)
	}

	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`medialabel_bank_entries{bank="demo"} 1`, `medialabel_index_hashes{signal="pdq"}`, "medialabel_index_memory_bytes",
		`medialabel_stage_duration_seconds_count{stage="classify"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
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

// pngHeader is the start of a PNG declaring w×h pixels.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// TestServeHasherErrors checks that the real decoder's failures reach the
// server as the kinds it answers 413, 415 and 422 for.
func TestServeHasherErrors(t *testing.T) {
	h, err := newServeHasher(1, imagefile.Decoder{MaxPixels: 10_000_000, MaxBytes: 1 << 20}, true)
	if err != nil {
		t.Fatal(err)
	}
	photo, err := os.ReadFile("../../testdata/photos/debian-python3-skimage/rocket.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		kind error
	}{
		{"garbage", []byte("hello, this is not an image"), server.ErrImageFormat},
		{"truncated jpeg", photo[:len(photo)/2], server.ErrImageCorrupt},
		{"pixel bomb", pngHeader(100_000, 100_000), server.ErrImageTooLarge},
		{"over the byte limit", append(photo, make([]byte, 1<<20)...), server.ErrImageTooLarge},
		{"photo", photo, nil},
	} {
		fp, _, err := h.Fingerprint(context.Background(), tc.data)
		if tc.kind == nil {
			if err != nil || fp.Format != "jpeg" || len(fp.Hashes) < 3 || len(fp.Dihedral) != 7 {
				t.Errorf("%s: %+v %v", tc.name, fp, err)
			}
			continue
		}
		if !errors.Is(err, tc.kind) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.kind)
		}
		if _, err := h.Entry(context.Background(), tc.data); !errors.Is(err, tc.kind) {
			t.Errorf("%s: Entry error %v, want %v", tc.name, err, tc.kind)
		}
	}
	e, err := h.Entry(context.Background(), photo)
	if err != nil || len(e.Regions) == 0 || len(e.Thumbnail) == 0 {
		t.Errorf("entry: %d regions, %d bytes of thumbnail, %v", len(e.Regions), len(e.Thumbnail), err)
	}
}
