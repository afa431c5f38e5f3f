//go:build !unix

package matcher

import (
	"testing"
	"time"
)

// cpuTime is not measured on this system.
func cpuTime(t *testing.T) time.Duration { return 0 }
