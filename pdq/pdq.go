package pdq

import (
	"fmt"
	"math"
	"slices"
)

// minDim is the reference's MIN_HASHABLE_DIM: images with a side shorter
// than this hash to all zeros with quality 0.
const minDim = 5

// A Hasher computes PDQ hashes. It keeps its working buffers between
// calls, so that hashing many images allocates nothing after the first.
// A Hasher is not safe for concurrent use; the zero value is ready to use.
type Hasher struct {
	b64    [64 * 64]float32 // the blurred and decimated image
	b16x64 [16 * 64]float32 // first DCT stage
	b16    [16 * 16]float32 // the 16x16 DCT
	aux    [16 * 16]float32 // a dihedral variant of b16
	sorted [16 * 16]float32

	rowsIdx, colsIdx [64]int          // the sampled rows and columns
	wr               int              // the window along rows
	c1               [group][]float32 // rows of the first column pass
	nc1              int              // how many rows c1 holds
	spare            []float32        // output for the unused rows of a group
	out64            []float32
	cb1, cb2         colBox
	rows             imageRows
	slice            sliceRows
}

// NewHasher returns a new Hasher.
func NewHasher() *Hasher {
	return new(Hasher)
}

// HashLuma returns the PDQ hash and quality of a width x height image
// given as row-major float32 luma (0-255), as the reference's
// pdqHash256FromFloatLuma computes it. A 64x64 image is taken as already
// downsampled, without filtering, as in the reference. An image with a side
// under 5 pixels hashes to all zeros with quality 0. HashLuma panics if
// luma holds fewer than width*height values.
func (h *Hasher) HashLuma(luma []float32, width, height int) (Hash, int) {
	if width < minDim || height < minDim {
		return Hash{}, 0
	}
	checkLen(luma, width, height)
	if width == 64 && height == 64 {
		copy(h.b64[:], luma[:64*64])
	} else {
		h.slice = sliceRows{luma, width}
		h.downsample(&h.slice, width, height)
		h.slice.luma = nil
	}
	q := h.finish()
	return bitsAboveMedian(&h.b16, &h.sorted), q
}

// HashLumaDihedral returns the hashes of the eight rotations and flips of
// the image, and its quality, as the reference's
// pdqDihedralHash256esFromFloatLuma computes them. Unlike HashLuma, it
// filters a 64x64 image too (as the reference does), so for that size
// alone its Original hash may differ from HashLuma's in a few bits.
func (h *Hasher) HashLumaDihedral(luma []float32, width, height int) (Dihedral, int) {
	if width < minDim || height < minDim {
		return Dihedral{}, 0
	}
	checkLen(luma, width, height)
	h.slice = sliceRows{luma, width}
	h.downsample(&h.slice, width, height)
	h.slice.luma = nil
	q := h.finish()
	return h.dihedral(), q
}

func checkLen(luma []float32, width, height int) {
	if len(luma)/width < height {
		panic(fmt.Sprintf("pdq: luma has %d values, fewer than %dx%d", len(luma), width, height))
	}
}

// A rowSource returns row y (0 <= y < height) of an image's luma. The
// slice it returns is only read, and only until the next call.
type rowSource interface {
	row(y int) []float32
}

type sliceRows struct {
	luma  []float32
	width int
}

func (s sliceRows) row(y int) []float32 { return s.luma[y*s.width : (y+1)*s.width] }

// downsample fills b64 with the Jarosz-filtered and decimated image.
func (h *Hasher) downsample(src rowSource, width, height int) {
	h.wr = jaroszWindow(width, 64)
	wc := jaroszWindow(height, 64) // the window along columns

	// The reference's decimateFloat: sample centres, in double precision.
	for i := range 64 {
		h.rowsIdx[i] = int(((float64(i) + 0.5) * float64(height)) / 64)
		h.colsIdx[i] = int(((float64(i) + 0.5) * float64(width)) / 64)
	}

	for k := range h.c1 {
		h.c1[k] = grow(h.c1[k], width)
	}
	h.out64 = grow(h.out64, 64)
	h.cb1.reset(width, height, wc)
	h.cb2.reset(64, height, wc)
	h.nc1 = 0

	// The first row pass, group rows at a time, into the first column
	// pass, whose output rows gather in c1.
	h.spare = grow(h.spare, max(width, 64))
	var in, out [group][]float32
	for y := 0; y < height; y += group {
		g := min(group, height-y)
		for k := range group {
			if k < g {
				in[k], out[k] = src.row(y+k), h.cb1.slot(k)
			} else {
				// A short last group: filter the last row again, into
				// a spare row.
				in[k], out[k] = in[g-1], h.spare
			}
		}
		boxRow4(&in, &out, h.wr)
		for range g {
			if h.cb1.push(h.c1[h.nc1]) >= 0 {
				h.addC1()
			}
		}
	}
	for h.cb1.drain(h.c1[h.nc1]) >= 0 {
		h.addC1()
	}
	h.secondPass()
	for {
		o := h.cb2.nextDrain()
		if o < 0 {
			break
		}
		h.cb2.drain(h.wantRow(o))
		h.storeRow(o)
	}
}

// addC1 counts in the row of the first column pass just written to
// c1[nc1], and passes c1 on when it is full.
func (h *Hasher) addC1() {
	h.nc1++
	if h.nc1 == group {
		h.secondPass()
	}
}

// secondPass takes the nc1 rows in c1 through the second row pass, at the
// sampled columns only, and into the second column pass.
func (h *Hasher) secondPass() {
	n := h.nc1
	if n == 0 {
		return
	}
	h.nc1 = 0
	var in, out [group][]float32
	for k := range group {
		if k < n {
			in[k], out[k] = h.c1[k], h.cb2.slot(k)
		} else {
			in[k], out[k] = h.c1[n-1], h.spare
		}
	}
	boxRowSampled4(&in, h.colsIdx[:], &out, h.wr)
	for range n {
		o := h.cb2.nextOut()
		if o < 0 {
			h.cb2.push(nil)
			continue
		}
		h.cb2.push(h.wantRow(o))
		h.storeRow(o)
	}
}

// wantRow returns out64 if output row o of the filter is sampled, else
// nil.
func (h *Hasher) wantRow(o int) []float32 {
	if _, ok := slices.BinarySearch(h.rowsIdx[:], o); ok {
		return h.out64
	}
	return nil
}

// storeRow copies out64, row o of the filtered image at the sampled
// columns, into every row of b64 that samples it.
func (h *Hasher) storeRow(o int) {
	i, ok := slices.BinarySearch(h.rowsIdx[:], o)
	if !ok {
		return
	}
	for ; i < 64 && h.rowsIdx[i] == o; i++ {
		copy(h.b64[i*64:(i+1)*64], h.out64)
	}
}

// finish computes the quality of b64 and its 16x16 DCT into b16.
func (h *Hasher) finish() int {
	q := quality(&h.b64)
	dct64To16(&h.b64, &h.b16x64, &h.b16)
	return q
}

// quality is the reference's pdqImageDomainQualityMetric: the sum of the
// quantised vertical and horizontal gradients, scaled to 0-100.
func quality(b *[64 * 64]float32) int {
	sum := 0
	for i := range 63 {
		for j := range 64 {
			sum += absInt(gradient(b[i*64+j], b[(i+1)*64+j]))
		}
	}
	for i := range 64 {
		for j := range 63 {
			sum += absInt(gradient(b[i*64+j], b[i*64+j+1]))
		}
	}
	return min(sum/90, 100)
}

// gradient is the reference's int d = ((u - v) * 100) / 255, in float32
// and truncated toward zero.
func gradient(u, v float32) int {
	d := float32(float32(u-v)*100) / 255
	if d != d || d > math.MaxInt32 || d < math.MinInt32 {
		return 0 // not reachable from finite luma
	}
	return int(d)
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// dctMatrix is the reference's 16x64 DCT-II matrix without the DC row:
// element (i, j) is sqrt(2/64) * cos(pi/128 * (i+1) * (2j+1)), rounded to
// float32. It is computed once and never changed.
var dctMatrix = func() (d [16 * 64]float32) {
	scale := float64(float32(math.Sqrt(2.0 / 64)))
	for i := range 16 {
		for j := range 64 {
			d[i*64+j] = float32(scale * math.Cos((math.Pi/2.0/64)*float64(i+1)*float64(2*j+1)))
		}
	}
	return d
}()

// dct64To16 is the reference's dct64To16: B = D A Dt with T = D A, every
// sum accumulated in float32 in the order of k. The loops are reordered
// for memory access, which leaves each sum's order unchanged.
func dct64To16(a *[64 * 64]float32, t *[16 * 64]float32, b *[16 * 16]float32) {
	for i := range 16 {
		ti := (*[64]float32)(t[i*64 : (i+1)*64])
		*ti = [64]float32{}
		d := dctMatrix[i*64 : (i+1)*64]
		for k := range 64 {
			dk := d[k]
			ak := (*[64]float32)(a[k*64 : (k+1)*64])
			for j := range 64 {
				ti[j] += float32(dk * ak[j])
			}
		}
	}
	for i := range 16 {
		ti := (*[64]float32)(t[i*64 : (i+1)*64])
		for j := range 16 {
			dj := (*[64]float32)(dctMatrix[j*64 : (j+1)*64])
			var sum float32
			for k := range 64 {
				sum += float32(ti[k] * dj[k])
			}
			b[i*16+j] = sum
		}
	}
}

// bitsAboveMedian is the reference's pdqBuffer16x16ToBits: bit 16i+j is
// set when coefficient (i, j) is above the median of all 256. The
// reference's Torben median is the lower median, element 127 of the
// sorted values.
func bitsAboveMedian(b, scratch *[16 * 16]float32) Hash {
	*scratch = *b
	slices.Sort(scratch[:])
	median := scratch[127]
	var h Hash
	for k, v := range b {
		if v > median {
			h.setBit(k)
		}
	}
	return h
}

// dihedral returns the hashes of the eight transforms of the image whose
// DCT is in b16, as the reference's dct16OriginalTo* functions derive them.
func (h *Hasher) dihedral() Dihedral {
	var d Dihedral
	a, x := &h.b16, &h.aux
	d[Original] = bitsAboveMedian(a, &h.sorted)
	for t := Rotate90; t <= FlipMinus1; t++ {
		for i := range 16 {
			for j := range 16 {
				v := a[i*16+j]
				if dihedralNegate(t, i, j) {
					v = -v
				}
				if dihedralTranspose(t) {
					x[j*16+i] = v
				} else {
					x[i*16+j] = v
				}
			}
		}
		d[t] = bitsAboveMedian(x, &h.sorted)
	}
	return d
}

// dihedralTranspose reports whether transform t transposes the DCT.
func dihedralTranspose(t int) bool {
	switch t {
	case Rotate90, Rotate270, FlipPlus1, FlipMinus1:
		return true
	}
	return false
}

// dihedralNegate reports whether transform t negates coefficient (i, j)
// (before any transposition).
func dihedralNegate(t, i, j int) bool {
	switch t {
	case Rotate90, FlipY:
		return j&1 == 0
	case Rotate180, FlipMinus1:
		return (i+j)&1 == 1
	case Rotate270, FlipX:
		return i&1 == 0
	}
	return false
}
