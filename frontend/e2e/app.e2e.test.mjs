// End-to-end journeys through the whole app (see harness.mjs for what they need).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DATASET, RUN_TIMEOUT, addNode, base, connect, drawEdge, page, resetSteps, selectNode, setup, snap, step } from "./harness.mjs";

setup("app");

/** In a template's dialog: the titanic table and its `survived` column, then create. */
async function pickTemplateData() {
  const dialog = page.getByTestId("template-dialog");
  await dialog.waitFor();
  const select = page.getByTestId("template-dataset");
  await select.selectOption(await select.locator("option", { hasText: "titanic" }).first().getAttribute("value"));
  await page.getByTestId("template-target").selectOption("survived");
  await snap("template-dialog");
  await page.getByTestId("template-create").click();
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
    assert.equal((await page.getByTestId("validation-empty").textContent()).trim(), "empty");
    // the canvas is ~720px wide at 1280x800: two rows
    const d = await addNode("dataset", 120, 100);
    const s = await addNode("split", 480, 100);
    const m = await addNode("model.random_forest", 120, 300);
    const e = await addNode("evaluate", 480, 300);
    const v = await addNode("visualize", 300, 500);
    await page.getByTestId("workflow-name").fill("Titanic survival");

    // an incompatible edge (data -> evaluate's model input) is refused while drawing
    await drawEdge(d, "data", e, "model");
    // the refusal is the toast: once it shows, the attempt is over and no edge may have been added
    await page.getByTestId("toast-error").filter({ hasText: "Cannot connect: Evaluate takes a model, not a data source" }).waitFor();
    assert.equal(await page.locator(".react-flow__edge").count(), 0, "data -> model edge must be refused");

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
    await page.getByTestId("param-form").locator('[data-code="missing_target"]').waitFor();
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
    const seen = [];
    const watcher = (async () => {
      for (let i = 0; i < 2000; i++) {
        const v = await page.getByRole("progressbar", { name: "Run progress" }).getAttribute("aria-valuenow").catch(() => null);
        if (v !== null && Number(v) !== seen.at(-1)) seen.push(Number(v));
        const st = await page.getByTestId("run-status").first().getAttribute("data-status").catch(() => null);
        if (st && ["succeeded", "failed", "cancelled"].includes(st)) break;
        await page.waitForTimeout(100);
      }
    })();
    await page.waitForSelector('[data-testid="run-status"]:is([data-status="succeeded"],[data-status="failed"],[data-status="cancelled"])', {
      timeout: RUN_TIMEOUT,
    });
    await watcher;
    console.log(`progress values seen: ${seen.join(", ")}`);
    const status = await page.getByTestId("run-status").first().getAttribute("data-status");
    if (status !== "succeeded") {
      const err = await page.getByTestId("run-error").textContent().catch(() => "");
      assert.fail(`run ended ${status}: ${err}`);
    }
    // the bar moved: more than one value, never backwards, and full once the run succeeded
    assert.ok(new Set(seen).size >= 2, `the progress bar showed one value only: ${seen}`);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), `the progress bar went backwards: ${seen}`);
    assert.equal(await page.getByRole("progressbar", { name: "Run progress" }).getAttribute("aria-valuenow"), "100");
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
    // the result names the class and its probability
    assert.match(await page.getByTestId("prediction-probability").textContent(), new RegExp(`class ${predicted} with probability \\d+(\\.\\d)?%`));
    // filling from a dataset row: every feature gets the row's value (deck is empty in row 1: a warning says so)
    await page.getByTestId("fill-row").click();
    assert.equal(await page.getByTestId("feature-fare").inputValue(), "7.25");
    await page.getByTestId("empty-fields-warning").waitFor();
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
  resetSteps();
  const nodeCount = () => page.locator(".react-flow__node").count();
  const mod = process.platform === "darwin" ? "Meta" : "Control";

  await step(t, "start from the 'Compare three models' template", async () => {
    await page.goto(`${base}/workflows/`);
    await page.getByTestId("template-compare").click();
    await pickTemplateData();
    await page.waitForURL(/\/workflows\/edit\/\?id=/);
    await page.locator(".react-flow__node").nth(12).waitFor();
    assert.equal(await nodeCount(), 13);
    // the template opens with the dataset and target picked in its dialog: nothing left to fix
    await page.getByTestId("validation-ok").waitFor();
    const d = await page.locator('[data-testid="node-dataset"]').getAttribute("data-node-id");
    await selectNode(d);
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
    await pickTemplateData();
    await page.waitForURL(/\/workflows\/edit\/\?id=/);
    await page.locator('[data-testid="node-automl"]').waitFor();
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
