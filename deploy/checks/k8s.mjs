// Validates rendered Kubernetes manifests (the output of `kubectl kustomize`) offline:
//   1. schema: each object against the Kubernetes OpenAPI schema (kubernetes-models' validators);
//   2. strict: no field the API does not define (a misspelt `readOnlyRootFileSystem` would be dropped
//      by the API server with a mere warning; here it fails), read from the models' type definitions;
//   3. policy: what this service's deployment promises (docs/deployment.md): probes, resources,
//      non-root read-only containers, spread, graceful shutdown, a default-deny NetworkPolicy;
//   4. references: selectors, ports, ConfigMaps, Secrets, ServiceAccounts and scale targets resolve.
// Usage: node deploy/checks/k8s.mjs <rendered.yaml> <label> [--pinned-images]
// Prints one line per problem and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseAllDocuments } from "yaml";

const [file, label = file, ...flags] = process.argv.slice(2);
const pinnedImages = flags.includes("--pinned-images");
const problems = [];
const problem = (where, text) => problems.push(`${label}: ${where}: ${text}`);

const docs = parseAllDocuments(readFileSync(file, "utf8"));
const objects = [];
for (const doc of docs) {
  if (doc.errors.length > 0) {
    problem("yaml", doc.errors.map((e) => e.message).join("; "));
    continue;
  }
  const value = doc.toJS();
  if (value !== null && value !== undefined) objects.push(value);
}
if (objects.length === 0) problem("yaml", "no object rendered");

const id = (o) => `${o.kind}/${o.metadata?.name ?? "?"}`;
const shapes = new Map(); // .d.ts file -> { props, imports } (null for a scalar type)

// ---- 1. schema ---------------------------------------------------------------------------------
const require = createRequire(import.meta.url);
const modelsRoot = path.dirname(require.resolve("kubernetes-models/package.json"));
const apimachineryRoot = path.dirname(require.resolve("@kubernetes-models/apimachinery/package.json"));

for (const o of objects) {
  if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
    problem(id(o), "apiVersion and kind are required");
    continue;
  }
  let Model;
  try {
    Model = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`))[o.kind];
  } catch {
    problem(id(o), `unknown apiVersion/kind ${o.apiVersion} ${o.kind}`);
    continue;
  }
  try {
    new Model(o).validate();
  } catch (e) {
    const details = (e.errors ?? []).map((x) => `${x.instancePath || "/"} ${x.message ?? x.keyword}`).join("; ");
    problem(id(o), `schema: ${details || e.message}`);
  }
  strict(o, `${modelsRoot}/${o.apiVersion}/${o.kind}.d.ts`, id(o));
}

// ---- 2. strict: unknown fields, from the models' TypeScript definitions -------------------------
function strict(value, dts, where) {
  const shape = interfaceOf(dts);
  if (shape === null) return; // a scalar type (Quantity, IntOrString, Time)
  if (value === null || typeof value !== "object" || Array.isArray(value)) return; // the schema reports it
  for (const [key, child] of Object.entries(value)) {
    const type = shape.props.get(key);
    if (type === undefined) {
      problem(where, `unknown field "${key}"`);
      continue;
    }
    walk(child, type, shape.imports, `${where}.${key}`);
  }
}

function walk(value, type, imports, where) {
  type = type.trim();
  const array = /^Array<(.*)>$/s.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, array[1], imports, `${where}[${i}]`));
    return;
  }
  const map = /^\{\s*\[key: string\]:\s*(.*?);?\s*\}$/s.exec(type);
  if (map) {
    if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, map[1], imports, `${where}.${k}`);
    return;
  }
  if (imports.has(type)) strict(value, imports.get(type), where);
}

function interfaceOf(dts) {
  if (shapes.has(dts)) return shapes.get(dts);
  let text;
  try {
    text = readFileSync(dts, "utf8");
  } catch {
    shapes.set(dts, null);
    return null;
  }
  text = text.replace(/\/\*[\s\S]*?\*\//g, "");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    const [, name, from] = m;
    let target;
    if (from.startsWith(".")) target = path.resolve(path.dirname(dts), from.replace(/\.js$/, ".d.ts"));
    else if (from.startsWith("@kubernetes-models/apimachinery/")) target = `${apimachineryRoot}/${from.slice("@kubernetes-models/apimachinery/".length)}.d.ts`;
    else continue;
    imports.set(name, target);
  }
  const start = /export interface \w+(?: extends [\w, ]+)? \{/.exec(text);
  if (!start) {
    shapes.set(dts, null);
    return null;
  }
  // The interface body: up to the brace that closes it.
  let i = start.index + start[0].length;
  let depth = 1;
  const bodyStart = i;
  for (; i < text.length && depth > 0; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}") depth--;
  }
  const body = text.slice(bodyStart, i - 1);
  // Properties at depth 0 of the body: "name"?: Type; (a type may hold braces and angle brackets).
  const props = new Map();
  let j = 0;
  while (j < body.length) {
    const m = /"([^"]+)"\??:\s*/y;
    m.lastIndex = j;
    const hit = m.exec(body);
    if (!hit) {
      j++;
      continue;
    }
    let k = m.lastIndex;
    let d = 0;
    for (; k < body.length; k++) {
      const c = body[k];
      if (c === "{" || c === "<") d++;
      else if (c === "}" || c === ">") d--;
      else if (c === ";" && d === 0) break;
    }
    props.set(hit[1], body.slice(m.lastIndex, k));
    j = k + 1;
  }
  const shape = { props, imports };
  shapes.set(dts, shape);
  return shape;
}

// ---- 3. policy ---------------------------------------------------------------------------------
const workloads = objects.filter((o) => ["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind));
for (const w of workloads) {
  const where = id(w);
  const pod = w.spec?.template?.spec ?? {};
  const podSc = pod.securityContext ?? {};
  if (pod.automountServiceAccountToken !== false) problem(where, "automountServiceAccountToken must be false");
  if (podSc.seccompProfile?.type !== "RuntimeDefault") problem(where, "pod seccompProfile must be RuntimeDefault");
  const podNonRoot = podSc.runAsNonRoot === true;
  for (const c of pod.containers ?? []) {
    const cw = `${where} container ${c.name}`;
    const sc = c.securityContext ?? {};
    if (!(podNonRoot || sc.runAsNonRoot === true)) problem(cw, "runAsNonRoot must be true");
    if (sc.allowPrivilegeEscalation !== false) problem(cw, "allowPrivilegeEscalation must be false");
    if (sc.readOnlyRootFilesystem !== true) problem(cw, "readOnlyRootFilesystem must be true");
    if (sc.privileged === true) problem(cw, "must not be privileged");
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) problem(cw, "capabilities must drop ALL");
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) problem(cw, "resources.requests cpu and memory are required");
    if (!c.resources?.limits?.memory) problem(cw, "resources.limits.memory is required");
    if (!c.livenessProbe || !c.readinessProbe) problem(cw, "liveness and readiness probes are required");
    if (typeof c.image !== "string" || c.image.length === 0) problem(cw, "image is required");
    else if (pinnedImages && (!/:[^/]+$/.test(c.image) || c.image.endsWith(":latest"))) problem(cw, `image ${c.image} must carry a version tag, not latest`);
  }
}

const service = workloads.find((w) => w.kind === "Deployment" && w.metadata?.name === "pttm-hooks");
if (!service) {
  problem("Deployment/pttm-hooks", "missing");
} else {
  const where = id(service);
  const pod = service.spec.template.spec;
  const c = (pod.containers ?? []).find((x) => x.name === "pttm-hooks") ?? {};
  const probePath = (p) => p?.httpGet?.path;
  if (probePath(c.livenessProbe) !== "/health/live") problem(where, "livenessProbe must GET /health/live");
  if (probePath(c.readinessProbe) !== "/health/ready") problem(where, "readinessProbe must GET /health/ready");
  if (!c.startupProbe) problem(where, "a startupProbe is required");
  if ((pod.topologySpreadConstraints ?? []).length === 0) problem(where, "topologySpreadConstraints are required");
  const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
  const tmpVolume = tmp && (pod.volumes ?? []).find((v) => v.name === tmp.name);
  if (!tmpVolume?.emptyDir) problem(where, "/tmp must be an emptyDir volume");
  const preStop = c.lifecycle?.preStop;
  const pause = preStop?.sleep?.seconds ?? 0;
  if (!preStop) problem(where, "a preStop pause is required so that endpoints drain before SIGTERM");
  // The service's graceful shutdown waits up to 30 s (its default shutdown timeout).
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (grace <= 30 + pause) problem(where, `terminationGracePeriodSeconds (${grace}) must exceed the preStop pause (${pause} s) plus the service's 30 s shutdown timeout`);
  if (service.spec.replicas !== undefined && objects.some((o) => o.kind === "HorizontalPodAutoscaler")) {
    problem(where, "replicas must be left to the HorizontalPodAutoscaler");
  }
}

for (const np of objects.filter((o) => o.kind === "NetworkPolicy")) {
  const types = np.spec?.policyTypes ?? [];
  if (!types.includes("Ingress") || !types.includes("Egress")) problem(id(np), "policyTypes must list Ingress and Egress (default deny both ways)");
}
const serviceNp = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata?.name === "pttm-hooks");
if (!serviceNp) problem("NetworkPolicy/pttm-hooks", "missing");
else if (!(serviceNp.spec.egress ?? []).some((r) => (r.ports ?? []).some((p) => p.port === 53))) problem(id(serviceNp), "egress must allow DNS (port 53)");

const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler");
const pdb = objects.find((o) => o.kind === "PodDisruptionBudget");
if (!hpa) problem("HorizontalPodAutoscaler", "missing");
else if ((hpa.spec.minReplicas ?? 1) < 2) problem(id(hpa), "minReplicas must be at least 2");
if (!pdb) problem("PodDisruptionBudget", "missing");
else if (hpa && typeof pdb.spec.maxUnavailable === "number" && pdb.spec.maxUnavailable >= (hpa.spec.minReplicas ?? 1)) {
  problem(id(pdb), "maxUnavailable must stay below the HPA's minReplicas");
}

// ---- 4. references -----------------------------------------------------------------------------
const named = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const podsOf = (selector) => workloads.filter((w) => matches(selector, w.spec?.template?.metadata?.labels));

const namespaces = new Set(objects.filter((o) => o.kind !== "Namespace").map((o) => o.metadata?.namespace ?? ""));
if (namespaces.size > 1) problem("namespace", `objects spread over namespaces ${[...namespaces].join(", ")}`);

for (const w of workloads) {
  const where = id(w);
  if (!matches(w.spec?.selector?.matchLabels, w.spec?.template?.metadata?.labels)) problem(where, "selector does not match the pod template's labels");
  const pod = w.spec?.template?.spec ?? {};
  if (pod.serviceAccountName && !named("ServiceAccount", pod.serviceAccountName)) problem(where, `ServiceAccount ${pod.serviceAccountName} is not defined`);
  for (const c of pod.containers ?? []) {
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef && !named("ConfigMap", from.configMapRef.name)) problem(where, `ConfigMap ${from.configMapRef.name} is not defined`);
      if (from.secretRef && !named("Secret", from.secretRef.name)) problem(where, `Secret ${from.secretRef.name} is not defined`);
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        const secret = named("Secret", ref.name);
        const keys = { ...(secret?.data ?? {}), ...(secret?.stringData ?? {}) };
        if (!secret) problem(where, `Secret ${ref.name} (env ${e.name}) is not defined`);
        else if (!(ref.key in keys)) problem(where, `Secret ${ref.name} has no key ${ref.key} (env ${e.name})`);
      }
    }
    for (const m of c.volumeMounts ?? []) {
      if (!(pod.volumes ?? []).some((v) => v.name === m.name)) problem(where, `volumeMount ${m.name} has no volume`);
    }
  }
}

for (const s of objects.filter((o) => o.kind === "Service")) {
  const pods = podsOf(s.spec?.selector);
  if (pods.length === 0) {
    problem(id(s), "selector matches no workload");
    continue;
  }
  for (const p of s.spec?.ports ?? []) {
    if (typeof p.targetPort === "string") {
      const found = pods.some((w) => (w.spec.template.spec.containers ?? []).some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort)));
      if (!found) problem(id(s), `targetPort ${p.targetPort} is no container port of the selected pods`);
    }
  }
}
if (hpa) {
  const ref = hpa.spec.scaleTargetRef;
  if (!named(ref.kind, ref.name)) problem(id(hpa), `scaleTargetRef ${ref.kind}/${ref.name} is not defined`);
}
for (const o of objects.filter((x) => x.kind === "PodDisruptionBudget" || x.kind === "NetworkPolicy")) {
  const selector = o.kind === "NetworkPolicy" ? o.spec?.podSelector?.matchLabels : o.spec?.selector?.matchLabels;
  if (podsOf(selector).length === 0) problem(id(o), "selector matches no workload");
}

for (const line of problems) console.log(line);
console.log(`${label}: ${objects.length} objects, ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
