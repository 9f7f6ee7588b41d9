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
}

// summarize groups rounds by system and shape.
func summarize(rounds []Round) map[[2]string]*Summary {
	groups := map[[2]string][]Round{}
	for _, r := range rounds {
		k := [2]string{r.System, r.Shape}
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
		out[k] = s
	}
	return out
}
