package memeeval

import (
	"bytes"
	"context"
	"flag"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medialabel/medialabel/memeedit"
)

var (
	full      = flag.Bool("full", false, "run the full evaluation and write its report to -docs")
	docsDir   = flag.String("docs", "../docs", "where the full evaluation writes robustness.md and its plots")
	perFamily = flag.Int("perfamily", 4, "edits of each family in the full evaluation")
	families  = flag.String("families", "", "comma-separated families the full evaluation limits its edits to (all when empty)")
)

const (
	photosDir = "../testdata/photos"
	pdqDir    = "../testdata/pdq-reference/pdq-data"
)

// smallSet is a few photos, shrunk, for the evaluation that runs in go
// test.
func smallSet(t *testing.T) (bank, distractors []Original) {
	t.Helper()
	origs, skipped, err := LoadOriginals(filepath.Join(photosDir, "debian-python3-skimage"), "", 200)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) > 0 {
		t.Fatalf("could not decode %v", skipped)
	}
	keep := map[string]bool{"photos/astronaut": true, "photos/coffee": true, "photos/chelsea": true,
		"photos/rocket": true, "photos/camera": true, "photos/coins": true}
	var small []Original
	for _, o := range origs {
		if keep[o.Name] {
			small = append(small, o)
		}
	}
	if len(small) != len(keep) {
		t.Fatalf("found %d of the %d test photos", len(small), len(keep))
	}
	return Split(small)
}

// TestSmallEvaluation runs the evaluation on a few photos and edits and
// checks that each step finds at least as much as the one before, that
// regions find captioned, framed and juxtaposed copies that the whole
// picture misses, and that nothing matches falsely.
func TestSmallEvaluation(t *testing.T) {
	bank, distractors := smallSet(t)
	white := color.NRGBA{255, 255, 255, 255}
	edits := []memeedit.Edit{
		{Name: "caption", Family: memeedit.FamilyCaption, Steps: []memeedit.Step{memeedit.Caption{Height: 0.2, Background: white, Text: "WAKE UP"}}},
		{Name: "border", Family: memeedit.FamilyBorder, Steps: []memeedit.Step{memeedit.Border{Top: 0.2, Bottom: 0.2, Colour: color.NRGBA{0, 0, 0, 255}}, memeedit.JPEG{Quality: 60}}},
		{Name: "mirror", Family: memeedit.FamilyMirror, Steps: []memeedit.Step{memeedit.Mirror{}}},
		{Name: "side", Family: memeedit.FamilySideBySide, Steps: []memeedit.Step{memeedit.Juxtapose{PartnerScale: 1, Gap: 0.03, GapColour: white}}},
		{Name: "screenshot", Family: memeedit.FamilyScreenshot, Steps: []memeedit.Step{memeedit.Screenshot{Width: 360, Header: color.NRGBA{24, 119, 242, 255}, Text: "有什么区别", Blocky: true}}},
	}
	res, err := Run(context.Background(), Config{Edits: edits, Workers: 2}, bank, distractors)
	if err != nil {
		t.Fatal(err)
	}
	fams := edits
	if want := (len(bank) + len(distractors)) * len(fams); len(res.Queries) != want {
		t.Fatalf("%d queries, want %d", len(res.Queries), want)
	}
	th := DefaultThresholds()
	prev := -1.0
	for s := range nSteps {
		tl := res.Tally(s, combined, th[combined])
		t.Logf("%-14s pdq|phash recall %5.1f%%, false pairs %d of %d", s, 100*tl.Recall(), tl.FalsePairs, tl.Pairs)
		if tl.Recall() < prev {
			t.Errorf("step %s: recall %.3f fell from %.3f", s, tl.Recall(), prev)
		}
		prev = tl.Recall()
		for c := range nScores {
			if f := res.Tally(s, c, th[c]); f.FalsePairs != 0 {
				t.Errorf("step %s, %s: %d false pairs", s, scoreNames[c], f.FalsePairs)
			}
		}
	}
	// The evaluation's distances are the product's: matcher.Match finds
	// exactly the pairs the last step finds at the default thresholds.
	if n := res.Disagreements(th[combined]); n != 0 {
		t.Errorf("matcher.Match and the evaluation's distances disagree on %d pairs", n)
	}
	if p, last := res.Product(), res.Tally(nSteps-1, combined, th[combined]); p != last {
		t.Errorf("product %+v, last step %+v", p, last)
	}
	plain := res.Tally(Plain, combined, th[combined], memeedit.FamilyCaption, memeedit.FamilyBorder, memeedit.FamilyScreenshot)
	found := res.Tally(BankRegions, combined, th[combined], memeedit.FamilyCaption, memeedit.FamilyBorder, memeedit.FamilyScreenshot)
	if plain.Recall() > 0.5 || found.Recall() < 0.8 {
		t.Errorf("caption, border and screenshot copies: recall %.2f whole, %.2f with regions; want regions to find what the whole misses", plain.Recall(), found.Recall())
	}
	// PDQ's own mirror hashes are not enough on small pictures; the hash
	// of the mirrored query is.
	if before, after := res.Tally(Plain, scorePDQ, th[scorePDQ], memeedit.FamilyMirror), res.Tally(Dihedral, scorePDQ, th[scorePDQ], memeedit.FamilyMirror); before.Recall() > 0 || after.Recall() < 1 {
		t.Errorf("mirrored copies: recall %.2f plain, %.2f with mirrors; want 0 and 1", before.Recall(), after.Recall())
	}
	if ph := res.Tally(Dihedral, scorePHash, th[scorePHash], memeedit.FamilyMirror); ph.Recall() < 1 {
		t.Errorf("mirrored copies, pHash of the mirrored query: recall %.2f, want 1", ph.Recall())
	}
	var md bytes.Buffer
	if err := res.WriteMarkdown(&md, th, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| bank regions | pdq |", "| caption |", "regions.Find", "(0 pairs differ)"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if err := res.Plot(filepath.Join(t.TempDir(), "p.png"), "test", StepSeries()); err != nil {
		t.Fatal(err)
	}
}

func TestPictureGrouping(t *testing.T) {
	tests := map[string]string{
		"bridge-mods/blur-a-lot.jpg":               "pdq/bridge",
		"reg-test-input/dih/bridge-5-flipx.jpg":    "pdq/bridge",
		"misc-images/modes/RGBA.png":               "pdq/bridge",
		"reg-test-input/exif-rotn/exif-rotn-6.jpg": "pdq/exif-rotn",
		"reg-test-input/labelme-subset/q0003.jpg":  "pdq/q0003",
		"misc-images/wee.jpg":                      "pdq/wee",
	}
	for in, want := range tests {
		if got := pictureOf(in); got != want {
			t.Errorf("pictureOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDistinctSkimage checks on the small photos that no two different
// pictures match through the product's path. The full evaluation checks
// every photo and reference image.
func TestDistinctSkimage(t *testing.T) {
	d, skipped, err := CheckDistinct(context.Background(), filepath.Join(photosDir, "debian-python3-skimage"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) > 0 {
		t.Fatalf("could not decode %v", skipped)
	}
	if d.Files != 14 || d.Pairs != 14*13 || d.Matches != 0 || d.Nearest <= DefaultThresholds()[combined] {
		t.Errorf("%d files, %d pairs, %d matched (nearest %d, %v); want 14, 182, 0 and above the threshold", d.Files, d.Pairs, d.Matches, d.Nearest, d.Examples)
	}
}

// TestFullEvaluation runs the whole evaluation and writes its report:
//
//	go test ./memeeval -run TestFullEvaluation -full -timeout 3h
func TestFullEvaluation(t *testing.T) {
	if !*full {
		t.Skip("the full evaluation runs with -full (make eval-images)")
	}
	origs, skipped, err := LoadOriginals(photosDir, pdqDir, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) > 0 {
		t.Logf("not decoded, left out: %v", skipped)
	}
	bank, distractors := Split(origs)
	t.Logf("%d pictures: %d in the bank, %d distractors", len(origs), len(bank), len(distractors))
	cfg := Config{Seed: 1, PerFamily: *perFamily}
	if *families != "" {
		cfg.Families = strings.Split(*families, ",")
	}
	res, err := Run(context.Background(), cfg, bank, distractors)
	if err != nil {
		t.Fatal(err)
	}
	distinct, skipped, err := CheckDistinct(context.Background(), photosDir, pdqDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) > 0 {
		t.Logf("distinct check: not decoded, left out: %v", skipped)
	}
	var md bytes.Buffer
	md.WriteString("# Robustness of image matching to meme edits\n\n")
	md.WriteString("Made by `make eval-images` (`go test ./memeeval -run TestFullEvaluation -full`). Originals: the photos in `testdata/photos` and the PDQ reference images (the bridge photo and the exif-rotn photos each count as one picture), shrunk to at most 1024 pixels a side. Pictures of PDQ quality under 50 or under 64 pixels a side are never banked; the rest alternate between the bank and the distractors. Every picture is edited by every edit (package memeedit) and looked up through the product's own path (below); juxtapositions take a distractor as the other picture. Caption text in Chinese is drawn as blocky glyph-like strokes (the Go fonts have no CJK glyphs).\n\n")
	md.WriteString("![recall against false-match rate per signal](robustness-signals.png)\n\n![pdq|phash recall against false-match rate, step by step](robustness-steps.png)\n\n")
	if err := res.WriteMarkdown(&md, DefaultThresholds(), &distinct); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*docsDir, "robustness.md"), md.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := res.Plot(filepath.Join(*docsDir, "robustness-signals.png"), "All steps on, threshold 0 to 128 (pdq, pdq|phash) or 32 (phash)", SignalSeries()); err != nil {
		t.Fatal(err)
	}
	if err := res.Plot(filepath.Join(*docsDir, "robustness-steps.png"), "pdq|phash, step by step, threshold 0 to 128", StepSeries()); err != nil {
		t.Fatal(err)
	}
	t.Log(md.String())
}
