// End-to-end: the real API (fresh SQLite, local executor) + the static build, driven in Debian's Chromium.
//
//   npm run e2e
//
// Needs: the Python env (`.venv/bin/automl` at the repo root, i.e. `make install`), /usr/bin/chromium
// (or CHROMIUM_PATH), the built frontend (`npm run build`; built here when `out/` is missing) and
// ../shared/datasets/titanic.csv beside the repo (or E2E_DATASET). Screenshots go to test-artifacts/.
// E2E_API_CMD overrides the command that starts the API (it gets AUTOML_* in its environment).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REPO = resolve(FRONTEND, "..");
const ARTIFACTS = join(FRONTEND, "test-artifacts");
const DATASET = process.env.E2E_DATASET ?? resolve(REPO, "../shared/datasets/titanic.csv");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const RUN_TIMEOUT = Number(process.env.E2E_RUN_TIMEOUT_MS ?? 240_000);

let api;
let apiLog;
let browser;
let page;
let base;
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

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
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

async function snap(name) {
  shot += 1;
  await page.screenshot({ path: join(ARTIFACTS, `${String(shot).padStart(2, "0")}-${name}.png`), fullPage: false });
}

before(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install -y chromium`);
  assert.ok(existsSync(DATASET), `no dataset at ${DATASET}`);
  if (!existsSync(join(FRONTEND, "out", "index.html")) || newestMtime(join(FRONTEND, "src")) > statSync(join(FRONTEND, "out", "index.html")).mtimeMs) {
    const b = spawnSync("npm", ["run", "build"], { cwd: FRONTEND, stdio: "inherit" });
    assert.equal(b.status, 0, "frontend build failed");
  }
  const port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), "automl-e2e-"));
  base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    AUTOML_DATA_DIR: dataDir,
    AUTOML_PORT: String(port),
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
});

after(async () => {
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
});

/** Drag a palette item onto the canvas (HTML5 drag and drop); falls back to click-to-add. */
async function addNode(type, x, y) {
  const nodes = page.locator(".react-flow__node");
  const count = await nodes.count();
  const canvas = page.getByTestId("canvas");
  await page.getByTestId(`palette-${type}`).dragTo(canvas, { targetPosition: { x, y } });
  try {
    await nodes.nth(count).waitFor({ timeout: 3000 });
  } catch {
    console.log(`drag and drop of ${type} did not add a node; using click-to-add`);
    await page.getByTestId(`palette-${type}`).click();
  }
  await nodes.nth(count).waitFor();
  return page.locator(`[data-testid="node-${type}"]`).last().getAttribute("data-node-id");
}

/** Connect two handles by mouse: down on the source handle, move, up on the target handle. */
async function drawEdge(sourceId, sourcePort, targetId, targetPort) {
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
async function connect(sourceId, sourcePort, targetId, targetPort) {
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

async function selectNode(id) {
  await page.locator(`.react-flow__node[data-id="${id}"] .head`).click();
  await page.getByTestId("param-form").waitFor();
}

let failed = false; // reset per top-level test below
/** A step of the journey: later steps skip once one fails; a failure leaves a screenshot. */
function step(t, name, fn) {
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

test("sign in, upload, build, validate, run, inspect, predict", { timeout: RUN_TIMEOUT + 180_000 }, async (t) => {
  await step(t, "sign in locally", async () => {
    await page.goto(`${base}/`);
    await page.waitForURL(/\/signin/);
    await page.getByTestId("local-signin").waitFor();
    await snap("signin");
    await page.getByLabel("Email").fill("e2e@example.com");
    await page.getByLabel(/^Name/).fill("E2E Tester");
    await page.getByRole("button", { name: "Sign in locally" }).click();
    await page.waitForURL(/\/workflows\/$/);
    await page.getByTestId("user-name").filter({ hasText: "E2E Tester" }).waitFor();
    await page.getByTestId("workflows-empty").waitFor();
    await snap("workflows-empty");
  });

  await step(t, "upload titanic.csv", async () => {
    await page.getByTestId("nav-datasets").click();
    await page.getByTestId("datasets-empty").waitFor();
    await page.getByTestId("file-input").setInputFiles(DATASET);
    await page.getByTestId("dataset-link").filter({ hasText: "titanic" }).waitFor({ timeout: 60_000 });
    await snap("datasets");
    await page.getByTestId("dataset-link").first().click();
    await page.getByTestId("profile-table").waitFor();
    await page.getByTestId("preview-table").waitFor();
    const rows = (await page.getByTestId("row-count").textContent()).replace(/\D/g, "");
    assert.equal(rows, String(readFileSync(DATASET, "utf8").trim().split("\n").length - 1));
    assert.ok(await page.locator("svg.spark").count() > 0, "the profile draws histogram sparklines");
    await snap("dataset-detail");
  });

  await step(t, "build dataset -> split -> random forest -> evaluate -> visualize on the canvas", async () => {
    await page.getByTestId("nav-workflows").click();
    await page.getByTestId("new-workflow").click();
    await page.waitForURL(/\/workflows\/edit\/\?id=/);
    await page.getByTestId("canvas-empty").waitFor();
    // the canvas is ~720px wide at 1280x800: two rows
    const d = await addNode("dataset", 120, 100);
    const s = await addNode("split", 480, 100);
    const m = await addNode("model.random_forest", 120, 300);
    const e = await addNode("evaluate", 480, 300);
    const v = await addNode("visualize", 300, 500);
    await page.getByTestId("workflow-name").fill("Titanic survival");

    // an incompatible edge (data -> evaluate's model input) is refused while drawing
    await drawEdge(d, "data", e, "model");
    await page.waitForTimeout(300);
    assert.equal(await page.locator(".react-flow__edge").count(), 0, "data -> model edge must be refused");
    await page.getByTestId("toast-error").filter({ hasText: "Cannot connect: Evaluate takes model, not data" }).waitFor();

    await connect(d, "data", s, "data");
    await connect(s, "data", m, "data");
    await connect(m, "model", e, "model");
    await connect(e, "evaluation", v, "input");
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__edge").length === 4);

    await selectNode(d);
    const select = page.getByTestId("dataset-select");
    await select.selectOption(await select.locator("option", { hasText: "titanic" }).first().getAttribute("value"));
    // the target is still missing: the canvas flags the dataset node with the API's missing_target issue
    const datasetNode = page.locator(`[data-node-id="${d}"]`);
    await datasetNode.getByTestId("node-issue").filter({ hasText: /target/i }).waitFor();
    assert.equal(await datasetNode.getAttribute("data-invalid"), "true");
    await page.getByTestId("node-issues").locator('[data-code="missing_target"]').waitFor();
    await snap("canvas-missing-target");

    await page.getByTestId("column-select-target").selectOption("survived");
    await page.getByTestId("validation-ok").waitFor();
    assert.equal(await page.locator('[data-invalid="true"]').count(), 0);
    await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor();
    await page.keyboard.press("f");
    await snap("canvas-valid");
  });

  await step(t, "run and watch progress", async () => {
    await page.getByTestId("run-workflow").click();
    await page.waitForURL(/\/runs\/view\/\?id=/);
    await page.getByTestId("run-progress").waitFor();
    await snap("run-progress");
    // watch the progress bar move while the run streams
    const seen = new Set();
    const watcher = (async () => {
      for (let i = 0; i < 2000 && !seen.has("done"); i++) {
        const v = await page.getByRole("progressbar", { name: "Run progress" }).getAttribute("aria-valuenow").catch(() => null);
        if (v !== null) seen.add(Number(v));
        const st = await page.getByTestId("run-status").first().getAttribute("data-status").catch(() => null);
        if (st && ["succeeded", "failed", "cancelled"].includes(st)) break;
        await page.waitForTimeout(100);
      }
    })();
    await page.waitForSelector('[data-testid="run-status"]:is([data-status="succeeded"],[data-status="failed"],[data-status="cancelled"])', {
      timeout: RUN_TIMEOUT,
    });
    await watcher;
    console.log(`progress values seen: ${[...seen].join(", ")}`);
    assert.ok(seen.size >= 1, "the progress bar was shown");
    const status = await page.getByTestId("run-status").first().getAttribute("data-status");
    assert.equal(await page.getByRole("progressbar", { name: "Run progress" }).getAttribute("aria-valuenow"), status === "succeeded" ? "100" : await page.getByRole("progressbar", { name: "Run progress" }).getAttribute("aria-valuenow"));
    if (status !== "succeeded") {
      const err = await page.getByTestId("run-error").textContent().catch(() => "");
      assert.fail(`run ended ${status}: ${err}`);
    }
    const accuracy = page.getByTestId("metric-accuracy");
    await accuracy.waitFor();
    const value = Number((await accuracy.locator(".value").textContent()).trim());
    assert.ok(value > 0.6 && value <= 1, `accuracy ${value}`);
    await page.getByTestId("confusion-matrix").waitFor();
    assert.ok((await page.locator('[data-testid="confusion-matrix"] .cell').count()) >= 4);
    await page.getByTestId("confusion-matrix").scrollIntoViewIfNeeded();
    await snap("run-results");
  });

  await step(t, "predict one row on the model page", async () => {
    await page.getByTestId("open-model").click();
    await page.waitForURL(/\/models\/view\/\?id=/);
    await page.getByTestId("predict-form").waitFor();
    await snap("model");
    const [header, first] = readFileSync(DATASET, "utf8").trim().split("\n");
    const row = Object.fromEntries(header.split(",").map((h, i) => [h, first.split(",")[i]]));
    const inputs = page.locator('[data-testid^="feature-"]');
    for (let i = 0; i < (await inputs.count()); i++) {
      const el = inputs.nth(i);
      const name = (await el.getAttribute("data-testid")).slice("feature-".length);
      const v = row[name] ?? "";
      if (!v) continue;
      if ((await el.evaluate((x) => x.tagName)) === "SELECT") await el.selectOption(v.toLowerCase());
      else await el.fill(v);
    }
    await page.getByTestId("predict-submit").click();
    await page.getByTestId("prediction-value").waitFor();
    const predicted = (await page.getByTestId("prediction-value").textContent()).trim();
    assert.match(predicted, /^(0|1|true|false)$/i);
    await page.getByTestId("prediction-result").scrollIntoViewIfNeeded();
    await snap("prediction");
    // batch: the whole CSV
    await page.getByTestId("batch-file").setInputFiles(DATASET);
    await page.getByTestId("batch-results").waitFor({ timeout: 60_000 });
    assert.ok((await page.locator('[data-testid="batch-results"] tbody tr').count()) >= 100);
    await page.getByTestId("batch-results").scrollIntoViewIfNeeded();
    await snap("batch-prediction");
  });

  await step(t, "models list and run history show the new model and run", async () => {
    await page.getByTestId("nav-models").click();
    await page.getByTestId("model-link").first().waitFor();
    await snap("models");
    await page.goto(`${base}/workflows/`);
    await page.getByRole("link", { name: "Runs" }).first().click();
    await page.getByTestId("runs-table").waitFor();
    await snap("runs-history");
  });
});

test("canvas editing, parallel branches, conflicts and deletes", { timeout: RUN_TIMEOUT + 120_000 }, async (t) => {
  failed = false;
  const nodeCount = () => page.locator(".react-flow__node").count();
  const mod = process.platform === "darwin" ? "Meta" : "Control";

  await step(t, "start from the 'Compare three models' template", async () => {
    await page.goto(`${base}/workflows/`);
    await page.getByTestId("template-compare").click();
    await page.waitForURL(/\/workflows\/edit\/\?id=/);
    await page.locator(".react-flow__node").nth(12).waitFor();
    assert.equal(await nodeCount(), 13);
    const d = await page.locator('[data-testid="node-dataset"]').getAttribute("data-node-id");
    await selectNode(d);
    const select = page.getByTestId("dataset-select");
    await select.selectOption(await select.locator("option", { hasText: "titanic" }).first().getAttribute("value"));
    await page.getByTestId("column-select-target").selectOption("survived");
    await page.getByTestId("validation-ok").waitFor();
  });

  await step(t, "undo, redo, delete and duplicate", async () => {
    await page.getByTestId("palette-preprocess.pca").click();
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__node").length === 14);
    await page.keyboard.press(`${mod}+z`);
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__node").length === 13);
    await page.keyboard.press(`${mod}+y`);
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__node").length === 14);
    await page.keyboard.press("Delete"); // the added node is selected
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__node").length === 13);
    const rf = await page.locator('[data-testid="node-model.random_forest"]').getAttribute("data-node-id");
    await selectNode(rf);
    await page.locator(".react-flow__pane").focus().catch(() => {});
    await page.getByRole("button", { name: "Duplicate selected (Ctrl+D)" }).click();
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__node").length === 14);
    await page.getByTestId("undo").click();
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__node").length === 13);
    await page.getByTestId("validation-ok").waitFor();
    await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor();
    await page.keyboard.press("f");
    await snap("template-compare");
  });

  await step(t, "run three models and compare them side by side", async () => {
    await page.getByTestId("run-workflow").click();
    await page.waitForURL(/\/runs\/view\/\?id=/);
    await page.waitForSelector('[data-testid="run-status"]:is([data-status="succeeded"],[data-status="failed"],[data-status="cancelled"])', {
      timeout: RUN_TIMEOUT,
    });
    const status = await page.getByTestId("run-status").first().getAttribute("data-status");
    if (status !== "succeeded") assert.fail(`run ended ${status}: ${await page.getByTestId("run-error").textContent().catch(() => "")}`);
    await page.getByTestId("comparison").waitFor();
    assert.equal(await page.locator('[data-testid="comparison"] tbody tr').count(), 3);
    assert.equal(await page.locator('[data-testid="comparison"] [data-testid="confusion-matrix"]').count(), 3);
    await snap("compare-results");
  });

  await step(t, "a stale save is refused with 409 and the canvas says so", async () => {
    await page.getByRole("link", { name: "Back to canvas" }).click();
    await page.waitForURL(/\/workflows\/edit\/\?id=/);
    await page.getByTestId("workflow-name").waitFor();
    const id = new URL(page.url()).searchParams.get("id");
    // someone else saves the workflow meanwhile
    const code = await page.evaluate(async (wid) => {
      const w = await (await fetch(`/api/workflows/${wid}`, { credentials: "include" })).json();
      const r = await fetch(`/api/workflows/${wid}`, {
        method: "PUT",
        credentials: "include",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...w, name: "Renamed elsewhere" }),
      });
      return r.status;
    }, id);
    assert.equal(code, 200);
    await page.getByTestId("workflow-name").fill("My rename");
    await page.locator('[data-testid="save-state"][data-state="conflict"]').waitFor();
    await snap("conflict");
  });

  await step(t, "delete a dataset after confirming", async () => {
    await page.goto(`${base}/datasets/`);
    await page.getByTestId("file-input").setInputFiles(DATASET);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="dataset-link"]').length === 2, null, { timeout: 60_000 });
    await page.getByTestId("dataset-link").first().click();
    await page.getByTestId("delete-dataset").click();
    await page.getByRole("alertdialog").waitFor();
    await snap("confirm-delete");
    await page.getByTestId("confirm-delete").click();
    await page.waitForURL(/\/datasets\/$/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="dataset-link"]').length === 1);
  });

  await step(t, "the 'Classify with AutoML' template validates once a dataset and target are chosen", async () => {
    await page.goto(`${base}/workflows/`);
    await page.getByTestId("template-automl").click();
    await page.waitForURL(/\/workflows\/edit\/\?id=/);
    await page.locator('[data-testid="node-automl"]').waitFor();
    const d = await page.locator('[data-testid="node-dataset"]').getAttribute("data-node-id");
    await selectNode(d);
    const select = page.getByTestId("dataset-select");
    await select.selectOption(await select.locator("option", { hasText: "titanic" }).first().getAttribute("value"));
    await page.getByTestId("column-select-target").selectOption("survived");
    await page.getByTestId("validation-ok").waitFor();
    await snap("template-automl");
  });

  await step(t, "cancel a running AutoML search", async () => {
    await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor();
    await page.getByTestId("run-workflow").click();
    await page.waitForURL(/\/runs\/view\/\?id=/);
    await page.getByTestId("cancel-run").click();
    await page.waitForSelector('[data-testid="run-status"][data-status="cancelled"]', { timeout: 60_000 });
    await snap("run-cancelled");
  });
});
