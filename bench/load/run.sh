#!/usr/bin/env bash
# The HTTP load test (run by hand, not in CI): the service in Release on loopback, driven by wrk.
#   bench/load/run.sh            # everything: about 4 min of load plus a 5-minute soak
#   SOAK=0 DURATION=10 bench/load/run.sh   # quicker, no soak
# Needs wrk (Debian: apt-get install wrk). Prints a Markdown table for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${PORT:-5400}            # the service
FHIR_PORT=${FHIR_PORT:-5401}  # the delayed FHIR server of the fallback runs
DURATION=${DURATION:-20}      # seconds per wrk run
WARMUP=${WARMUP:-60}          # seconds of load before the first measured run (tiered JIT settles in about a minute)
SOAK=${SOAK:-300}             # seconds of soak (0: none)
FHIR_DELAY_MS=${FHIR_DELAY_MS:-200}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "load: building (Release)" >&2
dotnet publish src/PttmHooks.Service -c Release -o "$work/service" --nologo -v quiet >/dev/null
dotnet build bench/PttmHooks.Benchmarks -c Release --nologo -v quiet >/dev/null
bench=bench/PttmHooks.Benchmarks/bin/Release/net10.0/PttmHooks.Benchmarks.dll
fhir="http://127.0.0.1:${FHIR_PORT}/fhir"
dotnet "$bench" requests "$work/requests" "$fhir" >&2

dotnet "$bench" fhir-server "$FHIR_PORT" "$FHIR_DELAY_MS" >"$work/fhir.log" 2>&1 &
pids+=($!)
# Development: authentication off (wrk cannot sign a fresh JWT per call; JWT validation has its own
# benchmark), logs as configured (Information, to a file).
ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS="http://127.0.0.1:${PORT}" \
  Cds__FhirServers__0="$fhir" Cds__Viewer__Enabled=false \
  bash -c 'cd "$1" && exec dotnet PttmHooks.Service.dll' _ "$work/service" >"$work/service.log" 2>&1 &
service=$!
pids+=($service)
url="http://127.0.0.1:${PORT}/cds-services/pttm-screening"
for _ in $(seq 1 60); do grep -q "FHIR server at" "$work/fhir.log" 2>/dev/null && break; sleep 1; done
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:${PORT}/health/live" >/dev/null 2>&1 && break; sleep 1; done
curl -sf "http://127.0.0.1:${PORT}/health/live" >/dev/null || { echo "load: the service did not start:" >&2; tail -20 "$work/service.log" >&2; exit 1; }

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$service/stat"; }
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$service/status"; }
# One call of each kind, checked, before any load: the card must be there.
for body in seed004 large-5000 fallback; do
  answer=$(curl -sf -H 'Content-Type: application/json' --data-binary @"$work/requests/$body.json" "$url")
  grep -q 'cytology' <<<"$answer" || { echo "load: $body.json did not get the cytology card: ${answer:0:300}" >&2; exit 1; }
done
rest=$(rss_mb)

# Runs wrk; prints "requests/s p50_ms p99_ms non2xx cpu_us_per_request" (the service's user+system CPU).
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 } printf "%.2f", v }'; }
run() {
  local connections=$1 seconds=$2; shift 2
  local threads=$(( connections < 2 ? 1 : 2 ))
  local out cpu0 cpu1
  cpu0=$(cpu_ticks)
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s bench/load/post.lua "$url" -- "$@")
  cpu1=$(cpu_ticks)
  echo "$out" >>"$work/wrk.log"
  local rps p50 p99 bad n
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out" | to_ms)
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out" | to_ms)
  bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  echo "$rps $p50 $p99 ${bad:-0} $(( (cpu1 - cpu0) * 1000000 / ticks / (n > 0 ? n : 1) ))"
}
peak=0
sample_rss() { while kill -0 "$service" 2>/dev/null; do r=$(rss_mb); echo "$r" >>"$work/rss"; sleep 1; done; }
sample_rss & pids+=($!)

row() { printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$@"; }
echo
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d); wrk beside the service; ${WARMUP} s of warm-up, then ${DURATION} s per run; commit $(git rev-parse --short HEAD)."
echo
row "request" "connections" "requests/s" "p50 ms" "p99 ms" "non-2xx" "service CPU µs/request"
row "---" "---:" "---:" "---:" "---:" "---:" "---:"
# Warm-up, not reported: tiered compilation is still recompiling hot methods for the first minute
# under load (the JIT was 9 % of CPU after 15 s, none after 60 s), so every path is run first.
run 16 "$WARMUP" "$work"/requests/samples/*.json "$work/requests/seed004.json" >/dev/null
run 1 10 "$work/requests/large-5000.json" >/dev/null
run 16 5 "$work/requests/fallback.json" >/dev/null
for c in 1 16 64; do
  read -r rps p50 p99 bad cpu < <(run "$c" "$DURATION" "$work/requests/seed004.json")
  row "seed004, full prefetch ($(( $(stat -c %s "$work/requests/seed004.json") / 1024 )) KB)" "$c" "$rps" "$p50" "$p99" "$bad" "$cpu"
done
loaded=$(sort -n "$work/rss" | tail -1)
read -r rps p50 p99 bad cpu < <(run 16 "$DURATION" "$work"/requests/samples/*.json)
row "all 18 samples in turn, full prefetch" 16 "$rps" "$p50" "$p99" "$bad" "$cpu"
# The fallback before the large chart: a collection of the heap the 5,000-resource calls grew
# (over 1 GB at 16 connections) put 0.6 s outliers into the fallback's p99 when it ran after them.
for c in 1 16; do
  read -r rps p50 p99 bad cpu < <(run "$c" "$DURATION" "$work/requests/fallback.json")
  row "no prefetch: 10 FHIR queries, each answered after ${FHIR_DELAY_MS} ms" "$c" "$rps" "$p50" "$p99" "$bad" "$cpu"
done
for c in 1 16; do
  read -r rps p50 p99 bad cpu < <(run "$c" "$DURATION" "$work/requests/large-5000.json")
  row "5,000 prefetched resources ($(( $(stat -c %s "$work/requests/large-5000.json") / 1024 )) KB)" "$c" "$rps" "$p50" "$p99" "$bad" "$cpu"
done
loaded=$(sort -n "$work/rss" | tail -1)
echo
echo "Resident memory: at rest ${rest} MB; peak under load ${loaded} MB."
if [ "$SOAK" -gt 0 ]; then
  : >"$work/rss"
  start=$(rss_mb)
  read -r rps p50 p99 bad cpu < <(run 16 "$SOAK" "$work"/requests/samples/*.json "$work/requests/seed004.json" "$work/requests/fallback.json")
  end=$(rss_mb)
  max=$(sort -n "$work/rss" | tail -1)
  echo "Soak: ${SOAK} s at 16 connections (samples, seed004 and the fallback in turn): ${rps} requests/s, p99 ${p99} ms, non-2xx ${bad}; resident memory ${start} MB at the start, ${max} MB at most, ${end} MB at the end."
  # RSS each minute of the soak
  awk 'NR % 60 == 1 { printf "%s%s", sep, $1; sep=" → " } END { print " MB (each minute)" }' "$work/rss"
fi
echo
echo "wrk's full output: kept in $work/wrk.log until the script exits" >&2
