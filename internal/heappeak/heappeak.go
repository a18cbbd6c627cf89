// Package heappeak samples the Go heap for benchmarks: the highest live
// heap seen while some work runs.
package heappeak

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Watch starts sampling the live heap every interval; the returned
// function stops and gives the highest value seen, in bytes.
func Watch(interval time.Duration) (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(interval):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}
