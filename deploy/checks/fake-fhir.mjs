// A stand-in FHIR server for checking deploy/compose/load-samples.sh (deploy/check.sh): answers
// GET <base>/metadata, and POST <base> with a transaction Bundle whose entries all carry a PUT
// request with a resource of the type the URL names (as HAPI would accept them), answering a
// transaction-response. GET /_loaded lists what was stored. Loopback only; stops on SIGTERM.
// Usage: node deploy/checks/fake-fhir.mjs <port>
import { createServer } from "node:http";

const port = Number(process.argv[2]);
const loaded = [];
const send = (res, status, body) => {
  res.writeHead(status, { "Content-Type": "application/fhir+json" });
  res.end(JSON.stringify(body));
};
const outcome = (text) => ({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "invalid", diagnostics: text }] });

createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c)).on("end", () => {
    if (req.method === "GET" && req.url === "/fhir/metadata") return send(res, 200, { resourceType: "CapabilityStatement", status: "active", fhirVersion: "4.0.1" });
    if (req.method === "GET" && req.url === "/_loaded") return send(res, 200, loaded);
    if (req.method !== "POST" || req.url !== "/fhir") return send(res, 404, outcome(`no ${req.method} ${req.url}`));
    if (!/^application\/fhir\+json/.test(req.headers["content-type"] ?? "")) return send(res, 415, outcome("Content-Type must be application/fhir+json"));
    let bundle;
    try {
      bundle = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(res, 400, outcome("not JSON"));
    }
    if (bundle.resourceType !== "Bundle" || bundle.type !== "transaction" || !Array.isArray(bundle.entry) || bundle.entry.length === 0) {
      return send(res, 400, outcome("expected a transaction Bundle with entries"));
    }
    for (const e of bundle.entry) {
      const [type, id] = (e.request?.url ?? "").split("/");
      if (e.request?.method !== "PUT" || e.resource?.resourceType !== type || e.resource?.id !== id) return send(res, 400, outcome(`entry ${e.fullUrl}: expected PUT <type>/<id> of its resource`));
    }
    const patient = bundle.entry.find((e) => e.resource.resourceType === "Patient")?.resource.id ?? null;
    loaded.push({ patient, entries: bundle.entry.length });
    send(res, 200, { resourceType: "Bundle", type: "transaction-response", entry: bundle.entry.map(() => ({ response: { status: "200 OK" } })) });
  });
}).listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
