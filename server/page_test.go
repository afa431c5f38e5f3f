package server_test

import (
	"context"
	"flag"
	"image"
	_ "image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var update = flag.Bool("update", false, "rewrite docs/moderators-page.png from the browser test")

// chromium finds a Chromium binary: $MEDIALABEL_CHROMIUM, else chromium
// or chromium-browser on the PATH. Without one the test skips, except
// under CI=true where the browser is expected.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MEDIALABEL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found, and CI=true: install it with apt-get install -y chromium fonts-noto-cjk")
	}
	t.Skip("chromium not found: install it (apt-get install -y chromium fonts-noto-cjk) or set MEDIALABEL_CHROMIUM to run the browser test")
	return ""
}

// TestModeratorsPage drives the page in headless Chromium: a moderator
// enters a key, drops in a re-encoded copy of a banked meme with a
// dehumanizing caption, and sees the verdict with its evidence.
func TestModeratorsPage(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t, nil)

	src, err := os.Open("../testdata/photos/debian-python3-skimage/chelsea.png")
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(src)
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	if r := e.post(t, "/v1/banks/hk2019/entries", adminKey, file("image", encodePNG(t, img)), field("label", "hk2019.cockroach")); r.status != http.StatusCreated {
		t.Fatalf("add entry: %d %s", r.status, r.body)
	}
	upload := filepath.Join(t.TempDir(), "repost.jpg")
	if err := os.WriteFile(upload, encodeJPEG(t, img, 55), 0o644); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 1500),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	// The first Run starts the browser; it must not have a timeout of its
	// own, so the steps get one derived from it.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/")); err != nil {
		t.Fatalf("browser: %v", err)
	}
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	steps := []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"open the key box", chromedp.Click(chromedp.CSS("#keybox summary"))},
		{"type the key", chromedp.SendKeys(chromedp.CSS("#key"), labelKey)},
		{"use the key", chromedp.Click(chromedp.CSS(`#keyform button[type="submit"]`))},
		{"choose the image", chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{upload})},
		{"see the preview", chromedp.WaitVisible(chromedp.CSS("#preview"))},
		{"type the caption", chromedp.SetValue(chromedp.CSS("#caption"), dehumanizingCaption)},
		{"press Label", chromedp.Click(chromedp.CSS("#go"))},
		{"see the verdict", chromedp.WaitVisible(chromedp.CSS("#verdict"))},
		{"see the bank thumbnail", chromedp.WaitVisible(chromedp.CSS(`article[data-label="propaganda_meme"] figure img[src^="blob:"]:not([alt="The upload"])`))},
	}
	for _, st := range steps {
		if _, err := chromedp.Run(ctx, st.do); err != nil {
			shot, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.FullScreenshot(100))
			failed := filepath.Join(artifacts(t), "moderators-page-failed.png")
			os.WriteFile(failed, shot, 0o644)
			t.Fatalf("browser, %s: %v (screenshot %s)", st.name, err, failed)
		}
	}
	verdict := run(t, ctx, chromedp.Text(chromedp.CSS("#verdict")))
	marked := run(t, ctx, chromedp.Text(chromedp.CSS(`article[data-label="dehumanizing_language"] mark`)))
	live := run(t, ctx, chromedp.AttributeValue(chromedp.CSS("#result"), "aria-live")).Value
	thumbs := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('article[data-label="propaganda_meme"] img').length`))
	keyKept := run(t, ctx, chromedp.Evaluate[string](`sessionStorage.getItem("medialabel.key")`))
	if !strings.Contains(verdict, "Propaganda meme") || !strings.Contains(verdict, "Dehumanizing language") {
		t.Errorf("verdict %q", verdict)
	}
	if marked != "蟑螂" {
		t.Errorf("highlighted %q, want 蟑螂", marked)
	}
	if live != "polite" {
		t.Errorf("result region aria-live %q", live)
	}
	if keyKept != labelKey {
		t.Errorf("key in sessionStorage %q", keyKept)
	}
	if thumbs != 2 {
		t.Errorf("%d pictures side by side, want the upload and the bank's thumbnail", thumbs)
	}

	// The screenshot for the docs: the verdict and its evidence.
	png := run(t, ctx, chromedp.FullScreenshot(100))

	// Browse the bank: the entry is listed with its thumbnail.
	for _, st := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"show banks", chromedp.Click(chromedp.CSS("#loadbanks"))},
		{"see the bank", chromedp.WaitReady(chromedp.CSS(`#bankpick option[value="hk2019"]`))},
	} {
		if _, err := chromedp.Run(ctx, st.do); err != nil {
			t.Fatalf("browser, %s: %v", st.name, err)
		}
	}
	run(t, ctx, chromedp.Evaluate[any](`(() => { const s = document.getElementById("bankpick"); s.value = "hk2019"; s.dispatchEvent(new Event("change")); })()`))
	if _, err := chromedp.Run(ctx, chromedp.WaitVisible(chromedp.CSS("#entries tbody tr img.thumb"))); err != nil {
		t.Fatalf("browser, see the entry: %v", err)
	}
	if row := run(t, ctx, chromedp.Text(chromedp.CSS("#entries tbody tr"))); !strings.Contains(row, "hk2019.cockroach") {
		t.Errorf("entry row %q", row)
	}

	// As an admin, add an entry by hash.
	for _, st := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"type the admin key", chromedp.SendKeys(chromedp.CSS("#key"), adminKey)},
		{"use the admin key", chromedp.Click(chromedp.CSS(`#keyform button[type="submit"]`))},
		{"open the add form", chromedp.Click(chromedp.CSS("#addbox summary"))},
		{"type the bank", chromedp.SendKeys(chromedp.CSS("#addbank"), "memes")},
		{"type the label", chromedp.SendKeys(chromedp.CSS("#addlabel"), "memes.bare")},
		{"type the hash", chromedp.SendKeys(chromedp.CSS("#addhash"), "pdq:"+strings.Repeat("0f", 32))},
		{"add", chromedp.Click(chromedp.CSS(`#addform button[type="submit"]`))},
	} {
		if _, err := chromedp.Run(ctx, st.do); err != nil {
			t.Fatalf("browser, %s: %v", st.name, err)
		}
	}
	wait, cancelWait := context.WithTimeout(ctx, 10*time.Second)
	defer cancelWait()
	if _, err := chromedp.Run(wait, chromedp.Poll[bool](`document.querySelector("#entries").textContent.includes("to memes.")`)); err != nil {
		t.Fatalf("browser, see the new entry: %v (error shown: %q)", err, run(t, ctx, chromedp.TextContent(chromedp.CSS("#bankerror"))))
	}
	if r := e.do(t, request{method: "GET", path: "/v1/banks/memes/entries", key: labelKey}); !strings.Contains(string(r.body), "memes.bare") {
		t.Errorf("the entry added from the page is not in the bank: %s", r.body)
	}
	if msg := run(t, ctx, chromedp.Text(chromedp.CSS("#entries"))); !strings.Contains(msg, "to memes.") || !strings.Contains(msg, "memes.bare") {
		t.Errorf("entries after adding: %q", msg)
	}

	dir := artifacts(t)
	path := filepath.Join(dir, "moderators-page.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	if *update {
		if err := os.WriteFile("../docs/moderators-page.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// run runs one browser action and fails the test on error.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// artifacts is where the test leaves its screenshots: $MEDIALABEL_ARTIFACTS
// or a temporary directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("MEDIALABEL_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
