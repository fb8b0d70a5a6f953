#!/usr/bin/env python3
"""Builds the seed corpus of the fuzzer (tests/fuzz/run.sh calls it).

usage: make-seeds.py OUT_DIR CLI...   (CLI: the command that runs the pttm-hooks CLI)

Seeds, each compact JSON and at most 64 KB:
- case-*: every sample case's hook request with full prefetch (`samples request CASE --offline`),
  its dates moved to the harness's fixed clock;
- fallback-*: a few cases with prefetch left out (all of it, or some keys) and the trusted
  fhirServer, followed by the fuzz input's marker and a Bundle of the case's resources, which the
  harness's fake FHIR server answers from;
- fixture-*: the CDS Hooks request fixtures of tests/TestData/cds-hooks as they are, and, where
  they name a fhirServer, a copy naming the trusted one (so that they get past the SSRF check).
"""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOW = "2026-11-20T12:00:00Z"          # HarnessApp.Now
FHIR_SERVER = "https://ehr.example.org/fhir"   # HarnessApp.FhirServer
MARKER = b"\n--fhir-answer--\n"        # FuzzInput.Marker
MAX_BYTES = 64 * 1024
FALLBACK = {
    "seed004-breast-history-hypoxaemia-vq": "all",
    "seed002-gastric-signet-ring-rhc": "all",
    "possible-no-echo": "all",
    "neg-pe-on-ctpa": "conditions,imagingReports,recentReports",
    "seed003-breast-patchy-flow-reduction": "oxygenation,haemodynamics,markers",
}
FIXTURES = [
    "ahrq/R4-active_person_invocation.json",
    "ahrq/R4-lazy_person_invocation.json",
    "ahrq/R4-missing_prefetch_keys_invocation.json",
    "ahrq/R4-null_prefetch_values_invocation.json",
    "ahrq/R4-feedback.json",
    "hapi/CdsServiceRequestJson.json",
    "hapi/ASLPCrdServiceRequest.json",
    "hl7-spec/patient-view-request.json",
    "hl7-spec/request-with-extension.json",
    "sandbox-cds-services/patient-greeting-requestWithOpenFhirServer.json",
    "sandbox-cds-services/patient-greeting-requestWithPrefetch.json",
    "sandbox-cds-services/patient-greeting-requestWithoutPrefetch.json",
    "sandbox-cds-services/malformed-body.txt",
]


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def request(cli, case, *extra):
    out = subprocess.run([*cli, "samples", "request", case, "--offline", "--at", NOW, *extra],
                         cwd=ROOT, check=True, capture_output=True).stdout
    return json.loads(out)


def resources(body):
    """Every resource of a request's prefetch, as one searchset Bundle."""
    entries = []
    for value in (body.get("prefetch") or {}).values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            entries.extend(e for e in value.get("entry") or [] if isinstance(e, dict) and "resource" in e)
        elif isinstance(value, dict):
            entries.append({"resource": value})
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}


def main():
    out = pathlib.Path(sys.argv[1])
    cli = sys.argv[2:]
    out.mkdir(parents=True, exist_ok=True)
    seeds = {}
    cases = sorted(p.name for p in (ROOT / "samples" / "cases").iterdir() if (p / "case.json").exists())
    for case in cases:
        full = request(cli, case)
        seeds[f"case-{case}.json"] = compact(full)
        if case in FALLBACK:
            part = request(cli, case, "--omit", FALLBACK[case], "--fhir-server", FHIR_SERVER)
            seeds[f"fallback-{case}.json"] = compact(part) + MARKER + compact(resources(full))
    for fixture in FIXTURES:
        raw = (ROOT / "tests" / "TestData" / "cds-hooks" / fixture).read_bytes()
        name = "fixture-" + fixture.replace("/", "-")
        try:
            body = json.loads(raw)
        except ValueError:
            seeds[name] = raw
            continue
        seeds[name] = compact(body)
        if isinstance(body, dict) and "fhirServer" in body:
            body["fhirServer"] = FHIR_SERVER
            seeds[name.replace(".json", "-trusted.json")] = compact(body)
    written = 0
    for name, data in sorted(seeds.items()):
        if len(data) > MAX_BYTES:
            print(f"make-seeds: {name} is {len(data)} bytes, over {MAX_BYTES}; left out", file=sys.stderr)
            continue
        (out / name).write_bytes(data)
        written += 1
    print(f"make-seeds: {written} seeds in {out}")


if __name__ == "__main__":
    main()
