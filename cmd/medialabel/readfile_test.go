package main

import (
	"path/filepath"
	"testing"

	"github.com/medialabel/medialabel/imagefile"
)

// BenchmarkReadImageFile reads a large photograph into a new buffer each
// time, as db add does.
func BenchmarkReadImageFile(b *testing.B) {
	path := filepath.Join("..", "..", "testdata", "photos", "debian-plasma-workspace-wallpapers", "Kite-2560x1600.jpg")
	for b.Loop() {
		data, err := readImageFile(imagefile.Decoder{}, path, nil)
		if err != nil || len(data) == 0 {
			b.Fatal(len(data), err)
		}
	}
}
