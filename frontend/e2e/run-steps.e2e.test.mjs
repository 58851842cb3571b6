// A run tells the truth while it runs: each step's chip and canvas node change state live, and
// "Finish now" ends an AutoML search with the best model found so far.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DATASET, base, page, setup, snap, step } from "./harness.mjs";

setup("run-steps");

const chip = (id) => page.getByTestId(`step-state-${id}`);

test("steps go queued → running → done live; finish now keeps the best model", { timeout: 300_000 }, async (t) => {
  await step(t, "sign in, upload, start the AutoML template", async () => {
    await page.goto(`${base}/signin/`);
    await page.getByLabel("Email").fill("steps@example.com");
    await page.getByRole("button", { name: "Sign in locally" }).click();
    await page.waitForURL(/\/workflows\/$/);
    await page.getByTestId("nav-datasets").click();
    await page.getByTestId("file-input").setInputFiles(DATASET);
    await page.getByTestId("dataset-link").first().waitFor({ timeout: 60_000 });
    await page.goto(`${base}/workflows/`);
    await page.getByTestId("template-automl").click();
    await page.getByTestId("template-dialog").waitFor();
    const select = page.getByTestId("template-dataset");
    await select.selectOption(await select.locator("option", { hasText: "titanic" }).first().getAttribute("value"));
    await page.getByTestId("template-target").selectOption("survived");
    await page.getByTestId("template-create").click();
    await page.waitForURL(/\/workflows\/edit\/\?id=/);
    await page.locator('[data-testid="node-automl"]').waitFor();
    await page.getByTestId("validation-ok").waitFor();
    await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor();
    await page.getByTestId("run-workflow").click();
    await page.waitForURL(/\/runs\/view\/\?id=/);
  });

  let automl, dataset;
  await step(t, "the search is seen running, with the data step feeding it", async () => {
    automl = await page.locator('[data-testid="node-automl"]').getAttribute("data-node-id");
    dataset = await page.locator('[data-testid="node-dataset"]').getAttribute("data-node-id");
    await page.locator(`[data-testid="step-state-${automl}"][data-state="running"]`).waitFor({ timeout: 120_000 });
    // The table feeds the search: its step stays running until the last branch through it is done.
    assert.equal(await chip(dataset).getAttribute("data-state"), "running");
    assert.equal(await page.getByTestId(`canvas-state-${automl}`).textContent(), "Running");
    assert.doesNotMatch(await page.getByTestId("progress-message").textContent(), /\bmodel\.|\bautoml\b/, "progress speaks labels, not type names");
    await snap("steps-running");
  });

  await step(t, "finish now: the run succeeds soon with the best model so far", async () => {
    // Wait for a first trial so there is a model to keep.
    await page.getByTestId("run-log").filter({ hasText: "[trial] AutoML" }).waitFor({ timeout: 120_000 });
    const asked = Date.now();
    await page.getByTestId("finish-run").click();
    await page.waitForSelector('[data-testid="run-status"][data-status="succeeded"]', { timeout: 45_000 });
    const waited = (Date.now() - asked) / 1000;
    assert.ok(waited < 30, `succeeded ${waited}s after finish now, of a 60 s budget`);
    for (const id of [dataset, automl]) assert.equal(await chip(id).getAttribute("data-state"), "succeeded");
    assert.equal(await page.locator('[data-run-state="succeeded"]').count(), await page.locator(".run-canvas .react-flow__node").count());
    const log = await page.getByTestId("run-log").textContent();
    const lines = log.split("\n").filter(Boolean);
    assert.equal(new Set(lines).size, lines.length, "each log line once");
    await snap("steps-finished");
  });
});
