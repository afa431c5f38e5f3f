//go:build race

package jpegscale

// raceEnabled reports whether the tests run under the race detector, which
// makes decoding about ten times slower; TestMatchesLibjpeg then checks one
// large photograph in several (see libjpegFiles).
const raceEnabled = true
