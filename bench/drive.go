package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Stats sums up the latencies of one kind of request.
type Stats struct {
	N, Errors     int
	P50, P90, P99 time.Duration
	// Wall is the time from the first request's start to the last's end.
	Wall time.Duration
	// FirstError is kept to say why requests failed.
	FirstError error
}

// PerSecond is the completed requests per second of wall time.
func (s Stats) PerSecond() float64 {
	if s.Wall <= 0 {
		return 0
	}
	return float64(s.N-s.Errors) / s.Wall.Seconds()
}

// sample collects latencies from concurrent requests.
type sample struct {
	mu    sync.Mutex
	lat   []time.Duration
	errs  int
	first error
	start time.Time
}

func newSample() *sample { return &sample{start: time.Now()} }

// time runs fn and keeps its latency, or its error.
func (s *sample) time(fn func() error) {
	t := time.Now()
	err := fn()
	d := time.Since(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs++
		if s.first == nil {
			s.first = err
		}
		return
	}
	s.lat = append(s.lat, d)
}

func (s *sample) stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	lat := slices.Clone(s.lat)
	slices.Sort(lat)
	st := Stats{N: len(lat) + s.errs, Errors: s.errs, Wall: time.Since(s.start), FirstError: s.first}
	if len(lat) > 0 {
		// Nearest rank: the smallest latency at or above the share.
		at := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
		st.P50, st.P90, st.P99 = at(0.50), at(0.90), at(0.99)
	}
	return st
}

// parallel runs fn for 0..n-1 on c goroutines and returns the wall time
// and the first error, with how many calls failed.
func parallel(n, c int, fn func(int) error) (time.Duration, error) {
	start := time.Now()
	work := make(chan int)
	var mu sync.Mutex
	var first error
	failed := 0
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for i := range work {
				if err := fn(i); err != nil {
					mu.Lock()
					failed++
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if first != nil {
		return time.Since(start), fmt.Errorf("%d of %d failed, the first: %w", failed, n, first)
	}
	return time.Since(start), nil
}

// timedParallel is parallel with each call's latency kept.
func timedParallel(n, c int, fn func(int) error) Stats {
	s := newSample()
	_, _ = parallel(n, c, func(i int) error {
		s.time(func() error { return fn(i) })
		return nil
	})
	return s.stats()
}

// paced starts fn(i) at a steady rate for the duration, each on its own
// goroutine whether or not the earlier ones have answered (an open loop:
// a slow answer does not slow the arrivals), and waits for all.
func paced(ctx context.Context, rate float64, d time.Duration, fn func(int) error) Stats {
	n := max(1, int(rate*d.Seconds()))
	s := newSample()
	var wg sync.WaitGroup
	for i := range n {
		at := s.start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(at)):
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() { s.time(func() error { return fn(i) }) })
	}
	wg.Wait()
	return s.stats()
}
