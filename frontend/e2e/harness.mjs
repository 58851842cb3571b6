// The e2e harness: the real API (fresh SQLite, local executor) + the static build, driven in
// Debian's Chromium. Each test file calls `setup("<name>")` once and gets its own API, browser and
// screenshot folder (test-artifacts/<name>/).
//
//   npm run e2e
//
// Needs: the Python env (`.venv/bin/automl` at the repo root, i.e. `make install`), /usr/bin/chromium
// (or CHROMIUM_PATH), the built frontend (`npm run build`; built here when `out/` is missing) and
// ../shared/datasets/titanic.csv beside the repo (or E2E_DATASET). Screenshots go to test-artifacts/.
// E2E_API_CMD overrides the command that starts the API (it gets AUTOML_* in its environment).
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO = resolve(FRONTEND, "..");
export const ARTIFACTS_ROOT = join(FRONTEND, "test-artifacts");
export let ARTIFACTS = ARTIFACTS_ROOT;
export const DATASET = process.env.E2E_DATASET ?? resolve(REPO, "../shared/datasets/titanic.csv");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const RUN_TIMEOUT = Number(process.env.E2E_RUN_TIMEOUT_MS ?? 240_000);

let api;
let apiLog;
let browser;
export let page;
export let base;
let dataDir;
let shot = 0;

/** Newest modification time of any file under `dir` (to rebuild a stale `out/`). */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The port the API bound (it is started on port 0, so no other process can take it in between). */
function listeningPort(streams, ms = 60_000) {
  return new Promise((ok, fail) => {
    let text = "";
    const timer = setTimeout(() => fail(new Error(`the API never said its port: ${text.slice(-2000)}`)), ms);
    for (const stream of streams) {
      stream.on("data", (chunk) => {
        text += chunk;
        const found = /Uvicorn running on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
        if (found) {
          clearTimeout(timer);
          ok(Number(found[1]));
        }
      });
    }
  });
}

async function waitForHealth(url, ms = 60_000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    if (api.exitCode !== null) throw new Error(`the API exited with ${api.exitCode}; see ${join(ARTIFACTS, "api.log")}`);
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the API did not become healthy: ${last}`);
}

export async function snap(name) {
  shot += 1;
  await page.screenshot({ path: join(ARTIFACTS, `${String(shot).padStart(2, "0")}-${name}.png`), fullPage: false });
}

/** Registers this file's before/after: a fresh API and browser, screenshots under test-artifacts/<name>/. */
export function setup(name) {
  ARTIFACTS = join(ARTIFACTS_ROOT, name);
  before(start);
  after(stop);
}

async function start() {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install -y chromium`);
  assert.ok(existsSync(DATASET), `no dataset at ${DATASET}`);
  if (!existsSync(join(FRONTEND, "out", "index.html")) || newestMtime(join(FRONTEND, "src")) > statSync(join(FRONTEND, "out", "index.html")).mtimeMs) {
    const b = spawnSync("npm", ["run", "build"], { cwd: FRONTEND, stdio: "inherit" });
    assert.equal(b.status, 0, "frontend build failed");
  }
  dataDir = mkdtempSync(join(tmpdir(), "automl-e2e-"));
  const env = {
    ...process.env,
    AUTOML_DATA_DIR: dataDir,
    AUTOML_PORT: "0",
    AUTOML_HOST: "127.0.0.1",
    AUTOML_EXECUTOR: "local",
    AUTOML_AUTH: "local",
    AUTOML_FRONTEND_DIR: join(FRONTEND, "out"),
  };
  delete env.GOOGLE_CLIENT_ID;
  delete env.DATABASE_URL;
  delete env.FRONTEND_URL;
  const cmd = process.env.E2E_API_CMD ?? `${join(REPO, ".venv/bin/automl")} serve`;
  apiLog = createWriteStream(join(ARTIFACTS, "api.log"));
  api = spawn("sh", ["-c", `exec ${cmd}`], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  api.stdout.pipe(apiLog);
  api.stderr.pipe(apiLog);
  base = `http://127.0.0.1:${await listeningPort([api.stdout, api.stderr])}`;
  await waitForHealth(base);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const consoleLog = createWriteStream(join(ARTIFACTS, "browser-console.log"));
  page.on("console", (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
  page.on("pageerror", (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
}

async function stop() {
  await browser?.close().catch(() => {});
  if (api && api.exitCode === null) {
    try {
      process.kill(-api.pid, "SIGTERM");
    } catch {
      /* gone */
    }
    await new Promise((r) => {
      const t = setTimeout(() => {
        try {
          process.kill(-api.pid, "SIGKILL");
        } catch {
          /* gone */
        }
        r();
      }, 5000);
      api.once("exit", () => {
        clearTimeout(t);
        r();
      });
    });
  }
  apiLog?.end();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

/** Drag a palette item onto the canvas (HTML5 drag and drop). No click-to-add fallback: a drop that
 * adds nothing fails the test, so broken drag and drop cannot pass. */
export async function addNode(type, x, y) {
  const nodes = page.locator(".react-flow__node");
  const count = await nodes.count();
  const canvas = page.getByTestId("canvas");
  await page.getByTestId(`palette-${type}`).dragTo(canvas, { targetPosition: { x, y } });
  await nodes.nth(count).waitFor({ timeout: 10_000 }).catch(() => assert.fail(`dropping ${type} on the canvas added no node`));
  return page.locator(`[data-testid="node-${type}"]`).last().getAttribute("data-node-id");
}

/** Connect two handles by mouse: down on the source handle, move, up on the target handle. */
export async function drawEdge(sourceId, sourcePort, targetId, targetPort) {
  const from = page.getByTestId(`handle-${sourceId}-out-${sourcePort}`);
  const to = page.getByTestId(`handle-${targetId}-in-${targetPort}`);
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.waitForTimeout(50);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 10, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.waitForTimeout(50);
  await page.mouse.up();
}

/** Draw an edge that must be accepted (retries once if the mouse missed the handle). */
export async function connect(sourceId, sourcePort, targetId, targetPort) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const before = await page.locator(".react-flow__edge").count();
    await drawEdge(sourceId, sourcePort, targetId, targetPort);
    try {
      await page.waitForFunction((n) => document.querySelectorAll(".react-flow__edge").length > n, before, { timeout: 2000 });
      return;
    } catch {
      console.log(`edge ${sourceId} -> ${targetId} not drawn on attempt ${attempt + 1}`);
    }
  }
  throw new Error(`could not connect ${sourceId}.${sourcePort} -> ${targetId}.${targetPort}`);
}

export async function selectNode(id) {
  await page.locator(`.react-flow__node[data-id="${id}"] .head`).click();
  await page.getByTestId("param-form").waitFor();
}

let failed = false;
/** Starts a new journey: its steps run even if an earlier journey failed. */
export function resetSteps() {
  failed = false;
}
/** A step of the journey: later steps skip once one fails; a failure leaves a screenshot. */
export function step(t, name, fn) {
  return t.test(name, { skip: failed ? "an earlier step failed" : false }, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      await snap(`FAILED-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40)}`).catch(() => {});
      throw e;
    }
  });
}
