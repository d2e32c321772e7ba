// SPDX-License-Identifier: Apache-2.0
//
// The console (/console) in headless Firefox: Debian's firefox-esr driven
// by puppeteer-core over WebDriver BiDi (Playwright drives only its own
// Firefox builds, which cannot be had here). A short scenario — the long
// one runs in Chromium (console.mjs): sign in with a password, find a
// user by typing, open it, edit a field and see the new version.
// cmd/roster/console_browser_test.go (TestBrowserConsoleFirefox) runs it
// and reads the outcome it prints as one JSON line.
//
// Environment: ROSTER_URL, USERNAME, PASSWORD (an admin's), TARGET (the
// first name of the user to find), FIND (what to type), FIREFOX
// (default /usr/bin/firefox-esr).
import puppeteer from "puppeteer-core";
import { env } from "./scan.mjs";

const steps = [];
let current;

// textOf waits until the element with id holds text matching re.
const textOf = (page, id, re) =>
  page.waitForFunction((id, src) => new RegExp(src).test(document.getElementById(id)?.textContent ?? ""), {}, id, re.source);

async function main() {
  const base = new URL("/console/", env("ROSTER_URL")).href;
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr",
    headless: true,
    // A profile of its own, thrown away: no first-run pages, no updates.
    extraPrefsFirefox: { "intl.accept_languages": "en-US", "app.update.enabled": false },
  });
  const out = { browser: await browser.version() };
  try {
    const page = await browser.newPage();
    current = page;
    await page.setViewport({ width: 1280, height: 900 });

    await page.goto(base);
    await page.locator("#sign-in").click();
    await page.locator("#username").fill(env("USERNAME"));
    await page.locator("#password").fill(env("PASSWORD"));
    await Promise.all([page.waitForNavigation(), page.locator("button[type=submit]").click()]);
    await page.locator("#sign-out:not([hidden])").wait();
    steps.push("signed in");

    await page.locator("#q").fill(env("FIND"));
    const target = env("TARGET");
    await page.waitForFunction(
      (name) => [...document.querySelectorAll("#results a")].some((a) => a.textContent.includes(name)) && document.querySelectorAll("#results li").length === 1,
      {},
      target,
    );
    steps.push("found by typing");

    await page.locator("#results a").click();
    await page.waitForFunction((name) => document.getElementById("u-first_name")?.value === name, {}, target);
    steps.push("opened");

    await page.locator("#u-last_name").fill("Firefoxed");
    await page.locator("#save").click();
    await textOf(page, "save-status", /Saved: version 2\./);
    steps.push("saved version 2");
  } finally {
    await browser.close();
  }
  out.steps = steps;
  console.log(JSON.stringify(out));
}

main().catch(async (err) => {
  console.error(err?.stack ?? err);
  console.error(`steps passed: ${steps.join(", ")}`);
  if (current) console.error(`at ${current.url()}:\n${await current.content().catch(() => "")}`);
  process.exit(1);
});
