// Package memeedit makes the edits that propaganda memes go through on
// their way round social networks: caption bars, text over the picture,
// borders and letterboxes, re-encoding, resizing, mirroring, rotation,
// crops, juxtaposition with another picture, greyscale and contrast,
// stickers and phone-app screenshots, alone and combined.
//
// Every edit is a named, ordered list of steps whose parameters are fixed
// when the edit is made, so that Apply is a pure function of its inputs;
// Generate draws a set of edits from a seed, the same set for the same
// seed. Text is drawn with the Go fonts. There is no CJK font in the Go
// fonts: Chinese caption text is simulated with blocky glyph-like strokes
// (see Caption.Blocky), which give a caption bar the same kind of texture
// (dense strokes on a flat background) that the region finder has to cope
// with.
package memeedit

import (
	"fmt"
	"image"
	"strings"
)

// A Step is one edit applied to a picture.
type Step interface {
	// Apply returns the edited picture. partner is the unrelated picture
	// that juxtapositions place beside the input; other steps ignore it.
	// Apply never changes img.
	Apply(img, partner image.Image) (image.Image, error)
	// String names the step with its parameters.
	String() string
}

// Families of edits, as Generate makes them and the evaluation reports
// them. Crops are split at 10% of a side: PDQ and the 64-bit hashes are
// expected to survive small crops only.
const (
	FamilyCaption    = "caption"         // caption bar at top, bottom or both
	FamilyOverlay    = "overlay-text"    // text drawn over the picture
	FamilyBorder     = "border"          // solid borders and letterboxes
	FamilyJPEG       = "jpeg"            // re-encoding at quality 20-95
	FamilyResize     = "resize"          // scaling by 25-200%
	FamilyMirror     = "mirror"          // left-right mirror
	FamilyRotate     = "rotate"          // rotation by 90, 180 or 270 degrees
	FamilyCropSmall  = "crop-le10"       // crops of 5-10% of the width or height
	FamilyCropLarge  = "crop-gt10"       // crops of more than 10%, up to 25%
	FamilySideBySide = "juxtapose-side"  // beside an unrelated picture
	FamilyStacked    = "juxtapose-stack" // above or below an unrelated picture
	FamilyGrey       = "grey-contrast"   // greyscale and contrast changes
	FamilySticker    = "sticker"         // a sticker over a corner
	FamilyScreenshot = "screenshot"      // inside a phone-app screenshot
	FamilyCombo      = "combination"     // several of the above together
)

// Families lists every family in report order.
func Families() []string {
	return []string{
		FamilyCaption, FamilyOverlay, FamilyBorder, FamilyJPEG, FamilyResize,
		FamilyMirror, FamilyRotate, FamilyCropSmall, FamilyCropLarge,
		FamilySideBySide, FamilyStacked, FamilyGrey, FamilySticker,
		FamilyScreenshot, FamilyCombo,
	}
}

// Hard reports whether edits of family are among those the evaluation
// holds to the lower recall target: juxtapositions and crops of more
// than 10%.
func Hard(family string) bool {
	switch family {
	case FamilySideBySide, FamilyStacked, FamilyCropLarge:
		return true
	}
	return false
}

// An Edit is a named sequence of steps.
type Edit struct {
	Name   string // unique within a generated set, e.g. "caption-03"
	Family string // one of the Family constants
	Steps  []Step
}

// Apply runs the steps in order on img and returns the result.
func (e Edit) Apply(img, partner image.Image) (image.Image, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, fmt.Errorf("edit %s: empty picture", e.Name)
	}
	out := img
	for _, s := range e.Steps {
		var err error
		out, err = s.Apply(out, partner)
		if err != nil {
			return nil, fmt.Errorf("edit %s: %s: %w", e.Name, s, err)
		}
		if out.Bounds().Empty() {
			return nil, fmt.Errorf("edit %s: %s left an empty picture", e.Name, s)
		}
	}
	return out, nil
}

// String is the name followed by the steps, e.g.
// "caption-03 caption(top,h=0.18,bg=#ffffff,blocky) + jpeg(q=40)".
func (e Edit) String() string {
	parts := make([]string, len(e.Steps))
	for i, s := range e.Steps {
		parts[i] = s.String()
	}
	return e.Name + " " + strings.Join(parts, " + ")
}
