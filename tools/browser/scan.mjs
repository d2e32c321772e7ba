// SPDX-License-Identifier: Apache-2.0
//
// What the browser scripts share: their environment, launching Chromium,
// signing in to the console, and the step that screenshots a page and
// scans it with axe-core.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
// axe-core's source, evaluated through the DevTools protocol: the pages'
// CSP allows no script (the console's only its own), and stays on (no
// bypassCSP) so that the screenshots show what a browser shows.
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// env reads a variable the script cannot do without.
export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
};

// scanner returns check(page, name), which screenshots a page into the
// folder shots and scans it with axe-core, and what the checks found:
// the serious or critical violations and the pages seen.
export function scanner(shots) {
  mkdirSync(shots, { recursive: true });
  const violations = [];
  const seen = [];
  async function check(page, name) {
    await page.waitForLoadState("load");
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
    await page.evaluate(axeSource);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    for (const v of result.violations) {
      if (v.impact === "serious" || v.impact === "critical") {
        violations.push({ page: name, id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.html) });
      }
    }
    seen.push({ page: name, lang: await page.getAttribute("html", "lang"), title: await page.title() });
  }
  return { check, violations, seen };
}

// launch starts headless Chromium: CHROMIUM, else Debian's.
export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
}

// signInToConsole opens the console at base signed out and signs in
// through the hosted pages (authorization code + PKCE) as USERNAME with
// PASSWORD, back to the users view.
export async function signInToConsole(page, base) {
  await page.goto(base);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Username or email").fill(env("USERNAME"));
  await page.getByLabel("Password").fill(env("PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Users" }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

// fail reports a script that stopped: the error, the steps that passed
// and the page it was on, then exits 1.
export async function fail(err, steps, page) {
  console.error(err?.stack ?? err);
  console.error(`steps passed: ${steps.join(", ")}`);
  if (page && !page.isClosed()) console.error(`at ${page.url()}:\n${await page.content().catch(() => "")}`);
  process.exit(1);
}

// report prints the outcome the Go test reads, one JSON line: out with
// the pages seen, the steps passed and the violations found; exit 2
// when axe-core found any.
export function report(out, { seen, steps, violations }) {
  console.log(JSON.stringify({ ...out, pages: seen, steps, violations }));
  if (violations.length > 0) process.exit(2);
}
