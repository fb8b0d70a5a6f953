#!/usr/bin/env bash
# Loads every sample patient into a FHIR R4 server: waits until the server answers its capability
# statement, then POSTs each case's transaction Bundle (`pttm-hooks samples bundle <id>`: dates moved
# to now, resources PUT under their ids, so loading twice replaces rather than duplicates).
#
# In the compose trial this is the load-samples service (the CLI image). From a checkout:
#   PTTM_CLI="dotnet run --project src/PttmHooks.Cli --" CASES_DIR=samples/cases \
#     FHIR_BASE=http://localhost:8080/fhir deploy/compose/load-samples.sh
set -euo pipefail

base=${FHIR_BASE:-http://hapi:8080/fhir}
base=${base%/}
wait_seconds=${WAIT_SECONDS:-300}
cases=${CASES_DIR:-samples/cases}
read -r -a cli <<<"${PTTM_CLI:-dotnet /opt/pttm-hooks/pttm-hooks.dll}"

echo "load-samples: waiting up to ${wait_seconds} s for ${base}/metadata"
deadline=$((SECONDS + wait_seconds))
until curl -sf -o /dev/null "${base}/metadata"; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "load-samples: ${base} did not answer within ${wait_seconds} s" >&2
    exit 1
  fi
  sleep 5
done

answer=$(mktemp)
trap 'rm -f "$answer"' EXIT
loaded=0
failed=0
for folder in "$cases"/*/; do
  id=$(basename "$folder")
  [ -f "$folder/bundle.json" ] || continue
  if ! status=$("${cli[@]}" samples bundle --cases "$cases" "$id" |
      curl -s -o "$answer" -w '%{http_code}' -H 'Content-Type: application/fhir+json' \
        -H 'Accept: application/fhir+json' --data-binary @- "$base"); then
    status=000
  fi
  if [ "$status" = 200 ] && grep -q '"transaction-response"' "$answer"; then
    echo "load-samples: ${id}: loaded"
    loaded=$((loaded + 1))
  else
    echo "load-samples: ${id}: HTTP ${status}: $(head -c 300 "$answer")" >&2
    failed=$((failed + 1))
  fi
done

echo "load-samples: ${loaded} loaded, ${failed} failed into ${base}"
[ "$loaded" -gt 0 ] && [ "$failed" -eq 0 ]
