//go:build race

package fingerprint_test

// raceEnabled reports whether the tests run under the race detector, which
// makes decoding about ten times slower; the data-driven acceptance tests
// then check a sample of their files (see sampled).
const raceEnabled = true
