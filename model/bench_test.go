package model

import (
	"context"
	"slices"
	"testing"
	"time"
)

// caption30 is a caption of 30 characters, Traditional and obfuscated.
const caption30 = "啲甲由又出嚟搞事，黃屍廢青真係好似曱甴咁，應該全部清走佢哋呀"

// BenchmarkClassify measures one caption of 30 characters in one
// goroutine, normalization, features, onnx-go and evidence included. It
// reports the median and 99th percentile latency.
func BenchmarkClassify(b *testing.B) {
	c := openShipped(b)
	ctx := context.Background()
	texts := []string{caption30}
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		t0 := time.Now()
		if _, err := c.Classify(ctx, texts); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkPlainGo is the baseline for BenchmarkClassify: the same
// features and weights, computed sparsely in plain Go without onnx-go.
func BenchmarkPlainGo(b *testing.B) {
	c := openShipped(b)
	for b.Loop() {
		_, _, x := c.pipe.Features(caption30)
		c.net.Predict(x)
	}
}

// BenchmarkClassifyParallel runs Classify from many goroutines on a pool
// of GOMAXPROCS instances; compare ns/op with BenchmarkClassify for the
// scaling with cores (-cpu 1,2).
func BenchmarkClassifyParallel(b *testing.B) {
	c, err := OpenDefault(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	texts := []string{caption30}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Classify(context.Background(), texts); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkOpen measures start-up: decoding the embedded model, building
// a pool of GOMAXPROCS instances and the self-check.
func BenchmarkOpen(b *testing.B) {
	for b.Loop() {
		if _, err := OpenDefault(context.Background(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
