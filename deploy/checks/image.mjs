// Checks deploy/Dockerfile without a container engine.
//   node deploy/checks/image.mjs context
//       The build context as Docker sends it (the repository's files filtered by .dockerignore, with
//       Docker's matching rules) holds every file the Dockerfile COPYs from it.
//   node deploy/checks/image.mjs build <dir>
//       Runs the Dockerfile's "build" stage on this machine: copies the filtered context to
//       <dir>/context, replays the stage's WORKDIR, ENV, COPY and RUN in <dir>/root (a RUN's /out/...
//       paths land in <dir>/root/out/...), then checks that every later stage's COPY --from=build
//       source exists and that ENTRYPOINT and HEALTHCHECK name files the image will hold. Prints
//       a JSON summary (the published folders) for deploy/check.sh to run them.
// Only the instructions this Dockerfile uses are understood; anything else fails the check.
import { execFileSync, execSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const [mode, outDir] = process.argv.slice(2);
const fail = (text) => {
  console.log(`image: ${text}`);
  process.exit(1);
};

// ---- .dockerignore, as Docker (moby/patternmatcher) reads it ------------------------------------
function ignoreRules() {
  const file = path.join(root, ".dockerignore");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((line) => {
    const negated = line.startsWith("!");
    let p = path.posix.normalize((negated ? line.slice(1) : line).trim()).replace(/^\/+/, "").replace(/\/+$/, "");
    let re = "";
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === "*" && p[i + 1] === "*") {
        if (p[i + 2] === "/") {
          re += "(?:.*/)?";
          i += 2;
        } else {
          re += ".*";
          i += 1;
        }
      } else if (c === "*") re += "[^/]*";
      else if (c === "?") re += "[^/]";
      else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    return { negated, re: new RegExp(`^${re}$`) };
  });
}

// A path is excluded when the last rule matching it, or one of its parent folders, excludes it.
function included(file, rules) {
  const parts = file.split("/");
  let excluded = false;
  for (const rule of rules) {
    for (let n = parts.length; n >= 1; n--) {
      if (rule.re.test(parts.slice(0, n).join("/"))) {
        excluded = !rule.negated;
        break;
      }
    }
  }
  return !excluded;
}

function contextFiles() {
  const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0").filter(Boolean).filter((f) => existsSync(path.join(root, f)));
  const rules = ignoreRules();
  return listed.filter((f) => included(f, rules));
}

// ---- the Dockerfile: stages and instructions ----------------------------------------------------
function stages() {
  const text = readFileSync(path.join(root, "deploy/Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const result = [];
  const args = {};
  let stage = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [, op, rest] = /^(\S+)\s*(.*)$/.exec(line);
    const instruction = op.toUpperCase();
    if (instruction === "ARG" && !stage) {
      const m = /^(\w+)(?:=(\S+))?$/.exec(rest);
      if (m) args[m[1]] = m[2] ?? "";
    } else if (instruction === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      const image = m[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? "");
      stage = { image, name: m[2] ?? String(result.length), steps: [] };
      result.push(stage);
    } else if (stage) {
      stage.steps.push({ op: instruction, args: rest });
    } else if (instruction !== "ARG") {
      fail(`${instruction} before the first FROM`);
    }
  }
  return result;
}

// COPY [--flag=value ...] <src>... <dest>, or its JSON form.
function parseCopy(args) {
  const flags = {};
  let rest = args;
  for (let m; (m = /^--([a-z]+)=(\S+)\s+/.exec(rest)); rest = rest.slice(m[0].length)) flags[m[1]] = m[2];
  const words = rest.startsWith("[") ? JSON.parse(rest) : rest.split(/\s+/);
  return { flags, sources: words.slice(0, -1), dest: words.at(-1) };
}

const exec = (args) => (args.startsWith("[") ? JSON.parse(args) : ["/bin/sh", "-c", args]);

const all = stages();
const contextSet = new Set(contextFiles());
const inContext = (src) => {
  const clean = path.posix.normalize(src).replace(/\/+$/, "");
  return contextSet.has(clean) || [...contextSet].some((f) => f.startsWith(`${clean}/`));
};

if (mode === "context") {
  const problems = [];
  for (const s of all) {
    for (const step of s.steps.filter((x) => x.op === "COPY" || x.op === "ADD")) {
      const { flags, sources } = parseCopy(step.args);
      if (flags.from) continue;
      for (const src of sources) if (!inContext(src)) problems.push(`stage ${s.name}: COPY ${src}: not in the build context (missing, or excluded by .dockerignore)`);
    }
  }
  // What must never reach the daemon: build output, local secrets.
  for (const f of contextSet) if (/(^|\/)(bin|obj|node_modules|TestResults)\//.test(f) || /\.(user|pfx|pem|key)$/.test(f)) problems.push(`${f} is in the build context`);
  for (const p of problems) console.log(`image: ${p}`);
  console.log(`image: build context ${contextSet.size} files, ${problems.length} problem(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}

if (mode !== "build" || !outDir) fail("usage: image.mjs context | build <dir>");

// ---- replay the build stage ---------------------------------------------------------------------
const build = all.find((s) => s.name === "build") ?? fail("no stage named build");
const ctx = path.join(outDir, "context");
const fsRoot = path.join(outDir, "root");
rmSync(outDir, { recursive: true, force: true });
for (const f of contextSet) cpSync(path.join(root, f), path.join(ctx, f));
mkdirSync(fsRoot, { recursive: true });

let cwd = "/";
const env = {};
const inRoot = (p) => path.join(fsRoot, path.posix.resolve(cwd, p));
for (const { op, args } of build.steps) {
  if (op === "WORKDIR") {
    cwd = path.posix.resolve(cwd, args);
    mkdirSync(inRoot("."), { recursive: true });
  } else if (op === "ENV") {
    for (const m of args.matchAll(/(\w+)=(\S+)/g)) env[m[1]] = m[2];
  } else if (op === "COPY") {
    const { flags, sources, dest } = parseCopy(args);
    if (flags.from) fail("COPY --from in the build stage is not replayed");
    const intoDir = dest.endsWith("/") || sources.length > 1;
    for (const src of sources) {
      const from = path.join(ctx, src);
      if (!existsSync(from)) fail(`build stage: COPY ${src}: not in the build context`);
      if (statSync(from).isDirectory()) cpSync(from, inRoot(dest), { recursive: true });
      else cpSync(from, intoDir ? path.join(inRoot(dest), path.basename(src)) : inRoot(dest));
    }
  } else if (op === "RUN") {
    // The stage writes its results under /out: here under <dir>/root/out.
    const command = args.replace(/(^|\s)\/out\//g, `$1${fsRoot}/out/`);
    console.error(`image: RUN ${command}`);
    try {
      execSync(command, { cwd: inRoot("."), shell: "/bin/bash", env: { ...process.env, ...env }, stdio: ["ignore", process.stderr, process.stderr] });
    } catch {
      fail(`build stage: RUN failed: ${args}`);
    }
  } else if (op !== "ARG") {
    fail(`build stage: ${op} is not replayed by this check`);
  }
}

// ---- later stages: what they copy from the build stage and the context, what they run -----------
const summary = {};
const problems = [];
for (const s of all.filter((x) => x !== build)) {
  let workdir = "/";
  const mounts = []; // [container path, host path]
  const stageEnv = {};
  for (const { op, args } of s.steps) {
    if (op === "WORKDIR") workdir = path.posix.resolve(workdir, args);
    else if (op === "ENV") for (const m of args.matchAll(/(\w+)=(\S+)/g)) stageEnv[m[1]] = m[2];
    else if (op === "COPY") {
      const { flags, sources, dest } = parseCopy(args);
      const target = path.posix.resolve(workdir, dest);
      for (const src of sources) {
        const host = flags.from === "build" ? path.join(fsRoot, src) : flags.from ? null : path.join(ctx, src);
        if (host === null) problems.push(`stage ${s.name}: COPY --from=${flags.from} is not checked`);
        else if (!existsSync(host)) problems.push(`stage ${s.name}: COPY ${flags.from ? "--from=build " : ""}${src}: nothing there`);
        else mounts.push([statSync(host).isDirectory() || dest.endsWith("/") ? target : target, host, statSync(host).isDirectory()]);
      }
    }
  }
  // A path in the image, back to the file on this machine that the stage copied there.
  const resolveInImage = (p) => {
    const abs = path.posix.resolve(workdir, p);
    for (const [target, host, isDir] of mounts) {
      if (isDir && (abs === target || abs.startsWith(`${target}/`))) {
        const candidate = path.join(host, abs.slice(target.length));
        if (existsSync(candidate)) return candidate;
      } else if (!isDir && (abs === target || abs === path.posix.join(target, path.basename(host)))) return host;
    }
    return null;
  };
  const entry = s.steps.filter((x) => x.op === "ENTRYPOINT").at(-1);
  const health = s.steps.filter((x) => x.op === "HEALTHCHECK").at(-1);
  const record = { workdir, env: stageEnv };
  if (entry) {
    const argv = exec(entry.args);
    const dll = argv.find((a) => a.endsWith(".dll"));
    record.entrypoint = argv;
    if (dll) {
      record.dll = resolveInImage(dll);
      if (!record.dll) problems.push(`stage ${s.name}: ENTRYPOINT runs ${dll}, which the stage does not hold`);
      else {
        // The shared frameworks the app needs must be in the base image: aspnet holds both,
        // runtime only Microsoft.NETCore.App.
        const config = JSON.parse(readFileSync(record.dll.replace(/\.dll$/, ".runtimeconfig.json"), "utf8")).runtimeOptions ?? {};
        const needs = (config.frameworks ?? [config.framework]).filter(Boolean).map((f) => f.name);
        const has = /\/aspnet:/.test(s.image) ? ["Microsoft.NETCore.App", "Microsoft.AspNetCore.App"] : /\/runtime:/.test(s.image) ? ["Microsoft.NETCore.App"] : [];
        for (const f of needs) if (!has.includes(f)) problems.push(`stage ${s.name}: ${path.basename(dll)} needs ${f}, which ${s.image} does not hold`);
        record.image = s.image;
      }
    }
  }
  if (health) {
    const argv = exec(health.args.replace(/^(--\S+\s+)*CMD\s+/, ""));
    const dll = argv.find((a) => a.endsWith(".dll"));
    record.healthcheck = argv;
    record.healthDll = dll ? resolveInImage(dll) : null;
    if (!record.healthDll) problems.push(`stage ${s.name}: HEALTHCHECK runs ${dll ?? argv[0]}, which the stage does not hold`);
  }
  for (const [target, host] of mounts) if (target.startsWith("/usr/local/bin/") && !(statSync(host).mode & 0o111) && !/--chmod=0?7/.test(JSON.stringify(s.steps))) problems.push(`stage ${s.name}: ${target} is not executable`);
  summary[s.name] = record;
}
for (const p of problems) console.log(`image: ${p}`);
console.log(JSON.stringify(summary));
process.exit(problems.length === 0 ? 0 : 1);
