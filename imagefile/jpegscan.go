package imagefile

import "fmt"

// Limits on the scans (SOS segments) of a JPEG. Encoders write 1 scan
// (baseline) or about 10 (progressive; up to some 20 when optimised). The
// decoder's work grows with scans times pixels: without a limit, a file of
// a few kilobytes a scan can keep a worker busy for minutes (measured: 100
// empty scans over 8000x8000 took 10 s).
const (
	maxJPEGScans      = 100
	maxJPEGScanPixels = 4_000_000_000 // scans x pixels: 40 scans at 100 megapixels
)

// checkJPEGScans walks the JPEG's segments, skipping entropy-coded data,
// and refuses a file of pixels pixels with more scans than the limits. It
// only looks at markers: everything else is left to the decoder.
func checkJPEGScans(data []byte, pixels int64) error {
	scans := 0
	for i := 2; i+1 < len(data); {
		if data[i] != 0xff {
			i++ // inside entropy-coded data or padding
			continue
		}
		m := data[i+1]
		switch {
		case m == 0x00 || m == 0xff || (m >= 0xd0 && m <= 0xd7) || m == 0x01:
			// Stuffed byte, fill byte, restart marker or TEM: no length.
			i += 2
			continue
		case m == 0xd9: // EOI
			return nil
		}
		if i+3 >= len(data) {
			return nil
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if m == 0xda { // SOS
			scans++
			if scans > maxJPEGScans || int64(scans)*pixels > maxJPEGScanPixels {
				return &Error{Kind: ErrCorrupt, Format: JPEG, Detail: fmt.Sprintf("too many scans (%d or more) for %d pixels", scans, pixels)}
			}
		}
		i += 2 + n
	}
	return nil
}
