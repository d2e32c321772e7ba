// SPDX-License-Identifier: Apache-2.0
//
// The console's search as you type, timed in headless Chromium
// (scripts/bench-console.sh seeds the users and runs this): signs in,
// then types QUERIES search terms into the users view one key at a time
// and measures, in the page with performance.now(), from the last
// keystroke (its keydown) to the result list rendered (the status line
// under the list rewritten, which render() does after replacing the
// list; a MutationObserver sees it) and to the next frame after that.
// The baseline of the same run: as many searches of terms drawn alike
// sent bare with fetch() from Node with the console's token, one after
// each typed term. Also what
// the console's first page transferred.
//
// Environment: ROSTER_URL, USERNAME, PASSWORD (an admin's), QUERIES
// (default 60), TYPING_MS (the pause between keys, default 50: under
// the console's debounce, so each term is one search), CHROMIUM
// (default /usr/bin/chromium). Prints a summary, then one JSON line.
import { chromium } from "playwright-core";
import { env } from "./scan.mjs";

const queries = Number(process.env.QUERIES || 60);
const typingMS = Number(process.env.TYPING_MS || 50);
const warmUp = 5;

// percentile is the nearest-rank percentile p of the sorted numbers xs.
const percentile = (xs, p) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const r = (v) => Math.round(v * 10) / 10;
  return { n: s.length, p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), max: r(s.at(-1)) };
}

// terms makes n search terms of 3 to 5 letters from the names of the
// users the server lists, as a person would type part of a name.
function terms(users, n) {
  const names = users.flatMap((u) => [u.first_name, u.last_name]).filter((s) => s && s.length >= 3);
  if (names.length === 0) throw new Error("the server lists no users with names to search for");
  const out = [];
  while (out.length < n) {
    const name = names[Math.floor(Math.random() * names.length)].toLowerCase();
    const len = Math.min(name.length, 3 + Math.floor(Math.random() * 3));
    const off = Math.floor(Math.random() * (name.length - len + 1));
    out.push(name.slice(off, off + len));
  }
  return out;
}

// hooks installs the page's timers: the last keydown in the search box
// and each rewrite of the status line after it.
function hooks() {
  const b = (window.__bench = { key: 0, dom: [], frame: [] });
  document.getElementById("q").addEventListener("keydown", (e) => {
    b.key = e.timeStamp;
  });
  new MutationObserver(() => {
    const t = performance.now();
    b.dom.push(t);
    requestAnimationFrame(() => b.frame.push(performance.now()));
  }).observe(document.getElementById("status"), { childList: true, characterData: true, subtree: true });
}

// signIn signs in through the hosted pages and returns what the first
// page (the console's HTML and all it loads) transferred, headers
// included, by the page's own resource timing.
async function signIn(page, base) {
  await page.goto(base, { waitUntil: "load" });
  const firstPage = await page.evaluate(() =>
    [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].reduce((n, e) => n + e.transferSize, 0),
  );
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Username or email").fill(env("USERNAME"));
  await page.getByLabel("Password").fill(env("PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Users" }).waitFor();
  await page.locator("#results li").first().waitFor();
  return firstPage;
}

// typeOne types term over the search box's text and returns the times
// from its last keydown to the list rendered and to the next frame, or
// null when more than one search went out for it (a pause between keys
// outran the debounce, and a stale answer could have rendered first).
async function typeOne(page, term, sent) {
  await page.evaluate(() => {
    window.__bench.dom = [];
    window.__bench.frame = [];
  });
  sent.length = 0;
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type(term, { delay: typingMS });
  const got = await page.waitForFunction(() => {
    const b = window.__bench;
    const dom = b.dom.find((t) => t > b.key);
    const frame = b.frame.find((t) => t > dom);
    return dom !== undefined && frame !== undefined && { dom: dom - b.key, frame: frame - b.key };
  });
  const t = await got.jsonValue();
  return sent.length === 1 && sent[0] === term ? t : null;
}

// bare sends q to /v1/users as the console does (25 a page) and
// returns the time from sending to the whole body.
async function bare(root, token, q) {
  const u = new URL("/v1/users", root);
  u.search = new URLSearchParams({ q, limit: "25" });
  const t0 = performance.now();
  const r = await fetch(u, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
  await r.text();
  if (r.status !== 200) throw new Error(`GET ${u}: ${r.status}`);
  return performance.now() - t0;
}

async function main() {
  const root = env("ROSTER_URL");
  const base = new URL("/console/", root).href;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const page = await (await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } })).newPage();
    const firstPage = await signIn(page, base);
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("roster.console.tokens")).access_token);
    const listed = await fetch(new URL("/v1/users?limit=200", root), { headers: { Authorization: `Bearer ${token}` } });
    // Terms for the page and, drawn alike but apart (a term searched
    // once is cheaper the second time), for the bare searches.
    const list = terms((await listed.json()).items, warmUp + 2 * queries);
    const bareTerms = list.splice(warmUp + queries);

    const sent = [];
    page.on("request", (req) => {
      const u = new URL(req.url());
      if (u.pathname === "/v1/users" && u.searchParams.has("q")) sent.push(u.searchParams.get("q"));
    });
    await page.evaluate(hooks);
    await page.getByLabel("Search users").focus();
    const dom = [];
    const frame = [];
    const bareMS = [];
    let dropped = 0;
    for (const [i, term] of list.entries()) {
      const t = await typeOne(page, term, sent);
      if (i < warmUp) continue;
      bareMS.push(await bare(root, token, bareTerms[i - warmUp]));
      if (!t) {
        dropped++;
        continue;
      }
      dom.push(t.dom);
      frame.push(t.frame);
    }
    // The console's own search requests, from the page's resource timing.
    const requests = await page.evaluate(() =>
      performance.getEntriesByType("resource").filter((e) => /\/v1\/users\?.*\bq=/.test(e.name)).map((e) => e.responseEnd - e.startTime),
    );
    const out = {
      first_page_bytes: firstPage, queries: list.length - warmUp, dropped, typing_ms: typingMS,
      keystroke_to_list_ms: summary(dom), keystroke_to_frame_ms: summary(frame),
      console_request_ms: summary(requests.slice(warmUp)), bare_search_ms: summary(bareMS),
    };
    const line = (name, s) => `${name.padEnd(44)} p50 ${String(s.p50).padStart(6)} ms  p95 ${String(s.p95).padStart(6)} ms  max ${String(s.max).padStart(6)} ms  (n=${s.n})`;
    console.log(`the console's first page transferred ${firstPage} bytes (headers included)`);
    console.log(line("last keystroke -> result list rendered", out.keystroke_to_list_ms));
    console.log(line("last keystroke -> next frame", out.keystroke_to_frame_ms));
    console.log(line("the console's search request (in the page)", out.console_request_ms));
    console.log(line("baseline: bare GET /v1/users?q= from Node", out.bare_search_ms));
    console.log(JSON.stringify(out));
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
