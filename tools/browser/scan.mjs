// SPDX-License-Identifier: Apache-2.0
//
// What the browser scripts share: their environment, and the step that
// screenshots a page and scans it with axe-core.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

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
