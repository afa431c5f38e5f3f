package hashlist

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// list returns n distinct lines of format f.
func list(f Format, n int) []byte {
	var b bytes.Buffer
	for i := range n {
		hx := fmt.Sprintf("%064x", uint64(i)*0x9e3779b97f4a7c15)
		if f == TE {
			fmt.Fprintf(&b, "pdq %s\n", hx)
		} else {
			fmt.Fprintf(&b, `{"path":"img/%d.jpg","format":"jpeg","width":640,"height":480,"pdq":"%s","pdq_quality":93,"phash":"%s","md5":"%s"}`+"\n", i, hx, hx[:16], hx[:32])
		}
	}
	return b.Bytes()
}

// BenchmarkRead measures reading a list (ns/op is per line).
func BenchmarkRead(b *testing.B) {
	for _, f := range []Format{TE, JSONL} {
		b.Run(string(f), func(b *testing.B) {
			data := list(f, 10000)
			b.SetBytes(int64(len(data)) / 10000)
			b.ResetTimer()
			for n := 0; n < b.N; {
				r := NewReader(bytes.NewReader(data))
				for n < b.N {
					if _, err := r.Read(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
		})
	}
}

// BenchmarkWrite measures writing records (ns/op is per record).
func BenchmarkWrite(b *testing.B) {
	for _, f := range []Format{TE, JSONL} {
		b.Run(string(f), func(b *testing.B) {
			recs, _, err := readAll(string(list(JSONL, 1000)))
			if err != nil {
				b.Fatal(err)
			}
			w, _ := NewWriter(io.Discard, f)
			b.ResetTimer()
			for i := range b.N {
				if err := w.Write(recs[i%len(recs)]); err != nil {
					b.Fatal(err)
				}
			}
			w.Flush()
		})
	}
}
