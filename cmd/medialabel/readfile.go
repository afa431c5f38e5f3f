package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/medialabel/medialabel/imagefile"
)

// maxKeptBuffer is the largest read buffer a worker keeps from one file
// to the next.
const maxKeptBuffer = 16 << 20

// readImageFile reads the file at path for decoding with dec, into buf's
// storage when it is large enough. A file over dec's byte limit is refused
// from its size, before it is read.
func readImageFile(dec imagefile.Decoder, path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	if st.Mode().IsRegular() {
		if st.Size() > dec.Limit() {
			return nil, &imagefile.Error{Kind: imagefile.ErrTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", st.Size(), dec.Limit())}
		}
		// Room for the whole file and the read that finds its end, so
		// that reading does not grow (and copy) the buffer.
		if need := int(st.Size()) + bytes.MinRead; cap(buf) < need {
			buf = make([]byte, 0, need)
		}
	}
	return dec.ReadAll(f, buf[:0])
}
