package imagefile

import (
	"bytes"
	"unicode/utf8"
)

// Detect names the format of the image in data from its first bytes. It
// returns an error wrapping ErrUnsupported for anything but the six decoded
// formats, naming the format when it recognises it (SVG, HEIC, AVIF, PDF,
// text...), and an error wrapping ErrCorrupt for empty input.
func Detect(data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", &Error{Kind: ErrCorrupt, Detail: "empty file"}
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return JPEG, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return GIF, nil
	case len(data) >= 12 && bytes.HasPrefix(data, []byte("RIFF")) && string(data[8:12]) == "WEBP":
		return WebP, nil
	case bytes.HasPrefix(data, []byte("BM")) && len(data) >= 14:
		return BMP, nil
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return TIFF, nil
	}
	return "", &Error{Kind: ErrUnsupported, Detail: describe(data)}
}

// describe names a format the package does not decode, for the error.
func describe(data []byte) string {
	head := data
	if len(head) > 512 {
		head = head[:512]
	}
	if len(data) >= 12 && string(data[4:8]) == "ftyp" {
		switch brand := string(data[8:12]); brand {
		case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1":
			return "HEIF/HEIC"
		case "avif", "avis":
			return "AVIF"
		default:
			return "ISO media (" + printable(brand) + ")"
		}
	}
	trimmed := bytes.TrimLeft(head, "\xef\xbb\xbf \t\r\n")
	switch {
	case bytes.HasPrefix(data, []byte("%PDF")):
		return "PDF"
	case bytes.HasPrefix(data, []byte{0, 0, 1, 0}):
		return "ICO"
	case bytes.HasPrefix(data, []byte("8BPS")):
		return "Photoshop PSD"
	case bytes.HasPrefix(data, []byte{0xff, 0x0a}), bytes.HasPrefix(data, []byte("\x00\x00\x00\x0cJXL ")):
		return "JPEG XL"
	case bytes.HasPrefix(data, []byte("RIFF")):
		return "RIFF (not WebP)"
	case bytes.Contains(bytes.ToLower(head), []byte("<svg")):
		return "SVG"
	case bytes.HasPrefix(trimmed, []byte("<")):
		return "XML or HTML"
	case utf8.Valid(head) && !bytes.ContainsRune(head, 0):
		return "text"
	}
	return "not JPEG, PNG, GIF, WebP, BMP or TIFF"
}

func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
