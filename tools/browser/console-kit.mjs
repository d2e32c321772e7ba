// SPDX-License-Identifier: Apache-2.0
//
// What the console's browser scripts (console.mjs, console-orgs.mjs,
// console-keys.mjs) share: the browser they launch, the sign-in through
// the hosted pages, and how a run ends (one JSON line for the Go test,
// or what failed).
import { chromium } from "playwright-core";
import { env } from "./scan.mjs";
import { authenticator } from "./totp.mjs";

// openConsole starts Debian's chromium (or CHROMIUM) headless with a
// page sized and set as an English desktop browser's; base is the
// console at ROSTER_URL.
export async function openConsole() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  return { base: new URL("/console/", env("ROSTER_URL")).href, browser, ctx, page: await ctx.newPage() };
}

// signInToConsole opens the console at base, signed out, and signs in
// through the hosted pages (PKCE) straight back to the users view. With
// TOTP_SECRET set (and TOTP_USED_STEP, the step whose code enrolment
// used) the sign-in goes through the second-factor page with a code the
// script computes as an authenticator app does.
export async function signInToConsole(page, base, username, password) {
  await page.goto(base);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (process.env.TOTP_SECRET) {
    const freshCode = authenticator(env("TOTP_SECRET"), Number(env("TOTP_USED_STEP")));
    await page.getByLabel("Authentication code").fill(await freshCode());
    await page.getByRole("button", { name: "Verify" }).click();
  }
  await page.getByRole("heading", { name: "Users" }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

// report prints the outcome of a run that finished, as one JSON line
// with the steps passed, the pages scanned and their violations (any
// makes the run fail).
export function report(out, steps, { seen, violations }) {
  console.log(JSON.stringify({ ...out, pages: seen, steps, violations }));
  if (violations.length > 0) process.exit(2);
}

// failed reports a run that threw: the error, the steps that passed and
// the page it was on.
export async function failed(err, steps, page) {
  console.error(err?.stack ?? err);
  console.error(`steps passed: ${steps.join(", ")}`);
  if (page && !page.isClosed()) console.error(`at ${page.url()}:\n${await page.content().catch(() => "")}`);
  process.exit(1);
}
