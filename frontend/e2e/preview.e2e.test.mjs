// The step preview under the canvas: select a step, see the table flowing out of it, keep editing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DATASET, addNode, base, connect, page, selectNode, setup, snap, step } from "./harness.mjs";

setup("preview");

const TOTAL = readFileSync(DATASET, "utf8").trim().split("\n").length - 1;

test("preview a step's output while editing", { timeout: 240_000 }, async (t) => {
  await step(t, "sign in and upload", async () => {
    await page.goto(`${base}/signin/`);
    await page.getByLabel("Email").fill("preview@example.com");
    await page.getByRole("button", { name: "Sign in locally" }).click();
    await page.waitForURL(/\/workflows\/$/);
    await page.getByTestId("nav-datasets").click();
    await page.getByTestId("file-input").setInputFiles(DATASET);
    await page.getByTestId("dataset-link").first().waitFor({ timeout: 60_000 });
  });

  let d, s, imp;
  await step(t, "dataset → impute → split, then select the split", async () => {
    await page.getByTestId("nav-workflows").click();
    await page.getByTestId("new-workflow").click();
    await page.waitForURL(/\/workflows\/edit\/\?id=/);
    d = await addNode("dataset", 120, 100);
    imp = await addNode("preprocess.impute", 420, 100);
    s = await addNode("split", 120, 300);
    await connect(d, "data", imp, "data");
    await connect(imp, "data", s, "data");
    await selectNode(d);
    const select = page.getByTestId("dataset-select");
    await select.selectOption(await select.locator("option").nth(1).getAttribute("value"));
    await page.getByTestId("column-select-target").selectOption("survived");
    await selectNode(s);
    const summary = page.getByTestId("preview-summary");
    await summary.filter({ hasText: "train" }).waitFor({ timeout: 60_000 });
    const text = await summary.textContent();
    const [train, test] = text.match(/split ([\d,]+) train \/ ([\d,]+) test/).slice(1).map((n) => Number(n.replace(/,/g, "")));
    assert.equal(train + test, TOTAL, text);
    assert.ok(text.startsWith(`${train.toLocaleString("en-US")} training rows`), text);
    const headers = await page.getByTestId("step-preview-table").locator("th").allTextContents();
    assert.ok(headers.some((h) => h.startsWith("survived")), headers.join("|"));
    await snap("preview-split");
  });

  await step(t, "the canvas stays editable while a preview loads, and a second look is cached", async () => {
    await selectNode(imp);
    await page.getByTestId("preview-panel").getByText("Computing…").waitFor();
    // editing goes on meanwhile: the name field takes typing at once
    await page.getByTestId("workflow-name").fill("Preview while editing");
    assert.equal(await page.getByTestId("workflow-name").inputValue(), "Preview while editing");
    await page.getByTestId("preview-summary").filter({ hasText: "training rows" }).waitFor({ timeout: 60_000 });
    await selectNode(s);
    await page.getByTestId("preview-summary").filter({ hasText: "cached" }).waitFor({ timeout: 30_000 });
    await snap("preview-cached");
  });
});
