package memeedit

import (
	"fmt"
	"image"
	"image/color"

	"github.com/disintegration/imaging"
)

// Screenshot draws the picture as a post in a phone app and returns the
// screenshot: a status bar, the app's header bar, a feed background with a
// rounded card (author line, post text, the picture, an action row) and
// a reply bar at the bottom. The picture is scaled to the card's width.
type Screenshot struct {
	Width   int         // screen width in pixels (360 to 1080)
	Dark    bool        // dark theme
	Header  color.NRGBA // header bar colour
	Text    string      // the post's text, drawn above the picture
	Blocky  bool        // draw Text as blocky CJK-like glyphs
	Padding bool        // inset the picture within the card
}

// Apply implements Step.
func (s Screenshot) Apply(img, _ image.Image) (image.Image, error) {
	if s.Width < 120 {
		return nil, fmt.Errorf("screen width %d: want at least 120", s.Width)
	}
	u := func(dp int) int { return max(1, dp*s.Width/360) }
	bg, card, ink, faint := color.NRGBA{233, 235, 238, 255}, color.NRGBA{255, 255, 255, 255}, color.NRGBA{20, 20, 20, 255}, color.NRGBA{200, 203, 208, 255}
	if s.Dark {
		bg, card, ink, faint = color.NRGBA{24, 25, 26, 255}, color.NRGBA{36, 37, 38, 255}, color.NRGBA{228, 230, 235, 255}, color.NRGBA{70, 72, 76, 255}
	}
	status, header, margin, pad := u(24), u(56), u(8), u(12)
	author, postText, actions, reply := u(44), u(28), u(40), u(56)
	cardW := s.Width - 2*margin
	picW := cardW
	if s.Padding {
		picW -= 2 * pad
	}
	b := img.Bounds()
	picH := max(1, b.Dy()*picW/b.Dx())
	pic := imaging.Resize(img, picW, picH, imaging.Linear)
	cardH := pad + author + postText + picH + actions
	h := status + header + margin + cardH + margin + reply

	out := imaging.New(s.Width, h, bg)
	// Status bar: the clock on the left, signal and battery on the right.
	statusBar := image.Rect(0, 0, s.Width, status)
	fillRect(out, statusBar, darker(s.Header))
	drawText(out, image.Rect(u(8), 0, u(60), status), "12:34", color.NRGBA{255, 255, 255, 255}, false, false)
	fillRect(out, image.Rect(s.Width-u(40), u(8), s.Width-u(16), status-u(8)), color.NRGBA{255, 255, 255, 255})
	// Header bar with the app's title.
	fillRect(out, image.Rect(0, status, s.Width, status+header), s.Header)
	drawText(out, image.Rect(u(56), status, s.Width/2, status+header), "Feed", contrast(s.Header), false, false)
	// The card.
	top := status + header + margin
	cardR := image.Rect(margin, top, margin+cardW, top+cardH)
	fillRoundRect(out, cardR, u(12), card)
	fillCircle(out, float64(margin+pad+u(18)), float64(top+pad+u(18)), float64(u(18)), faint)
	drawText(out, image.Rect(margin+pad+u(44), top+pad, margin+cardW/2, top+pad+u(36)), "Daily News", ink, false, false)
	y := top + pad + author
	drawText(out, image.Rect(margin, y, margin+cardW, y+postText), s.Text, ink, s.Blocky, false)
	y += postText
	picX := margin
	if s.Padding {
		picX += pad
	}
	out = imaging.Paste(out, pic, image.Pt(picX, y))
	y += picH
	for i := range 3 { // like, comment, share
		x := margin + pad + i*cardW/3
		fillRect(out, image.Rect(x, y+u(14), x+u(60), y+u(26)), faint)
	}
	// Reply bar.
	ry := h - reply
	fillRect(out, image.Rect(0, ry, s.Width, h), card)
	fillRoundRect(out, image.Rect(u(12), ry+u(10), s.Width-u(56), h-u(10)), u(18), faint)
	drawText(out, image.Rect(u(24), ry+u(10), s.Width/2, h-u(10)), "Write a reply", ink, false, false)
	return out, nil
}

// String implements Step.
func (s Screenshot) String() string {
	return fmt.Sprintf("screenshot(w=%d,dark=%t,header=%s,padding=%t)", s.Width, s.Dark, hexColour(s.Header), s.Padding)
}

func darker(c color.NRGBA) color.NRGBA {
	return color.NRGBA{c.R * 3 / 4, c.G * 3 / 4, c.B * 3 / 4, 255}
}
