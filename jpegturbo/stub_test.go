//go:build !turbo || !cgo

package jpegturbo

import (
	"errors"
	"strings"
	"testing"
)

func TestUnavailable(t *testing.T) {
	if Available {
		t.Fatal("Available without libjpeg-turbo")
	}
	if _, err := Decode(strings.NewReader("\xff\xd8"), 1); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Decode: %v, want ErrUnavailable", err)
	}
	if _, err := DecodeBytes([]byte("\xff\xd8"), 1); !errors.Is(err, ErrUnavailable) {
		t.Errorf("DecodeBytes: %v, want ErrUnavailable", err)
	}
}
