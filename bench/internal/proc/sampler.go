package proc

import (
	"sync"
	"time"
)

// Sampler records the peak of a tree's summed VmRSS while it runs.
type Sampler struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak uint64
}

// Sample reads the tree of pid every interval until Stop.
func Sample(pid int, interval time.Duration) *Sampler {
	s := &Sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop(pid, interval)
	return s
}

func (s *Sampler) loop(pid int, interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.observe(Mem(pid).RSS)
		select {
		case <-s.stop:
			s.observe(Mem(pid).RSS)
			return
		case <-t.C:
		}
	}
}

func (s *Sampler) observe(rss uint64) {
	s.mu.Lock()
	s.peak = max(s.peak, rss)
	s.mu.Unlock()
}

// Stop ends the sampling and returns the peak in bytes.
func (s *Sampler) Stop() uint64 {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}
