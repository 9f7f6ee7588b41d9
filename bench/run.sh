#!/usr/bin/env bash
# make bench: the micro-benchmarks, the end-to-end comparison (direct,
# sandgate with file and Vault secrets, mitmproxy, Squid; HTTP/2, WebSocket,
# scrubbing and fairness shapes on direct and sandgate) and CPU profiles
# of sandgate under load; writes bench/results/ and BENCHMARKS.md.
# About 20 minutes on 2 cores. Settings (environment):
#   BENCH_ROUNDS (5: whole runs on a shared machine differ by 10% and more), BENCH_DURATION (8s), BENCH_CONCURRENCY (16),
#   BENCH_SANDBOXES (10000), BENCH_SYSTEMS (all), BENCH_SHAPES (all: keepalive,newconn,h2-16,h2-100,ws,scrub,fair),
#   BENCH_PROFILE (1), BENCH_MICRO (1; 0 skips the micro-benchmarks),
#   BENCH_STATE (1; 0 skips bench/statebench: creation with bolt and memory,
#   10,000 sandboxes restored from bolt and etcd, propagation across three gateways)
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
SHAPES=${BENCH_SHAPES:-keepalive,newconn,h2-16,h2-100,ws,scrub,fair}
PROFILE=${BENCH_PROFILE:-1}
MICRO=${BENCH_MICRO:-1}
STATE=${BENCH_STATE:-1}

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

micro=(-run '^$' -bench '^(BenchmarkHandlerCall|BenchmarkListMatch100|BenchmarkNew|BenchmarkLeafMint|BenchmarkLeafCached)$'
	-benchmem -count 3 ./engine ./engine/hostpat ./ca)
if [[ $MICRO == 1 ]]; then
	echo "bench: micro-benchmarks"
	$GO test "${micro[@]}" | tee "$OUT/micro.txt"
	# The shipped inject_header handler with 1 to 32 calls in flight (each
	# holding its Lua state through a simulated fetch): B/op shows whether Lua
	# states are reused under concurrency. Its time/op is wall time, mostly sleep.
	SANDGATE_BIN=$(realpath "$BIN") $GO test -run '^$' -bench '^BenchmarkHandlerInFlight$' -benchmem -count 1 ./bench | tee -a "$OUT/micro.txt"
else
	echo "bench: micro-benchmarks skipped (BENCH_MICRO=0)"
	: >"$OUT/micro.txt"
fi

echo "bench: end to end ($ROUNDS rounds x $DURATION per system and shape; shapes $SHAPES)"
profile_dir=
if [[ $PROFILE == 1 ]]; then profile_dir="$tmp/profile"; mkdir -p "$profile_dir"; fi
timeout 40m "$tmp/compare" -sandgate "$BIN" -loadgen "$tmp/loadgen" -scripts scripts -out "$OUT/results.json" \
	-rounds "$ROUNDS" -d "$DURATION" -c "$CONC" -sandboxes "$SANDBOXES" -systems "$SYSTEMS" -shapes "$SHAPES" \
	${profile_dir:+-profile "$profile_dir"} 2>&1 | tee "$OUT/compare.log"

# The top of each profile compare took: under the keep-alive load (cpu.pprof
# or perf.data) and, when h2-16 ran, under it (cpu-h2-16.pprof, perf-h2-16.data).
profile_top() { # file suffix, what the load was
	local pprof=$profile_dir/cpu$1.pprof perf=$profile_dir/perf$1.data
	if [[ -s $pprof ]]; then
		echo "go tool pprof -top (flat), sandgate under $2"
		$GO tool pprof -top -nodecount=30 "$BIN" "$pprof" 2>/dev/null
		echo; echo "go tool pprof -top -cum, sandgate under $2"
		$GO tool pprof -top -cum -nodecount=30 "$BIN" "$pprof" 2>/dev/null
	elif [[ -s $perf ]]; then
		echo "perf report (self), sandgate under $2 (no /debug/pprof on the admin API)"
		perf report -i "$perf" --stdio --no-children --sort symbol -g none --percent-limit 0.7 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45
		echo; echo "perf report (with children: inclusive), sandgate under $2"
		perf report -i "$perf" --stdio --children --sort symbol -g none --percent-limit 3 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45
	fi
}
top="$OUT/profile-top.txt"
rm -f "$top"
if [[ -n $profile_dir ]]; then
	{ profile_top "" "the keep-alive load"
	  if [[ -s $profile_dir/cpu-h2-16.pprof || -s $profile_dir/perf-h2-16.data ]]; then
		echo; echo; profile_top -h2-16 "the HTTP/2 load (16 streams on one connection)"
	  fi; } >"$top"
	[[ -s $top ]] || rm -f "$top"
fi

"$tmp/report" -results "$OUT/results.json" -micro "$OUT/micro.txt" -analysis bench/analysis.md ${profile_dir:+-profile "$top"} \
	-micro-cmd "go test -run '^\$' -bench '${micro[3]}' -benchmem -count 3 ./engine ./engine/hostpat ./ca; go test -run '^\$' -bench '^BenchmarkHandlerInFlight\$' -benchmem -count 1 ./bench" -out BENCHMARKS.md

# The state store: sandboxes that survive a restart (bolt) and a fleet (etcd).
if [[ $STATE == 1 ]]; then
	$GO run ./bench/statebench -json "$OUT/statebench.json" | grep -v '^{' >"$OUT/statebench.txt"
	{ echo
	  echo "## The state store (bench/statebench)"
	  echo
	  echo "Real gateways built from this checkout and a real etcd on loopback: sandbox creation"
	  echo "(CA, seal, store; bolt's commit and sync included) with bolt next to memory, one at a time"
	  echo "and 16 at once; 10,000 sandboxes restored at start from bolt and from etcd (the gateway's"
	  echo "load time, start to serving, RSS); a change made through one gateway of three until the"
	  echo "other two show it. Targets: creation p50 under 5 ms with the sync; 10,000 restored under"
	  echo "2 s from bolt and 3 s from etcd; RSS with 10,000 under 200 MB; propagation p99 under"
	  echo "200 ms. Command: \`go run ./bench/statebench\` (raw data in bench/results/statebench.json)."
	  echo
	  echo '```'
	  cat "$OUT/statebench.txt"
	  echo '```'; } >>BENCHMARKS.md
fi
echo "bench: wrote BENCHMARKS.md"
