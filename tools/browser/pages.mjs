// SPDX-License-Identifier: Apache-2.0
//
// The hosted pages in headless Chromium (Debian's chromium, driven by
// playwright-core): sign in with password and TOTP, consent, forgot
// password through the mail (the Go test reads it from a real SMTP
// listener and hands its link over MAIL_URL), the Dutch pages and an
// error page. Every page gets a screenshot (SHOTS) and an axe-core scan;
// any serious or critical violation fails the run. cmd/roster/browser_test.go
// runs it (the app's callback there exchanges each code) and reads the
// outcome it prints as one JSON line.
//
// Environment: ROSTER_URL, AUTH_URLS (three authorization URLs, space
// separated), CALLBACK (the redirect URI), USERNAME, PASSWORD,
// NEW_PASSWORD, TOTP_SECRET (base32), TOTP_USED_STEP (the newest time
// step whose code was used), MAIL_URL, SHOTS, CHROMIUM
// (default /usr/bin/chromium).
import { chromium } from "playwright-core";
import { env, scanner } from "./scan.mjs";
import { authenticator } from "./totp.mjs";

// The authenticator app: enrolment used the code of TOTP_USED_STEP.
const freshCode = authenticator(env("TOTP_SECRET"), Number(env("TOTP_USED_STEP")));

const shots = env("SHOTS");
const { check, violations, seen } = scanner(shots);
let current; // the page in use, shown when a step fails

// newPage opens a page in a fresh browser context (no cookies) whose
// language is locale (Accept-Language).
async function newPage(browser, locale) {
  const ctx = await browser.newContext({ locale });
  current = await ctx.newPage();
  return current;
}

// answer fills in a page's field, presses one of its buttons and waits
// for what the next page shows.
async function answer(page, label, value, button, next) {
  await page.getByLabel(label).fill(value);
  await page.getByRole("button", { name: button }).click();
  await next.waitFor();
}

// waitCallback waits for the browser to reach the app's redirect URI and
// returns the query it brought.
async function waitCallback(page) {
  const callback = env("CALLBACK");
  await page.waitForURL((u) => u.href.startsWith(callback));
  return Object.fromEntries(new URL(page.url()).searchParams);
}

async function main() {
  const [signInURL, forgotURL, dutchURL] = env("AUTH_URLS").split(" ");
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
  const out = { codes: [] };
  try {
    // 1. Sign in with password and TOTP, then consent.
    let page = await newPage(browser, "en-US");
    await page.goto(signInURL);
    await check(page, "signin");
    await page.getByLabel("Username or email").fill(env("USERNAME"));
    await answer(page, "Password", env("PASSWORD"), "Sign in", page.getByLabel("Authentication code"));
    await check(page, "totp");
    await answer(page, "Authentication code", await freshCode(), "Verify", page.getByRole("button", { name: "Allow" }));
    await check(page, "consent");
    await page.getByRole("button", { name: "Allow" }).click();
    out.codes.push(await waitCallback(page));
    await page.context().close();

    // 2. Forgot password, in a fresh browser: the link on the sign-in
    // page, the mail, a rule broken, the new password, and the sign-in
    // continuing to the app (consent was given in step 1).
    page = await newPage(browser, "en-US");
    await page.goto(forgotURL);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByLabel("Username or email").waitFor();
    await check(page, "forgot");
    await answer(page, "Username or email", env("USERNAME"), "Send link", page.getByText("If the account exists"));
    await check(page, "forgot-sent");
    await page.goto(await (await fetch(env("MAIL_URL"))).text());
    await page.getByLabel("New password").waitFor();
    await check(page, "reset");
    await answer(page, "New password", "short", "Set password", page.getByText("Too short"));
    await check(page, "reset-error");
    await answer(page, "New password", env("NEW_PASSWORD"), "Set password", page.getByText("Your password is changed"));
    await check(page, "signin-after-reset");
    await answer(page, "Password", env("NEW_PASSWORD"), "Sign in", page.getByLabel("Authentication code"));
    await page.getByLabel("Authentication code").fill(await freshCode());
    await page.getByRole("button", { name: "Verify" }).click();
    out.codes.push(await waitCallback(page));
    await page.context().close();

    // 3. Dutch, from the browser's language; and an error page.
    page = await newPage(browser, "nl-NL");
    await page.goto(dutchURL);
    await page.getByLabel("Gebruikersnaam of e-mailadres").waitFor();
    await check(page, "signin-nl");
    await page.getByRole("link", { name: "Wachtwoord vergeten?" }).click();
    await page.getByLabel("Gebruikersnaam of e-mailadres").waitFor();
    await check(page, "forgot-nl");
    await page.goto(new URL("/oauth2/authorize?client_id=cli_unknown", env("ROSTER_URL")).href);
    await check(page, "error-nl");
  } finally {
    await browser.close();
  }
  out.pages = seen;
  out.violations = violations;
  console.log(JSON.stringify(out));
  if (violations.length > 0) process.exit(2);
}

main().catch(async (err) => {
  console.error(err?.stack ?? err);
  if (current && !current.isClosed()) console.error(`at ${current.url()}:\n${await current.content().catch(() => "")}`);
  process.exit(1);
});
