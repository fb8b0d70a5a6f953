#!/usr/bin/env bash
# The HTTP load test (run by hand, not in CI): the service in Release on loopback, driven by wrk.
#   bench/load/run.sh            # everything: about 4 min of load plus a 5-minute soak
#   SOAK=0 DURATION=10 bench/load/run.sh   # quicker, no soak
#   ONLY=warm-start bench/load/run.sh       # only the warm start of a fresh process (about 90 s)
#   ONLY=compare COMPARE_URL=http://127.0.0.1:3000/cds-services/patient-greeting bench/load/run.sh
#                                           # only the comparison with another CDS service (about 4 min)
# Needs wrk (Debian: apt-get install wrk). Prints Markdown tables for bench/README.md.
#
# ONLY: empty (the load table, the warm start, then the comparison when COMPARE_URL is set),
#   "load", "warm-start" or "compare".
# COMPARE_URL: a second CDS service's URL (not started here: start it by hand, bench/README.md).
#   After COMPARE_WARMUP s of load on each, COMPARE_ROUNDS rounds of COMPARE_DURATION s
#   (wrk -t1 -c16) alternate between the service and it, with the same body: seed004 with full
#   prefetch, built by ehr-sim when EHR_SIM names its folder (npm ci done there), else by the
#   benchmark program's requests helper.
# SERVICE_DIR: an already published service to run instead of publishing one (A/B of publish
#   options); SERVICE_ENV: extra environment for the service only ("DOTNET_TieredPGO=0 ...").
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

PORT=${PORT:-5400}            # the service
FHIR_PORT=${FHIR_PORT:-5401}  # the delayed FHIR server of the fallback runs
DURATION=${DURATION:-20}      # seconds per wrk run
WARMUP=${WARMUP:-60}          # seconds of load before the first measured run (tiered JIT settles in about a minute)
SOAK=${SOAK:-300}             # seconds of soak (0: none)
FHIR_DELAY_MS=${FHIR_DELAY_MS:-200}
ONLY=${ONLY:-}
COMPARE_URL=${COMPARE_URL:-}
COMPARE_WARMUP=${COMPARE_WARMUP:-40}     # seconds of load on each before the rounds
COMPARE_ROUNDS=${COMPARE_ROUNDS:-3}
COMPARE_DURATION=${COMPARE_DURATION:-15} # seconds per wrk run in a round
EHR_SIM=${EHR_SIM:-}
WARM_STEADY_AT=${WARM_STEADY_AT:-60}     # the warm start's steady run starts this many seconds after the first answer
SERVICE_DIR=${SERVICE_DIR:-}
SERVICE_ENV=${SERVICE_ENV:-}
case "$ONLY" in ""|load|warm-start|compare) ;; *) echo "ONLY must be load, warm-start or compare" >&2; exit 2 ;; esac
[ "$ONLY" != compare ] || [ -n "$COMPARE_URL" ] || { echo "ONLY=compare needs COMPARE_URL" >&2; exit 2; }
wants() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if [ -n "$SERVICE_DIR" ]; then
  service_dir=$SERVICE_DIR
else
  echo "load: building (Release)" >&2
  dotnet publish src/PttmHooks.Service -c Release -o "$work/service" --nologo -v quiet >/dev/null
  service_dir=$work/service
fi
dotnet build bench/PttmHooks.Benchmarks -c Release --nologo -v quiet >/dev/null
bench=bench/PttmHooks.Benchmarks/bin/Release/net10.0/PttmHooks.Benchmarks.dll
fhir="http://127.0.0.1:${FHIR_PORT}/fhir"
dotnet "$bench" requests "$work/requests" "$fhir" >&2

dotnet "$bench" fhir-server "$FHIR_PORT" "$FHIR_DELAY_MS" >"$work/fhir.log" 2>&1 &
pids+=($!)
# Starts the published service on $1 (a port), logging to $2; sets $service.
# Development: authentication off (wrk cannot sign a fresh JWT per call; JWT validation has its own
# benchmark), logs as configured (Information, to a file).
start_service() {
  # shellcheck disable=SC2086 # SERVICE_ENV is a list of NAME=value words
  env ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS="http://127.0.0.1:$1" \
    Cds__FhirServers__0="$fhir" Cds__Viewer__Enabled=false $SERVICE_ENV \
    bash -c 'cd "$1" && exec dotnet PttmHooks.Service.dll' _ "$service_dir" >"$2" 2>&1 &
  service=$!
  pids+=($service)
}
url="http://127.0.0.1:${PORT}/cds-services/pttm-screening"
for _ in $(seq 1 60); do grep -q "FHIR server at" "$work/fhir.log" 2>/dev/null && break; sleep 1; done
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$service/stat"; }
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$service/status"; }
stop_service() { kill "$service" 2>/dev/null || true; wait "$service" 2>/dev/null || true; }
wait_live() {
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:${PORT}/health/live" >/dev/null 2>&1 && break; sleep 1; done
  curl -sf "http://127.0.0.1:${PORT}/health/live" >/dev/null || { echo "load: the service did not start:" >&2; tail -20 "$1" >&2; exit 1; }
}

# Runs wrk against $target (the service unless set); prints "requests/s p50_ms p99_ms non2xx
# cpu_us_per_request" (the service's user+system CPU; meaningless when $target is another server).
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 } printf "%.2f", v }'; }
run() {
  local connections=$1 seconds=$2; shift 2
  local threads=${THREADS:-$(( connections < 2 ? 1 : 2 ))}
  local out cpu0 cpu1
  cpu0=$(cpu_ticks)
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s bench/load/post.lua "${target:-$url}" -- "$@")
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
row() { local line="|" cell; for cell in "$@"; do line+=" $cell |"; done; echo "$line"; }
kb() { echo $(( $(stat -c %s "$1") / 1024 )); }
now_ms() { date +%s%3N; }
echo
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d); wrk beside the service; commit $(git rev-parse --short HEAD); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)${SERVICE_ENV:+; service environment: $SERVICE_ENV}${SERVICE_DIR:+; service from $SERVICE_DIR}."

# ---- the load table ----------------------------------------------------------------------------
load_table() {
  start_service "$PORT" "$work/service.log"
  wait_live "$work/service.log"
  # One call of each kind, checked, before any load: the card must be there.
  for body in seed004 large-5000 fallback; do
    answer=$(curl -sf -H 'Content-Type: application/json' --data-binary @"$work/requests/$body.json" "$url")
    grep -q 'cytology' <<<"$answer" || { echo "load: $body.json did not get the cytology card: ${answer:0:300}" >&2; exit 1; }
  done
  rest=$(rss_mb)
  sample_rss() { while kill -0 "$service" 2>/dev/null; do r=$(rss_mb); echo "$r" >>"$work/rss"; sleep 1; done; }
  sample_rss & pids+=($!)

  echo
  echo "${WARMUP} s of warm-up, then ${DURATION} s per run."
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
    row "seed004, full prefetch ($(kb "$work/requests/seed004.json") KB)" "$c" "$rps" "$p50" "$p99" "$bad" "$cpu"
  done
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
    row "5,000 prefetched resources ($(kb "$work/requests/large-5000.json") KB)" "$c" "$rps" "$p50" "$p99" "$bad" "$cpu"
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
  stop_service
}

# ---- the warm start (issue 20) -----------------------------------------------------------------
# A fresh process, as a pod added under load: started, polled every 50 ms until /health/ready
# answers 200 (Kubernetes sends traffic only then), one checked call, then wrk -t1 -c16 at once for
# 10 s, load on until WARM_STEADY_AT s after the first answer, and 10 s of steady state.
warm_start() {
  local t0 t_ready t_first answer
  t0=$(now_ms)
  start_service "$PORT" "$work/warm.log"
  until curl -sf -o /dev/null "http://127.0.0.1:${PORT}/health/ready" 2>/dev/null; do
    kill -0 "$service" 2>/dev/null || { echo "load: the service stopped:" >&2; tail -20 "$work/warm.log" >&2; exit 1; }
    [ $(( $(now_ms) - t0 )) -lt 120000 ] || { echo "load: not ready after 120 s" >&2; exit 1; }
    sleep 0.05
  done
  t_ready=$(now_ms)
  answer=$(curl -sf -H 'Content-Type: application/json' --data-binary @"$work/requests/seed004.json" "$url")
  t_first=$(now_ms)
  grep -q 'cytology' <<<"$answer" || { echo "load: seed004.json did not get the cytology card: ${answer:0:300}" >&2; exit 1; }
  local cpu_first first steady f50 f99 fcpu s50 s99 scpu x
  cpu_first=$(( $(cpu_ticks) * 1000 / ticks ))
  read -r first f50 f99 x fcpu < <(THREADS=1 run 16 10 "$work/requests/seed004.json")
  local rest=$(( WARM_STEADY_AT - ($(now_ms) - t_first) / 1000 ))
  [ "$rest" -lt 1 ] || THREADS=1 run 16 "$rest" "$work/requests/seed004.json" >/dev/null
  read -r steady s50 s99 x scpu < <(THREADS=1 run 16 10 "$work/requests/seed004.json")
  stop_service
  echo
  echo "Warm start (seed004, wrk -t1 -c16; steady: 10 s from ${WARM_STEADY_AT} s after the first answer; CPU: the service's user + system):"
  echo
  row "start → ready ms" "start → first answer ms" "CPU to first answer ms" "first 10 s requests/s" "p50 / p99 ms" "CPU µs/request" "steady requests/s" "p50 / p99 ms" "CPU µs/request" "first / steady"
  row "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:"
  row "$(( t_ready - t0 ))" "$(( t_first - t0 ))" "$cpu_first" "$first" "$f50 / $f99" "$fcpu" "$steady" "$s50 / $s99" "$scpu" "$(( first * 100 / (steady > 0 ? steady : 1) )) %"
}

# ---- the comparison with another CDS service (issue 20) -----------------------------------------
compare() {
  local body=$work/requests/seed004.json source="the benchmark program's requests helper"
  start_service "$PORT" "$work/service.log"
  wait_live "$work/service.log"
  if [ -n "$EHR_SIM" ]; then
    (cd "$EHR_SIM" && node --experimental-websocket ehr-sim.mjs request --case "$repo/samples/cases/seed004-breast-history-hypoxaemia-vq" --service "$url") >"$work/requests/seed004-ehr-sim.json"
    body=$work/requests/seed004-ehr-sim.json source="ehr-sim ($EHR_SIM)"
  fi
  local code
  for u in "$url" "$COMPARE_URL"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$body" "$u")
    [ "$code" = 200 ] || { echo "load: $u answered $code to $body, not 200" >&2; exit 1; }
  done
  target=$url run 16 "$COMPARE_WARMUP" "$body" >/dev/null
  target=$COMPARE_URL run 16 "$COMPARE_WARMUP" "$body" >/dev/null
  echo
  echo "Comparison: the same body (seed004, full prefetch, $(kb "$body") KB, from $source) to the service (${url}) and to ${COMPARE_URL}; ${COMPARE_WARMUP} s of warm-up each, then ${COMPARE_ROUNDS} round(s) of ${COMPARE_DURATION} s each, alternating, wrk -t1 -c16:"
  echo
  row "round" "service requests/s" "service p50 / p99 ms" "reference requests/s" "reference p50 / p99 ms" "service / reference" "non-2xx"
  row "---:" "---:" "---:" "---:" "---:" "---:" "---:"
  local i a ap50 ap99 abad b bp50 bp99 bbad x sa=0 sb=0
  for i in $(seq 1 "$COMPARE_ROUNDS"); do
    read -r a ap50 ap99 abad x < <(THREADS=1 target=$url run 16 "$COMPARE_DURATION" "$body")
    read -r b bp50 bp99 bbad x < <(THREADS=1 target=$COMPARE_URL run 16 "$COMPARE_DURATION" "$body")
    sa=$(( sa + a )); sb=$(( sb + b ))
    row "$i" "$a" "$ap50 / $ap99" "$b" "$bp50 / $bp99" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" "$abad / $bbad"
  done
  row "mean" "$(( sa / COMPARE_ROUNDS ))" "" "$(( sb / COMPARE_ROUNDS ))" "" "$(awk -v a="$sa" -v b="$sb" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" ""
  stop_service
}

if wants warm-start; then warm_start; fi
if wants load; then load_table; fi
if [ -n "$COMPARE_URL" ] && wants compare; then compare; fi
echo; echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "wrk's full output: kept in $work/wrk.log until the script exits" >&2
