package main

// Summary is one system in one shape over all its rounds: medians of the
// rates, latencies and CPU, sums of requests and errors, the highest peak
// RSS.
type Summary struct {
	System, Shape  string
	Rounds         int
	RPS, P50, P99  float64
	CPUReq, AuxCPU float64 // ms per request (AuxCPU: the secrets backend's)
	SysReq         float64 // ms per request of CPUReq spent in the kernel
	LoadReq        float64 // ms per request of the load generator and the upstream
	Requests       int
	Errors         int
	WarmupErrors   int
	PeakRSS        uint64
	PerRound       []float64 // req/s of each round, in order
	TLS            string
	Failures       []string
	Samples        []string

	// The newer shapes' figures: medians but for the counts.
	MBps, CPUMB      float64 // body MB (10^6 bytes) per second; proxy CPU ms per MB
	Cores            float64 // proxy CPU in cores while counting
	Conns            int     // most connections a round's client opened
	Proto, Upstream  string  // ALPN the client negotiated; protocol the upstream was spoken to in
	Redacted, Intact int     // bodies whose values came as [redacted], as themselves
	Flood            *FloodSummary
}

// FloodSummary is what the flooding sandbox's load measured.
type FloodSummary struct {
	RPS              float64
	Requests, Errors int
	Samples          []string
}

// summarize groups rounds by system and shape.
func summarize(rounds []Round) map[[2]string]*Summary {
	groups := map[[2]string][]Round{}
	for _, r := range rounds {
		k := [2]string{r.Key(), r.Shape}
		groups[k] = append(groups[k], r)
	}
	out := map[[2]string]*Summary{}
	for k, rs := range groups {
		s := &Summary{System: k[0], Shape: k[1], Rounds: len(rs)}
		var rps, p50, p99, cpu, sys, aux, load []float64
		for _, r := range rs {
			if r.Failure != "" {
				s.Failures = append(s.Failures, r.Failure)
			}
			s.Requests += r.Load.Requests
			s.Errors += r.Load.Errors
			s.WarmupErrors += r.Load.WarmupErrors
			s.PeakRSS = max(s.PeakRSS, r.PeakRSS)
			s.PerRound = append(s.PerRound, r.Load.RPS)
			s.Samples = append(s.Samples, r.Load.ErrorSamples...)
			if s.TLS == "" {
				s.TLS = r.Load.TLS
			}
			rps, p50, p99 = append(rps, r.Load.RPS), append(p50, r.Load.P50), append(p99, r.Load.P99)
			if r.Load.Requests > 0 {
				cpu = append(cpu, r.CPUReq)
				sys = append(sys, r.SysCPUms/float64(r.Load.Requests))
				aux = append(aux, r.AuxCPU/float64(r.Load.Requests))
				load = append(load, r.LoadCPU/float64(r.Load.Requests))
			}
		}
		s.RPS, s.P50, s.P99 = median(rps), median(p50), median(p99)
		s.CPUReq, s.SysReq, s.AuxCPU, s.LoadReq = median(cpu), median(sys), median(aux), median(load)
		s.addNewer(rs)
		out[k] = s
	}
	return out
}

// addNewer fills the figures of the newer shapes.
func (s *Summary) addNewer(rs []Round) {
	var mbps, cpumb, cores, frps []float64
	for _, r := range rs {
		l := r.Load
		s.Conns = max(s.Conns, l.Conns)
		s.Redacted += l.Redacted
		s.Intact += l.Intact
		if s.Proto == "" {
			s.Proto, s.Upstream = l.Proto, l.UpstreamProto
		}
		if l.Seconds > 0 {
			cores = append(cores, r.CPUms/1000/l.Seconds)
		}
		if mb := float64(l.Bytes) / 1e6; mb > 0 && l.Seconds > 0 {
			mbps, cpumb = append(mbps, mb/l.Seconds), append(cpumb, r.CPUms/mb)
		}
		if f := r.Flood; f != nil {
			if s.Flood == nil {
				s.Flood = &FloodSummary{}
			}
			s.Flood.Requests += f.Requests
			s.Flood.Errors += f.Errors
			s.Flood.Samples = append(s.Flood.Samples, f.ErrorSamples...)
			frps = append(frps, f.RPS)
		}
	}
	s.MBps, s.CPUMB, s.Cores = median(mbps), median(cpumb), median(cores)
	if s.Flood != nil {
		s.Flood.RPS = median(frps)
	}
}
