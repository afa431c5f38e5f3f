package jpegscale

import (
	"bytes"
	"os"
	"testing"
)

func BenchmarkIDCT4(b *testing.B) {
	var qt block
	for i := range qt {
		qt[i] = int32(2 + i%7)
	}
	blocks := make([]block, 1024)
	for i := range blocks {
		blocks[i][0] = int32(i % 50)
		blocks[i][1] = int32(i % 3)
		blocks[i][8] = int32(i % 5)
		blocks[i][9] = int32(i%7) - 3
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range blocks {
			blk := blocks[i]
			idctReduced(&blk, &qt, 4)
		}
	}
}

func benchDecode(b *testing.B, denom int) {
	data, err := os.ReadFile("../../testdata/photos/debian-mate-backgrounds/Aqua.jpg")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data), denom); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFull(b *testing.B)    { benchDecode(b, 1) }
func BenchmarkDecodeHalf(b *testing.B)    { benchDecode(b, 2) }
func BenchmarkDecodeQuarter(b *testing.B) { benchDecode(b, 4) }
func BenchmarkDecodeEighth(b *testing.B)  { benchDecode(b, 8) }
