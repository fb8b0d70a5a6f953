// Checks the Grafana dashboard against the metric contract (deploy/grafana/metrics-contract.txt):
//   - valid JSON with a uid, a title, unique panel ids, panels inside the 24-column grid that do not
//     overlap, every query on the ${datasource} variable;
//   - every metric name in every PromQL query is a contract name (pttm_*) or a standard one
//     (ASP.NET Core, HttpClient, .NET runtime, Prometheus' up, target_info), and every label a pttm_*
//     query groups or filters by is one of that metric's labels;
//   - every contract metric has a panel.
// Usage:
//   node deploy/checks/dashboard.mjs <dashboard.json> <contract.txt>             check, exit 1 on a problem
//   node deploy/checks/dashboard.mjs <dashboard.json> <contract.txt> --rules F   also write every query,
//        Grafana variables filled in, as a Prometheus rule file (for promtool check rules)
//   node deploy/checks/dashboard.mjs <dashboard.json> <contract.txt> --names     print the metric names
//        the dashboard queries, one a line (for check.sh --metrics)
//   node deploy/checks/dashboard.mjs <dashboard.json> <contract.txt> --expr TITLE print one panel's query
import { readFileSync, writeFileSync } from "node:fs";

const [dashboardFile, contractFile, mode, modeArg] = process.argv.slice(2);
const problems = [];

// Grafana's variables, filled in with values PromQL accepts, so that promtool can parse the queries.
export const variables = {
  $__rate_interval: "1m",
  $__range: "1h",
  $__interval: "1m",
  $window: "1d",
  $job: "pttm-hooks",
  $instance: ".*",
  $service: ".*",
};
const fill = (expr) => expr.replace(/\$\{?(__rate_interval|__range|__interval|window|job|instance|service)\}?/g, (_, v) => variables[`$${v}`]);

const contract = new Map(); // name -> { kind, labels }
for (const line of readFileSync(contractFile, "utf8").split("\n")) {
  const text = line.replace(/#.*/, "").trim();
  if (!text) continue;
  const [name, kind, ...rest] = text.split(/\s+/);
  contract.set(name, { kind, labels: rest.join(" ").split(",").map((l) => l.trim()).filter(Boolean) });
}
const series = new Map(); // queryable series name -> contract name
for (const [name, { kind }] of contract) {
  if (kind === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) series.set(name + suffix, name);
  else series.set(name, name);
}
const standard = /^(http_server_|http_client_|dotnet_|process_|kestrel_|aspnetcore_)[a-z0-9_]+$|^(up|target_info)$/;
const keywords = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN"]);

/** The metric names a PromQL expression reads. */
export function metricNames(expr) {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  s = s.replace(/\{[^}]*\}/g, " ").replace(/\[[^\]]*\]/g, " ");
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = s[m.index - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue; // 1e3, 0.5
    const after = s.slice(m.index + m[0].length).trimStart();
    if (after.startsWith("(")) continue; // a function
    if (keywords.has(m[0])) continue;
    names.add(m[0]);
  }
  return names;
}

/** The label names an expression filters on ({label=...}) or groups by (by (...)). */
function labelNames(expr) {
  const s = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const labels = new Set();
  for (const m of s.matchAll(/\{([^}]*)\}/g)) for (const l of m[1].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) labels.add(l[1]);
  for (const m of s.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) for (const l of m[1].split(",")) if (l.trim()) labels.add(l.trim());
  return labels;
}

let dashboard;
try {
  dashboard = JSON.parse(readFileSync(dashboardFile, "utf8"));
} catch (e) {
  console.log(`dashboard: not valid JSON: ${e.message}`);
  process.exit(1);
}

if (!dashboard.uid || !dashboard.title) problems.push("the dashboard needs a uid and a title");
if (!(dashboard.templating?.list ?? []).some((v) => v.name === "datasource" && v.type === "datasource")) problems.push("no datasource variable");

const panels = [];
const collect = (list) => {
  for (const p of list ?? []) {
    panels.push(p);
    collect(p.panels);
  }
};
collect(dashboard.panels);

const ids = new Set();
const cells = new Map();
const queries = []; // { panel, expr }
for (const p of panels) {
  const where = `panel ${p.id} "${p.title}"`;
  if (typeof p.id !== "number" || ids.has(p.id)) problems.push(`${where}: missing or duplicate id`);
  ids.add(p.id);
  const g = p.gridPos;
  if (!g || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1 || g.y < 0) {
    problems.push(`${where}: gridPos outside the 24-column grid`);
  } else {
    for (let x = g.x; x < g.x + g.w; x++) {
      for (let y = g.y; y < g.y + g.h; y++) {
        const key = `${x},${y}`;
        if (cells.has(key)) problems.push(`${where}: overlaps panel ${cells.get(key)} at ${key}`);
        cells.set(key, p.id);
      }
    }
  }
  if (p.type === "row") continue;
  if (!p.title) problems.push(`panel ${p.id}: no title`);
  if ((p.targets ?? []).length === 0) problems.push(`${where}: no query`);
  const refs = new Set();
  for (const t of p.targets ?? []) {
    if (!t.expr) problems.push(`${where}: a target without expr`);
    if (refs.has(t.refId)) problems.push(`${where}: duplicate refId ${t.refId}`);
    refs.add(t.refId);
    const ds = t.datasource ?? p.datasource;
    if (ds?.uid !== "${datasource}") problems.push(`${where}: query not on the \${datasource} variable`);
    if (t.expr) queries.push({ panel: p, expr: t.expr });
  }
}
// Dedupe overlap messages: report each pair once.
const unique = [...new Set(problems)];
problems.length = 0;
problems.push(...unique);

const used = new Set();
for (const { panel, expr } of queries) {
  const where = `panel ${panel.id} "${panel.title}"`;
  const names = metricNames(expr);
  if (names.size === 0) problems.push(`${where}: no metric in ${expr}`);
  const pttm = [];
  for (const name of names) {
    if (series.has(name)) {
      used.add(series.get(name));
      pttm.push(series.get(name));
    } else if (name.startsWith("pttm_")) {
      problems.push(`${where}: ${name} is not in the metric contract`);
    } else if (!standard.test(name)) {
      problems.push(`${where}: ${name} is neither a contract metric nor a standard one`);
    }
  }
  if (pttm.length > 0 && pttm.length === names.size) {
    const allowed = new Set(["job", "instance", "le", ...pttm.flatMap((n) => contract.get(n).labels)]);
    for (const label of labelNames(expr)) if (!allowed.has(label)) problems.push(`${where}: ${label} is not a label of ${pttm.join(", ")}`);
  }
}
for (const name of contract.keys()) if (!used.has(name)) problems.push(`contract metric ${name} has no panel`);

if (mode === "--names") {
  const all = new Set(queries.flatMap((q) => [...metricNames(q.expr)]));
  for (const n of [...all].sort()) console.log(n);
  process.exit(problems.length === 0 ? 0 : 1);
}
if (mode === "--expr") {
  const q = queries.find((x) => x.panel.title === modeArg);
  if (!q) {
    console.error(`no panel titled ${modeArg}`);
    process.exit(1);
  }
  console.log(fill(q.expr));
  process.exit(0);
}
if (mode === "--rules") {
  const rules = queries.map((q, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(fill(q.expr))}`);
  writeFileSync(modeArg, `groups:\n  - name: dashboard-queries\n    rules:\n${rules.join("\n")}\n`);
}

for (const p of problems) console.log(`dashboard: ${p}`);
console.log(`dashboard: ${panels.filter((p) => p.type !== "row").length} panels, ${queries.length} queries, ${contract.size} contract metrics, ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
