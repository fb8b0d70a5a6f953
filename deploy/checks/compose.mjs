// Cross-checks the compose trial beyond what `docker-compose config` validates: the files it mounts
// and builds exist, third-party images are pinned, and the services it wires together agree with
// each other (Prometheus targets, the collector's endpoints, Grafana's data sources and dashboard
// folder, the service's port, and the loopback forwarder that lets the Development service reach
// HAPI: deploy/compose/docker-compose.yml explains why).
// Usage: node deploy/checks/compose.mjs <output of docker-compose config> <repository root>
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

const [configFile, root] = process.argv.slice(2);
const config = parse(readFileSync(configFile, "utf8"));
const services = config.services ?? {};
const names = new Set(Object.keys(services));
const problems = [];
const problem = (where, text) => problems.push(`compose: ${where}: ${text}`);
const composeDir = path.join(root, "deploy/compose");
const read = (file) => parse(readFileSync(path.join(composeDir, file), "utf8"));
const hostPort = (url) => {
  const m = /^(?:[a-z]+:\/\/)?([^/:]+):(\d+)/.exec(url);
  return m ? { host: m[1], port: Number(m[2]) } : null;
};
const mounts = (svc) => (svc.volumes ?? []).map((v) => (typeof v === "string" ? { source: v.split(":")[0], target: v.split(":")[1] } : v));

// Files mounted and built.
const builtImages = new Set();
for (const [name, svc] of Object.entries(services)) {
  for (const m of mounts(svc)) {
    if (m.source?.startsWith("/") && !existsSync(m.source)) problem(name, `mounts ${m.source}, which does not exist`);
  }
  if (svc.build) {
    builtImages.add(svc.image);
    const dockerfile = path.resolve(svc.build.context, svc.build.dockerfile ?? "Dockerfile");
    if (!existsSync(dockerfile)) {
      problem(name, `builds ${dockerfile}, which does not exist`);
    } else if (svc.build.target) {
      const stages = [...readFileSync(dockerfile, "utf8").matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
      if (!stages.includes(svc.build.target)) problem(name, `build target ${svc.build.target} is not a stage of ${dockerfile} (${stages.join(", ")})`);
    }
  }
}
for (const [name, svc] of Object.entries(services)) {
  if (!svc.image) problem(name, "no image");
  else if (!builtImages.has(svc.image) && (!/:[^/]+$/.test(svc.image) || /:latest$/.test(svc.image))) problem(name, `image ${svc.image} must be pinned to a version`);
}

// The service: its port, hardening, and where it sends telemetry.
const svc = services["pttm-hooks"];
let servicePort = 8080;
if (!svc) {
  problem("pttm-hooks", "missing");
} else {
  const env = svc.environment ?? {};
  servicePort = Number(String(env.ASPNETCORE_HTTP_PORTS ?? "8080").split(/[;,]/)[0]);
  if (svc.read_only !== true) problem("pttm-hooks", "read_only must be true (the image writes nothing)");
  if (!(svc.ports ?? []).some((p) => Number(p.target) === servicePort)) problem("pttm-hooks", `port ${servicePort} (ASPNETCORE_HTTP_PORTS) is not published`);
  const otlp = hostPort(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "");
  if (!otlp || otlp.host !== "otel-collector") problem("pttm-hooks", "OTEL_EXPORTER_OTLP_ENDPOINT must point at the otel-collector service");
  else {
    const collector = read("otel-collector.yaml");
    const grpc = hostPort(collector.receivers?.otlp?.protocols?.grpc?.endpoint ?? "");
    const http = hostPort(collector.receivers?.otlp?.protocols?.http?.endpoint ?? "");
    const expected = (env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "grpc") === "grpc" ? grpc : http;
    if (!expected || expected.port !== otlp.port) problem("pttm-hooks", `OTEL_EXPORTER_OTLP_ENDPOINT port ${otlp.port} is not the collector's OTLP ${env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "grpc"} receiver`);
  }
  if (env.Cds__Telemetry__Prometheus !== "true") problem("pttm-hooks", "Cds__Telemetry__Prometheus must be true: Prometheus scrapes /metrics");

  // The loopback forwarder: the FHIR base the service trusts must reach HAPI through it.
  const forwarder = Object.entries(services).find(([, s]) => s.network_mode === "service:pttm-hooks");
  const open = env.Cds__Fallback__OpenServers__0;
  const dev = JSON.parse(readFileSync(path.join(root, "src/PttmHooks.Service/appsettings.Development.json"), "utf8"));
  const trusted = (dev.Cds?.Clients?.local?.FhirServers ?? []).map((u) => u.replace(/\/$/, ""));
  if (!forwarder) problem("pttm-hooks", "no service shares its network namespace to forward its loopback to HAPI");
  else {
    const [fname, f] = forwarder;
    const args = [...(f.entrypoint ?? []), ...(f.command ?? [])].join(" ");
    const listen = /TCP-LISTEN:(\d+),bind=127\.0\.0\.1/.exec(args);
    const target = /TCP:([\w-]+):(\d+)/.exec(args);
    if (!listen) problem(fname, "must listen on 127.0.0.1 only (TCP-LISTEN:<port>,bind=127.0.0.1)");
    if (!target || target[1] !== "hapi") problem(fname, "must forward to the hapi service");
    if (listen && Number(listen[1]) === servicePort) problem(fname, `listens on ${listen[1]}, the service's own port`);
    if (listen) {
      const base = `http://localhost:${listen[1]}/fhir`;
      if (open !== base) problem("pttm-hooks", `Cds__Fallback__OpenServers__0 should be ${base} (the forwarder)`);
      if (!trusted.includes(base)) problem("pttm-hooks", `${base} is not a FHIR server of the client local in appsettings.Development.json`);
    }
    const hapiPorts = (services.hapi?.ports ?? []).map((p) => Number(p.published));
    if (listen && !hapiPorts.includes(Number(listen[1]))) problem("hapi", `publish ${listen[1]} so that the host sees HAPI at the same URL as the service`);
  }
}

// Prometheus scrapes services that exist, on their ports.
const prometheus = read("prometheus.yml");
const collector = read("otel-collector.yaml");
const collectorMetricsPort = hostPort(collector.exporters?.prometheus?.endpoint ?? "")?.port;
for (const job of prometheus.scrape_configs ?? []) {
  for (const t of (job.static_configs ?? []).flatMap((s) => s.targets ?? [])) {
    const hp = hostPort(t);
    if (!hp) problem("prometheus.yml", `target ${t} has no host:port`);
    else if (hp.host !== "localhost" && !names.has(hp.host)) problem("prometheus.yml", `target ${t}: no service ${hp.host}`);
    else if (hp.host === "pttm-hooks" && hp.port !== servicePort) problem("prometheus.yml", `target ${t}: the service listens on ${servicePort}`);
    else if (hp.host === "otel-collector" && hp.port !== collectorMetricsPort) problem("prometheus.yml", `target ${t}: the collector's prometheus exporter listens on ${collectorMetricsPort}`);
  }
}
if (!(prometheus.scrape_configs ?? []).some((j) => j.job_name === "pttm-hooks")) problem("prometheus.yml", 'no job "pttm-hooks" (the dashboard\'s default job)');

// The collector sends traces to Jaeger, and every pipeline uses declared components.
for (const [name, exporter] of Object.entries(collector.exporters ?? {})) {
  const hp = hostPort(exporter?.endpoint ?? "");
  if (name.startsWith("otlp") && (!hp || !names.has(hp.host))) problem("otel-collector.yaml", `exporter ${name}: no service ${hp?.host}`);
}
for (const [pipeline, p] of Object.entries(collector.service?.pipelines ?? {})) {
  for (const kind of ["receivers", "processors", "exporters"]) {
    for (const c of p[kind] ?? []) if (!(c in (collector[kind] ?? {}))) problem("otel-collector.yaml", `pipeline ${pipeline}: ${kind.slice(0, -1)} ${c} is not declared`);
  }
}
if (!(collector.service?.pipelines?.traces?.exporters ?? []).some((e) => e.startsWith("otlp"))) problem("otel-collector.yaml", "traces must go to Jaeger over OTLP");

// Grafana: data sources on services, and the dashboard folder mounted where the provider reads.
const grafana = services.grafana;
if (grafana) {
  const ds = parse(readFileSync(path.join(composeDir, "grafana/provisioning/datasources/datasources.yaml"), "utf8"));
  for (const d of ds.datasources ?? []) {
    const hp = hostPort(d.url ?? "");
    if (!hp || !names.has(hp.host)) problem("grafana datasources", `${d.name}: no service behind ${d.url}`);
  }
  const providers = parse(readFileSync(path.join(composeDir, "grafana/provisioning/dashboards/dashboards.yaml"), "utf8")).providers ?? [];
  for (const p of providers) {
    const folder = p.options?.path;
    const mount = mounts(grafana).find((m) => m.target === folder);
    if (!mount) problem("grafana", `dashboard provider path ${folder} is not mounted`);
    else if (!existsSync(path.join(mount.source, "pttm-hooks.json"))) problem("grafana", `${mount.source} holds no pttm-hooks.json`);
  }
  const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
  if (home && !mounts(grafana).some((m) => home.startsWith(`${m.target}/`) && existsSync(path.join(m.source, home.slice(m.target.length))))) {
    problem("grafana", `GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ${home} is no mounted file`);
  }
}

// The loader reaches HAPI by service name.
const loader = services["load-samples"];
if (loader) {
  const hp = hostPort(loader.environment?.FHIR_BASE ?? "");
  if (!hp || hp.host !== "hapi") problem("load-samples", "FHIR_BASE must be the hapi service");
}

for (const p of problems) console.log(p);
console.log(`compose: ${names.size} services, ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
