//go:build !linux

package index

// adviseHuge does nothing here: the hint that lookups are faster with
// huge pages (see the Linux version) is given on Linux only.
func adviseHuge[T any](s []T) {}
