// Package bench holds sandgate's benchmark instrument: a load generator
// (bench/loadgen), the side-by-side comparison that drives sandgate,
// mitmproxy, Squid and a direct connection with the same scenario
// (bench/compare), the report writer (bench/report) and bench/run.sh, which
// `make bench` runs to write BENCHMARKS.md. The package itself only holds
// the smoke test that `go test ./...` runs: a few hundred requests through
// the real binary, checked for correctness, with no timing assertion.
package bench
