#!/usr/bin/env bash
# Validates everything under deploy/ without a container engine (none runs on the build machines).
# Installs nothing: .ci/run installs the tools (Debian: yamllint docker-compose prometheus jq;
# Node with `npm ci` in deploy/; kubectl with its built-in kustomize comes with the machine image).
#
#   deploy/check.sh                 every check, one line each, then "deploy: N checks passed, N failed"
#   deploy/check.sh --no-build      the same without replaying the image build (saves 1-3 minutes)
#   deploy/check.sh --metrics URL   fetch a live /metrics and check that every pttm_* metric the
#                                   dashboard queries is there (fire a few hooks first: a counter
#                                   appears after its first increment); --allow-absent REGEX exempts
#                                   names that the calls made could not have produced
#
# DEPLOY_CHECK_PORT (default 5250) and the next port are used by the image check's local run.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=all
metrics_url=
allow_absent='^$'
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) mode=no-build ;;
    --metrics) mode=metrics; metrics_url=${2:?--metrics needs a URL}; shift ;;
    --allow-absent) allow_absent=${2:?--allow-absent needs a regular expression}; shift ;;
    *) echo "deploy: unknown argument $1 (see the head of deploy/check.sh)" >&2; exit 2 ;;
  esac
  shift
done

passed=0
failed=0
skipped=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs one check: its name, then the command. The command's output is shown only when it fails.
# The command runs in a subshell ($(...)): a check that starts a process stops it with its own EXIT
# trap, and sends the process' output to a file (an open pipe would hold $(...) forever).
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then
    echo "deploy: ok      ${name}"
    passed=$((passed + 1))
  else
    echo "deploy: FAILED  ${name}"
    echo "$out" | tail -40 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}
skip() {
  echo "deploy: skipped ${1} (${2})"
  skipped=$((skipped + 1))
}
# A check needs these commands; when one is missing it fails and says what to install.
need() {
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing ${missing[*]}: .ci/run installs them (apt-get install yamllint docker-compose prometheus jq nodejs npm; npm ci --prefix deploy)"
    return 1
  fi
}
need_node_modules() {
  need node || return 1
  if [ ! -d deploy/node_modules/kubernetes-models ]; then echo "deploy/node_modules is missing: run npm ci --prefix deploy"; return 1; fi
}

dashboard=deploy/grafana/dashboards/pttm-hooks.json
contract=deploy/grafana/metrics-contract.txt

# ---- --metrics URL: a live /metrics against the dashboard's pttm_* names ------------------------
if [ "$mode" = metrics ]; then
  live_metrics() {
    need curl node || return 1
    curl -sfS --max-time 10 "$metrics_url" -o "$work/metrics.txt" || { echo "cannot fetch $metrics_url"; return 1; }
    local names missing=0
    names=$(node deploy/checks/dashboard.mjs "$dashboard" "$contract" --names) || { echo "$names"; return 1; }
    for name in $(echo "$names" | grep '^pttm_'); do
      if grep -qE "^${name}(\{| )" "$work/metrics.txt"; then
        echo "present: ${name}"
      elif echo "$name" | grep -qE "$allow_absent"; then
        echo "absent (allowed): ${name}"
      else
        echo "ABSENT: ${name}"
        missing=$((missing + 1))
      fi
    done
    [ "$missing" -eq 0 ]
  }
  check "live /metrics at ${metrics_url} has every pttm_* metric the dashboard queries" live_metrics
  echo "deploy: ${passed} checks passed, ${failed} failed"
  [ "$failed" -eq 0 ]
  exit
fi

# ---- YAML ---------------------------------------------------------------------------------------
yaml_lint() { need yamllint || return 1; yamllint --strict -c deploy/.yamllint deploy; }
check "yamllint deploy/ (deploy/.yamllint)" yaml_lint

# ---- compose ------------------------------------------------------------------------------------
compose_config() {
  need docker-compose || return 1
  docker-compose -f deploy/compose/docker-compose.yml config -q \
    && docker-compose -f deploy/compose/docker-compose.yml config > "$work/compose.yml"
}
check "docker-compose config: deploy/compose/docker-compose.yml" compose_config
compose_wiring() {
  need_node_modules || return 1
  [ -s "$work/compose.yml" ] || { echo "no rendered compose file (the previous check failed)"; return 1; }
  node deploy/checks/compose.mjs "$work/compose.yml" .
}
check "compose wiring: mounts, builds, pinned images, service references, loopback forwarder" compose_wiring
prometheus_config() { need promtool || return 1; promtool check config deploy/compose/prometheus.yml; }
check "promtool check config deploy/compose/prometheus.yml" prometheus_config
otelcol=$(command -v otelcol-contrib || command -v otelcol || true)
if [ -n "$otelcol" ]; then
  check "otelcol validate deploy/compose/otel-collector.yaml" "$otelcol" validate --config=deploy/compose/otel-collector.yaml
else
  skip "otelcol validate deploy/compose/otel-collector.yaml" "no otelcol on this machine (not packaged by Debian or npm); compose wiring checked its pipelines"
fi

# ---- Kubernetes ---------------------------------------------------------------------------------
kustomize_build() {
  local dir=$1 out=$2
  if command -v kustomize >/dev/null 2>&1; then kustomize build "$dir" > "$out"
  elif command -v kubectl >/dev/null 2>&1; then kubectl kustomize "$dir" > "$out"
  else echo "neither kustomize nor kubectl (with its built-in kustomize) is installed"; return 1
  fi
}
for overlay in base overlays/production; do
  rendered="$work/k8s-${overlay//\//-}.yaml"
  if ! command -v kustomize >/dev/null 2>&1 && ! command -v kubectl >/dev/null 2>&1; then
    # kubectl comes with this machine's image, not from Debian: a machine without it says so.
    skip "kustomize build and Kubernetes schema checks of deploy/k8s/${overlay}" "neither kustomize nor kubectl is installed (not packaged by Debian)"
    continue
  fi
  check "kustomize build deploy/k8s/${overlay}" kustomize_build "deploy/k8s/${overlay}" "$rendered"
  k8s_validate() {
    need_node_modules || return 1
    [ -s "$2" ] || { echo "nothing rendered (the previous check failed)"; return 1; }
    node deploy/checks/k8s.mjs "$2" "$1" $3
  }
  pinned=; [ "$overlay" != base ] && pinned=--pinned-images
  check "Kubernetes schema (strict), policy and references: deploy/k8s/${overlay}" k8s_validate "$overlay" "$rendered" "$pinned"
done

# ---- Grafana dashboard --------------------------------------------------------------------------
dashboard_check() {
  need_node_modules jq || return 1
  jq -e '.panels | length > 0' "$dashboard" >/dev/null || { echo "$dashboard is not valid JSON with panels"; return 1; }
  node deploy/checks/dashboard.mjs "$dashboard" "$contract" --rules "$work/dashboard-rules.yml"
}
check "dashboard: JSON, layout, metric names and labels of the contract (${contract})" dashboard_check
dashboard_promql() {
  need promtool || return 1
  [ -s "$work/dashboard-rules.yml" ] || { echo "no queries extracted (the previous check failed)"; return 1; }
  promtool check rules "$work/dashboard-rules.yml"
}
check "dashboard: every query parses as PromQL (promtool check rules)" dashboard_promql
# The acceptance rate, evaluated by Prometheus' engine on made-up series: 180 accepted and 60
# overridden for cards this service issued, and 600 accepted for ids it never issued (which must not
# count), give 180 / (180 + 60) = 0.75.
acceptance_rate() {
  need promtool node || return 1
  local expr
  expr=$(node deploy/checks/dashboard.mjs "$dashboard" "$contract" --expr "Feedback acceptance rate") || { echo "$expr"; return 1; }
  local labels='job="pttm-hooks",instance="pttm-hooks:8080",cds_service="pttm-screening"'
  cat > "$work/acceptance-test.yml" <<EOF
rule_files: []
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'pttm_feedback_total{${labels},cds_feedback_outcome="accepted",cds_card_issued="true",pttm_override_reason="none"}'
        values: '0+3x60'
      - series: 'pttm_feedback_total{${labels},cds_feedback_outcome="overridden",cds_card_issued="true",pttm_override_reason="not-indicated"}'
        values: '0+1x60'
      - series: 'pttm_feedback_total{${labels},cds_feedback_outcome="accepted",cds_card_issued="false",pttm_override_reason="none"}'
        values: '0+10x60'
    promql_expr_test:
      - expr: '${expr}'
        eval_time: 60m
        exp_samples:
          - labels: '{}'
            value: 0.75
EOF
  promtool test rules "$work/acceptance-test.yml"
}
check "dashboard: feedback acceptance rate = accepted / (accepted + overridden), issued cards only (promtool test rules)" acceptance_rate

# ---- Dockerfile and image -----------------------------------------------------------------------
dockerfile_lint() {
  need_node_modules || return 1
  local out
  out=$(deploy/node_modules/.bin/dockerfile-utils lint deploy/Dockerfile) || { echo "$out"; return 1; }
  # dockerfile-utils exits 0 on warnings: fail on them too.
  [ -z "$out" ] || { echo "$out"; return 1; }
}
check "Dockerfile lint (dockerfile-utils)" dockerfile_lint
if command -v hadolint >/dev/null 2>&1; then
  check "hadolint deploy/Dockerfile" hadolint deploy/Dockerfile
else
  skip "hadolint deploy/Dockerfile" "hadolint is not packaged by Debian or npm"
fi
image_context() { need_node_modules git || return 1; node deploy/checks/image.mjs context; }
check "Docker build context: every COPY source is sent, no bin/obj/secrets (.dockerignore)" image_context

if [ "$mode" = no-build ]; then
  skip "image build stage replayed, service run as the image runs it, health probe, sample loader" "--no-build"
else
  port=${DEPLOY_CHECK_PORT:-5250}
  fhir_port=$((port + 1))
  image_build() {
    need_node_modules dotnet git || return 1
    node deploy/checks/image.mjs build "$work/image" > "$work/image.json" || { cat "$work/image.json"; return 1; }
  }
  check "image build stage replayed here: restore + publish from the filtered context, every later COPY and ENTRYPOINT/HEALTHCHECK file present" image_build

  # The service as the image runs it: its ENTRYPOINT dll, the image's ENV, from its WORKDIR, as an
  # unprivileged user who can write nowhere but /tmp (the published folder is read-only to it, HOME
  # does not exist); whatever it creates in /tmp while running (the runtime's diagnostics socket
  # without DOTNET_EnableDiagnostics=0) fails the check, as it would fail on a read-only root.
  image_run() {
    need jq setpriv curl || return 1
    [ -s "$work/image.json" ] || { echo "no image build (the previous check failed)"; return 1; }
    local dll probe dir log
    dll=$(jq -r '.service.dll' "$work/image.json")
    probe=$(jq -r '.service.healthDll' "$work/image.json")
    dir=$(dirname "$dll")
    log="$work/service.log"
    chmod -R a+rX,go-w "$work/image/root"
    chmod a+x "$work" "$work/image"
    local before after
    before=$(find /tmp -maxdepth 1 -user nobody 2>/dev/null | sort)
    (cd "$dir" && exec env -i PATH="$PATH" HOME=/nonexistent DOTNET_CLI_TELEMETRY_OPTOUT=1 \
      $(jq -r '.service.env | to_entries[] | "\(.key)=\(.value)"' "$work/image.json") \
      ASPNETCORE_HTTP_PORTS="$port" ASPNETCORE_ENVIRONMENT=Development \
      setpriv --reuid=nobody --regid=nogroup --clear-groups dotnet "$dll") >"$log" 2>&1 &
    svc_pid=$!  # not local: the EXIT trap runs after the function has returned
    trap 'kill $svc_pid 2>/dev/null; wait $svc_pid 2>/dev/null' EXIT
    local up=1
    for _ in $(seq 1 60); do
      if ASPNETCORE_HTTP_PORTS="$port" dotnet "$probe" /health/live >/dev/null 2>&1; then up=0; break; fi
      kill -0 "$svc_pid" 2>/dev/null || break
      sleep 1
    done
    if [ "$up" -ne 0 ]; then echo "the published service did not become live on port $port"; tail -20 "$log"; return 1; fi
    echo "health probe (the image's HEALTHCHECK) on /health/live: exit 0"
    ASPNETCORE_HTTP_PORTS="$port" dotnet "$probe" /health/ready || { echo "/health/ready failed"; return 1; }
    echo "health probe on /health/ready: exit 0"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${port}/cds-services")" = 200 ] || { echo "GET /cds-services did not answer 200"; return 1; }
    echo "GET /cds-services: 200"
    if ASPNETCORE_HTTP_PORTS="$port" dotnet "$probe" /no-such-path 2>/dev/null; then echo "the probe accepted a 404"; return 1; fi
    echo "health probe on a 404 path: exit 1"
    after=$(find /tmp -maxdepth 1 -user nobody 2>/dev/null | sort)
    kill "$svc_pid"; wait "$svc_pid" 2>/dev/null
    if ASPNETCORE_HTTP_PORTS="$port" dotnet "$probe" 2>/dev/null; then echo "the probe passed with the service stopped"; return 1; fi
    echo "health probe with the service stopped: exit 1"
    if [ "$before" != "$after" ]; then echo "the service wrote to /tmp: $(comm -13 <(echo "$before") <(echo "$after"))"; return 1; fi
    if grep -qiE "denied|read-only file system|unauthorizedaccess" "$log"; then echo "the service tried to write:"; grep -iE "denied|read-only|unauthorizedaccess" "$log" | head -5; return 1; fi
    echo "no file written by the service (user nobody, read-only application folder, no HOME)"
  }
  check "image run: published service as user nobody, read-only, HEALTHCHECK probe 0 when live and 1 otherwise" image_run

  # The compose trial's loader (the CLI image's load-samples) with the published CLI, against a
  # stand-in FHIR server that accepts what HAPI accepts: every sample case gets loaded.
  samples_loader() {
    need jq curl node || return 1
    [ -s "$work/image.json" ] || { echo "no image build"; return 1; }
    local cli log expected got
    cli=$(jq -r '.cli.dll' "$work/image.json")
    node deploy/checks/fake-fhir.mjs "$fhir_port" >"$work/fake-fhir.log" 2>&1 &
    fake_pid=$!
    trap 'kill $fake_pid 2>/dev/null; wait $fake_pid 2>/dev/null' EXIT
    log="$work/loader.log"
    PTTM_CLI="dotnet $cli" CASES_DIR=samples/cases FHIR_BASE="http://127.0.0.1:${fhir_port}/fhir" WAIT_SECONDS=30 \
      bash deploy/compose/load-samples.sh >"$log" 2>&1 || { cat "$log"; return 1; }
    tail -1 "$log"
    expected=$(find samples/cases -mindepth 2 -maxdepth 2 -name bundle.json | wc -l)
    got=$(curl -sf "http://127.0.0.1:${fhir_port}/_loaded" | jq 'length')
    [ "$expected" -gt 0 ] && [ "$got" = "$expected" ] || { echo "loaded ${got} of ${expected} cases"; return 1; }
  }
  check "sample loader (compose load-samples) with the published CLI: every case's transaction Bundle accepted" samples_loader
fi

echo "deploy: ${passed} checks passed, ${failed} failed${skipped:+, ${skipped} skipped}"
[ "$failed" -eq 0 ]
