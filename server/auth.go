package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
	"unicode"
)

// A Role is what an API key may do.
type Role string

// The roles an API key can have.
const (
	// RoleLabel may call every read-only endpoint: label, hash, match,
	// classify, and listing banks and entries.
	RoleLabel Role = "label"
	// RoleAdmin may do everything RoleLabel may, and change banks.
	RoleAdmin Role = "admin"
)

// allows reports whether a key of role r may make a call needing need.
func (r Role) allows(need Role) bool {
	return r == RoleAdmin || r == need
}

// An APIKey is one configured key and its role.
type APIKey struct {
	Role Role
	Key  string
}

// Minimum and maximum lengths of a key, in bytes.
const (
	minKeyLen = 16
	maxKeyLen = 512
)

// ParseAPIKeys parses keys written as ROLE:KEY, separated by commas or new
// lines. Blank lines and lines starting with # are skipped. Keys must be
// at least 16 printable, non-space ASCII characters and must not repeat.
func ParseAPIKeys(s string) ([]APIKey, error) {
	var keys []APIKey
	seen := map[string]bool{}
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, item := range strings.Split(line, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			k, err := parseAPIKey(item)
			if err != nil {
				return nil, fmt.Errorf("api keys, line %d: %w", i+1, err)
			}
			if seen[k.Key] {
				return nil, fmt.Errorf("api keys, line %d: a key is listed twice", i+1)
			}
			seen[k.Key] = true
			keys = append(keys, k)
		}
	}
	return keys, nil
}

func parseAPIKey(item string) (APIKey, error) {
	role, key, ok := strings.Cut(item, ":")
	if !ok {
		return APIKey{}, fmt.Errorf("want ROLE:KEY with ROLE label or admin")
	}
	r := Role(strings.ToLower(strings.TrimSpace(role)))
	if r != RoleLabel && r != RoleAdmin {
		return APIKey{}, fmt.Errorf("unknown role %q (want label or admin)", truncate(role, 20))
	}
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return APIKey{}, fmt.Errorf("%s key: want %d to %d characters, got %d", r, minKeyLen, maxKeyLen, len(key))
	}
	for _, c := range key {
		if c > unicode.MaxASCII || !unicode.IsPrint(c) || c == ' ' {
			return APIKey{}, fmt.Errorf("%s key: only printable ASCII without spaces", r)
		}
	}
	return APIKey{Role: r, Key: key}, nil
}

// keyring checks bearer tokens in constant time. It compares SHA-256
// digests, so neither the keys' contents nor their lengths leak through
// timing.
type keyring struct {
	digests [][sha256.Size]byte
	roles   []Role
}

func newKeyring(keys []APIKey) *keyring {
	kr := &keyring{}
	for _, k := range keys {
		kr.digests = append(kr.digests, sha256.Sum256([]byte(k.Key)))
		kr.roles = append(kr.roles, k.Role)
	}
	return kr
}

func (kr *keyring) empty() bool { return len(kr.digests) == 0 }

// lookup returns the role of token; it looks at every key whatever the
// outcome.
func (kr *keyring) lookup(token string) (Role, bool) {
	d := sha256.Sum256([]byte(token))
	var role Role
	found := 0
	for i := range kr.digests {
		if subtle.ConstantTimeCompare(d[:], kr.digests[i][:]) == 1 {
			role = kr.roles[i]
			found = 1
		}
	}
	return role, found == 1
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
