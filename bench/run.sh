#!/usr/bin/env bash
# make bench: the micro-benchmarks, the end-to-end comparison (direct,
# sandgate with file and Vault secrets, mitmproxy, Squid) and a CPU profile
# of sandgate under load; writes bench/results/ and BENCHMARKS.md.
# About 12 minutes on 2 cores. Settings (environment):
#   BENCH_ROUNDS (5: whole runs on a shared machine differ by 10% and more), BENCH_DURATION (8s), BENCH_CONCURRENCY (16),
#   BENCH_SANDBOXES (10000), BENCH_SYSTEMS (all), BENCH_PROFILE (1)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
BIN=${SANDGATE_BIN:-bin/sandgate}
OUT=bench/results
ROUNDS=${BENCH_ROUNDS:-5}
DURATION=${BENCH_DURATION:-8s}
CONC=${BENCH_CONCURRENCY:-16}
SANDBOXES=${BENCH_SANDBOXES:-10000}
SYSTEMS=${BENCH_SYSTEMS:-direct,sandgate-file,sandgate-vault,mitmproxy,squid-stare,squid-bump}
PROFILE=${BENCH_PROFILE:-1}

# What the comparison runs: mitmproxy, and a Squid built with OpenSSL (the
# plain squid package cannot bump TLS).
pkgs=()
command -v mitmdump >/dev/null || pkgs+=(mitmproxy)
{ command -v squid >/dev/null && squid -v | grep -q -- --with-openssl; } || pkgs+=(squid-openssl)
command -v openssl >/dev/null || pkgs+=(openssl)
if ((${#pkgs[@]})); then
	echo "bench: installing ${pkgs[*]}"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}"
fi
[[ -x "$BIN" ]] || { echo "bench: $BIN not found: run make build" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT"
$GO build -o "$tmp/loadgen" ./bench/loadgen
$GO build -o "$tmp/compare" ./bench/compare
$GO build -o "$tmp/report" ./bench/report

echo "bench: micro-benchmarks"
micro=(-run '^$' -bench '^(BenchmarkHandlerCall|BenchmarkListMatch100|BenchmarkNew|BenchmarkLeafMint|BenchmarkLeafCached)$'
	-benchmem -count 3 ./engine ./engine/hostpat ./ca)
$GO test "${micro[@]}" | tee "$OUT/micro.txt"
# The shipped inject_header handler with 1 to 32 calls in flight (each
# holding its Lua state through a simulated fetch): B/op shows whether Lua
# states are reused under concurrency. Its time/op is wall time, mostly sleep.
SANDGATE_BIN=$(realpath "$BIN") $GO test -run '^$' -bench '^BenchmarkHandlerInFlight$' -benchmem -count 1 ./bench | tee -a "$OUT/micro.txt"

echo "bench: end to end ($ROUNDS rounds x $DURATION per system and shape)"
profile_dir=
if [[ $PROFILE == 1 ]]; then profile_dir="$tmp/profile"; mkdir -p "$profile_dir"; fi
timeout 40m "$tmp/compare" -sandgate "$BIN" -loadgen "$tmp/loadgen" -scripts scripts -out "$OUT/results.json" \
	-rounds "$ROUNDS" -d "$DURATION" -c "$CONC" -sandboxes "$SANDBOXES" -systems "$SYSTEMS" \
	${profile_dir:+-profile "$profile_dir"} 2>&1 | tee "$OUT/compare.log"

top="$OUT/profile-top.txt"
rm -f "$top"
if [[ -s $profile_dir/cpu.pprof ]]; then
	{ echo "go tool pprof -top (flat), sandgate under keep-alive load"
	  $GO tool pprof -top -nodecount=30 "$BIN" "$profile_dir/cpu.pprof" 2>/dev/null
	  echo; echo "go tool pprof -top -cum"
	  $GO tool pprof -top -cum -nodecount=30 "$BIN" "$profile_dir/cpu.pprof" 2>/dev/null; } >"$top"
elif [[ -s $profile_dir/perf.data ]]; then
	{ echo "perf report (self), sandgate under keep-alive load (no /debug/pprof on the admin API)"
	  perf report -i "$profile_dir/perf.data" --stdio --no-children --sort symbol -g none --percent-limit 0.7 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45
	  echo; echo "perf report (with children: inclusive)"
	  perf report -i "$profile_dir/perf.data" --stdio --children --sort symbol -g none --percent-limit 3 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45; } >"$top"
fi

"$tmp/report" -results "$OUT/results.json" -micro "$OUT/micro.txt" -analysis bench/analysis.md ${profile_dir:+-profile "$top"} \
	-micro-cmd "go test -run '^\$' -bench '${micro[3]}' -benchmem -count 3 ./engine ./engine/hostpat ./ca; go test -run '^\$' -bench '^BenchmarkHandlerInFlight\$' -benchmem -count 1 ./bench" -out BENCHMARKS.md
echo "bench: wrote BENCHMARKS.md"
