package index

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on the platforms that
// have them (x86-64, and arm64 with 4 KiB pages).
const hugePage = 2 << 20

// adviseHuge asks the kernel to back s's memory with huge pages where it
// is not yet touched (a fresh allocation). The tables and vectors are read
// at random, a cache miss on every read: with 4 KiB pages most of those
// also miss the TLB, and in a virtual machine a TLB miss costs several
// more memory reads. The advice covers the whole huge pages that s
// overlaps, since the kernel maps only aligned ones: memory of other
// objects next to s may get huge pages too, which changes nothing else.
// It is only advice: where the system has transparent huge pages off, or
// on "never", nothing happens.
func adviseHuge[T any](s []T) {
	var zero T
	n := uintptr(cap(s)) * unsafe.Sizeof(zero)
	if n < hugePage {
		return
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	lo := p &^ (hugePage - 1)
	hi := (p + n + hugePage - 1) &^ (hugePage - 1)
	syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, syscall.MADV_HUGEPAGE)
}
