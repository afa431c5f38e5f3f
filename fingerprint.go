package medialabel

// A Fingerprint is what medialabel computes from one image file: its
// format and size, and the requested signals, all from one decode.
type Fingerprint struct {
	Format string // "jpeg", "png", "gif", "webp", "bmp", "tiff"
	Width  int
	Height int
	// Hashes holds the requested signals, in the order they were asked for.
	Hashes []Hash
	// PDQQuality is PDQ's quality score (0-100); meaningful only when
	// Hashes holds a PDQ hash.
	PDQQuality int
	// Dihedral holds the PDQ hashes of the seven rotations and mirrors
	// (keyed by transform, Original excluded), when they were asked for.
	Dihedral map[Transform]Hash
}

// Hash returns the fingerprint's value of signal s.
func (f Fingerprint) Hash(s Signal) (Hash, bool) {
	for _, h := range f.Hashes {
		if h.Signal == s {
			return h, true
		}
	}
	return Hash{}, false
}
