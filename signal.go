// Package medialabel holds the domain types shared by every part of the
// service: signals (hash types) and their values, banks of known content,
// entries and matches. Adapters for outside systems (the SQLite store, the
// HTTP API, the ONNX runtime) live in packages of their own and speak in
// these types.
package medialabel

import (
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"
)

// Signal names a kind of hash, as it is written in text ("pdq", "phash"...).
type Signal string

// The signals medialabel computes.
const (
	PDQ    Signal = "pdq"    // Meta PDQ, 256 bits
	PHash  Signal = "phash"  // goimagehash perception hash, 64 bits
	DHash  Signal = "dhash"  // goimagehash difference hash, 64 bits
	AHash  Signal = "ahash"  // goimagehash average hash, 64 bits
	MD5    Signal = "md5"    // MD5 of the file's bytes
	SHA256 Signal = "sha256" // SHA-256 of the file's bytes
)

// AllSignals lists every known signal in a stable order.
func AllSignals() []Signal { return []Signal{PDQ, PHash, DHash, AHash, MD5, SHA256} }

// ParseSignal returns the signal named s. Case and surrounding space are
// ignored; ThreatExchange names such as "HASH_PDQ" and "pdq_hash" are
// accepted too.
func ParseSignal(s string) (Signal, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	n = strings.TrimPrefix(n, "hash_")
	n = strings.TrimSuffix(n, "_hash")
	for _, sig := range AllSignals() {
		if n == string(sig) {
			return sig, nil
		}
	}
	return "", fmt.Errorf("unknown signal %q (known: pdq, phash, dhash, ahash, md5, sha256)", truncate(s, 40))
}

// Bits is the length of the signal's value in bits.
func (s Signal) Bits() int {
	switch s {
	case PDQ, SHA256:
		return 256
	case PHash, DHash, AHash:
		return 64
	case MD5:
		return 128
	}
	return 0
}

// Perceptual reports whether nearby values of the signal mean similar
// pictures, so that a Hamming distance threshold makes sense. The
// cryptographic signals only ever match exactly.
func (s Signal) Perceptual() bool {
	switch s {
	case PDQ, PHash, DHash, AHash:
		return true
	}
	return false
}

// Hash is one value of one signal.
type Hash struct {
	Signal Signal
	Value  []byte // Bits()/8 bytes, big-endian as the hex form reads
}

// ParseHash parses "SIGNAL:HEX".
func ParseHash(s string) (Hash, error) {
	sig, hx, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Hash{}, fmt.Errorf("hash %q: want SIGNAL:HEX, e.g. pdq:%s", truncate(s, 80), strings.Repeat("0", 64))
	}
	signal, err := ParseSignal(sig)
	if err != nil {
		return Hash{}, err
	}
	return ParseHex(signal, hx)
}

// ParseHex parses the hex text of a value of signal.
func ParseHex(signal Signal, hx string) (Hash, error) {
	hx = strings.TrimSpace(hx)
	want := signal.Bits() / 4
	if want == 0 {
		return Hash{}, fmt.Errorf("unknown signal %q", signal)
	}
	if len(hx) != want {
		return Hash{}, fmt.Errorf("%s hash %q: want %d hex characters, got %d", signal, truncate(hx, 80), want, len(hx))
	}
	v, err := hex.DecodeString(hx)
	if err != nil {
		return Hash{}, fmt.Errorf("%s hash %q: not hexadecimal", signal, truncate(hx, 80))
	}
	return Hash{Signal: signal, Value: v}, nil
}

// Hex is the value as lowercase hexadecimal.
func (h Hash) Hex() string { return hex.EncodeToString(h.Value) }

// String is the "SIGNAL:HEX" form.
func (h Hash) String() string { return string(h.Signal) + ":" + h.Hex() }

// IsZero reports whether h holds no value.
func (h Hash) IsZero() bool { return h.Signal == "" && len(h.Value) == 0 }

// Distance is the Hamming distance between two values of the same signal.
func Distance(a, b Hash) (int, error) {
	if a.Signal != b.Signal || len(a.Value) != len(b.Value) {
		return 0, fmt.Errorf("cannot compare %s with %s", a.Signal, b.Signal)
	}
	d := 0
	for i := range a.Value {
		d += bits.OnesCount8(a.Value[i] ^ b.Value[i])
	}
	return d, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
