#!/usr/bin/env bash
# Coverage-guided fuzzing of the hook endpoint: SharpFuzz + AFL++ (see tests/fuzz/README.md).
#
#   tests/fuzz/run.sh [minutes]      (default 30)
#
# Builds the harness (Release) into tests/fuzz/out/bin, restores the sharpfuzz tool, instruments
# the service's and the Firely SDK's assemblies there, builds the seed corpus from samples/ and the
# CDS Hooks fixtures, runs afl-fuzz for the given minutes and prints a summary. It stops by
# itself; if afl-fuzz stops early (a hang or a StackOverflow kills SharpFuzz's in-process fork
# server), the input it was running is kept in out/killers/ and afl-fuzz resumes for the time left.
# Environment: FUZZ_OUT (default tests/fuzz/out), FUZZ_TIMEOUT_MS (afl-fuzz's per-input timeout,
# default 5000), PTTM_FUZZ_TIMEOUT_MS (the harness's own limit per hook call, default 3000),
# FUZZ_TARGET (hook, the default: the hook endpoint; attachments: the attachment decoder alone).
set -euo pipefail

minutes=${1:-30}
case "$minutes" in ''|*[!0-9]*) echo "usage: $0 [minutes]" >&2; exit 2 ;; esac
target=${FUZZ_TARGET:-hook}
case "$target" in
  hook) target_args=(); dict_args=(-x "$(cd "$(dirname "$0")" && pwd)/fhir.dict") ;;
  attachments) target_args=(attachments); dict_args=() ;;
  *) echo "FUZZ_TARGET is hook or attachments" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${FUZZ_OUT:-$here/out}
bin=$out/bin
corpus=$out/corpus
findings=$out/findings
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

for tool in afl-fuzz dotnet python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fuzz: $tool is not installed (afl-fuzz: apt-get install -y afl++)" >&2
    exit 1
  fi
done
mkdir -p "$out"

echo "fuzz: building the harness (Release) into $bin"
rm -rf "$bin"
dotnet publish "$here/PttmHooks.Fuzz/PttmHooks.Fuzz.csproj" -c Release -o "$bin" -v quiet -nologo

echo "fuzz: restoring the sharpfuzz tool (tests/fuzz/.config/dotnet-tools.json)"
(cd "$here" && dotnet tool restore >/dev/null)

# The service's own code and the Firely SDK (where the model's exceptions come from); not
# SharpFuzz, the harness, ASP.NET Core or the BCL (those are the shared framework anyway).
shopt -s nullglob
targets=()
# The attachment target also traces the HTML and PDF libraries it drives.
extra=()
if [ "$target" = attachments ]; then extra=("$bin"/AngleSharp.dll "$bin"/UglyToad.PdfPig*.dll); fi
for dll in "$bin"/PttmHooks.*.dll "$bin"/Hl7.Fhir.*.dll "$bin"/Fhir.Metrics.dll "${extra[@]}"; do
  [ "$(basename "$dll")" = "PttmHooks.Fuzz.dll" ] && continue
  targets+=("$dll")
done
shopt -u nullglob
for dll in "${targets[@]}"; do
  echo "fuzz: instrumenting $(basename "$dll")"
  (cd "$here" && dotnet sharpfuzz "$dll")
done

echo "fuzz: building the seed corpus ($target)"
rm -rf "$corpus"
if [ "$target" = attachments ]; then
  dotnet "$bin/PttmHooks.Fuzz.dll" attachments seeds "$corpus"
else
  dotnet build "$root/src/PttmHooks.Cli/PttmHooks.Cli.csproj" -c Release -v quiet -nologo >/dev/null
  cli=$(dotnet msbuild "$root/src/PttmHooks.Cli/PttmHooks.Cli.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)
  python3 "$here/make-seeds.py" "$corpus" dotnet "$cli"
fi

if [ -d "$findings" ]; then
  rm -rf "$out/findings.previous"
  mv "$findings" "$out/findings.previous"
  echo "fuzz: the last run's findings are in $out/findings.previous"
fi

# This machine: no CPU frequency governor to check, core dumps may go to a helper program, other
# work may hold the cores, and the target is 'dotnet' (not an instrumented binary).
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_SKIP_BIN_CHECK=1
export AFL_NO_UI=1 AFL_FORKSRV_INIT_TMOUT=120000 AFL_SKIP_CRASHES=1
export PTTM_FUZZ_TIMEOUT_MS=${PTTM_FUZZ_TIMEOUT_MS:-3000}
timeout_ms=${FUZZ_TIMEOUT_MS:-5000}

deadline=$(( $(date +%s) + minutes * 60 ))
input=$corpus
starts=0
log=$out/afl.log
: >"$log"
echo "fuzz: afl-fuzz for $minutes minutes (log: $log)"
while :; do
  left=$(( deadline - $(date +%s) ))
  if [ "$left" -lt 20 ]; then break; fi
  starts=$((starts + 1))
  # -V stops afl-fuzz after that many seconds; timeout is the backstop.
  timeout --kill-after=30 $((left + 60)) \
    afl-fuzz -i "$input" -o "$findings" -V "$left" -t "$timeout_ms" -m none "${dict_args[@]}" \
      -- "$(command -v dotnet)" "$bin/PttmHooks.Fuzz.dll" "${target_args[@]}" >>"$log" 2>&1 || true
  [ -f "$findings/default/fuzzer_stats" ] || { echo "fuzz: afl-fuzz did not start; the end of $log:" >&2; tail -30 "$log" >&2; exit 1; }
  if [ $(( deadline - $(date +%s) )) -lt 20 ]; then break; fi
  if [ "$starts" -ge 10 ]; then echo "fuzz: afl-fuzz stopped early $starts times; giving up" >&2; break; fi
  # Stopped early: keep what it was running, then resume from its queue.
  mkdir -p "$out/killers"
  if [ -f "$findings/default/.cur_input" ]; then
    cp "$findings/default/.cur_input" "$out/killers/killer-$starts"
    echo "fuzz: afl-fuzz stopped early; its current input is $out/killers/killer-$starts; resuming"
  fi
  input=-
done

stats=$findings/default/fuzzer_stats
stat_of() { sed -n "s/^$1 *: *//p" "$stats" | head -1; }
count() { if [ -d "$1" ]; then find "$1" -type f -name "${2:-*}" | wc -l; else echo 0; fi; }
crashes=$(count "$findings/default/crashes" 'id:*')
hangs=$(count "$findings/default/hangs" 'id:*')
echo
echo "fuzz: summary of $minutes minutes ($starts afl-fuzz start(s))"
echo "  executions:      $(stat_of execs_done) ($(stat_of execs_per_sec) per second at the end)"
echo "  corpus (paths):  $(stat_of corpus_count) ($(stat_of corpus_found) found, bitmap coverage $(stat_of bitmap_cvg), stability $(stat_of stability))"
echo "  crashes:         $crashes saved ($findings/default/crashes)"
echo "  hangs:           $hangs saved ($findings/default/hangs)"
killed=$(count "$out/killers")
if [ "$killed" -gt 0 ]; then echo "  killed afl-fuzz: $killed input(s) in $out/killers"; fi
if [ "$crashes" -gt 0 ] && [ "$target" = attachments ]; then
  dotnet "$bin/PttmHooks.Fuzz.dll" attachments replay "$findings/default/crashes" | grep '^FAIL' | head -20 || true
elif [ "$crashes" -gt 0 ]; then
  echo "fuzz: the crashes replayed, by the exception the service logged (quoted values as …):"
  dotnet "$bin/PttmHooks.Fuzz.dll" replay "$findings/default/crashes" 2>/dev/null \
    | sed -n 's/^log: Error PttmHooks[^[]*\[\(.*\)\]$/\1/p' | sed "s/'[^']*'/'…'/g" | sort | uniq -c | sort -rn | head -20 || true
fi
echo "fuzz: $crashes crashes, $hangs hangs"
