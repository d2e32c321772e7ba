// SPDX-License-Identifier: Apache-2.0
//
// The console (/console) in headless Chromium (Debian's chromium, driven
// by playwright-core): sign in through the hosted pages (password and
// TOTP), find a user among many by typing part of a name, edit a field and see the new version, submit an
// invalid value and see the message next to its field, a concurrent edit
// shown as a conflict, the audit trail, sessions, the organisation tree,
// the pages at 375 px and in the
// dark theme, sign out. The search and user pages get an axe-core scan
// (light and dark); any serious or critical violation fails the run.
// cmd/roster/console_browser_test.go runs it and reads the outcome it
// prints as one JSON line.
//
// Environment: ROSTER_URL, USERNAME, PASSWORD (an admin's), TOTP_SECRET
// and TOTP_USED_STEP (the admin's second factor, optional: see
// signInToConsole), TARGET (the first name of the user to find), FIND
// (what to type to find it: part of the name that no other user has), KEY_FIND (the first name of another, to find, edit
// and save with the keyboard alone), ROSTER_KEY (an API key, to make the
// concurrent edit from outside the page), RESELLER and CLIENT_ORG (the names of a child
// of the root and of its child), WEBHOOK (the name of a webhook whose
// receiver answers 500), APP_ID and APP_REDIRECT (an app an SSO link
// may open), SHOTS, CHROMIUM (default
// /usr/bin/chromium).
import { join } from "node:path";
import { keyboardOnly } from "./keyboard.mjs";
import { env, scanner } from "./scan.mjs";
import { failed, openConsole, report, signInToConsole } from "./console-kit.mjs";

const shots = env("SHOTS");
const scan = scanner(shots);
const { check } = scan;
const steps = [];
let current;

// step records that a scenario step passed, for the Go test to see.
function step(name) {
  steps.push(name);
}

// errorNextTo returns the text of the error message an input points to
// with aria-describedby (the message shown next to the field).
async function errorNextTo(page, label) {
  const ids = (await page.getByLabel(label, { exact: true }).getAttribute("aria-describedby")) || "";
  let text = "";
  for (const id of ids.split(" ").filter(Boolean)) {
    const el = page.locator(`#${id}.field-error`);
    if ((await el.count()) > 0 && (await el.isVisible())) text += await el.textContent();
  }
  return text;
}

async function save(page, expect) {
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect.waitFor();
}

// noSideways reports whether the page fits its viewport's width: it
// cannot scroll sideways.
const noSideways = (page) => page.evaluate(() => document.scrollingElement.scrollWidth <= window.innerWidth);

async function main() {
  const { base, browser, page } = await openConsole();
  current = page;
  const out = {};
  try {

    // 1. Signed out: the console offers to sign in, and signs in through
    // the hosted pages (PKCE; with TOTP_SECRET, the second factor too)
    // straight back to the users.
    await signInToConsole(page, base, env("USERNAME"), env("PASSWORD"));
    step(process.env.TOTP_SECRET ? "signed in with password and TOTP" : "signed in");

    // 2. Find a user by typing part of the name, one key at a time, a
    // little faster than the 100 ms debounce: each keystroke restarts it,
    // so the keys are one search, or two when the machine stalls between
    // them — never one per key.
    const target = env("TARGET");
    const find = env("FIND");
    const searches = [];
    // searchTerm is the q of a request that searches users, else "".
    const searchTerm = (req) => {
      const u = new URL(req.url());
      return u.pathname === "/v1/users" ? (u.searchParams.get("q") ?? "") : "";
    };
    page.on("request", (req) => searchTerm(req) && searches.push(searchTerm(req)));
    const full = page.waitForRequest((req) => searchTerm(req) === find);
    await page.getByLabel("Search users").pressSequentially(find, { delay: 15 });
    const typed = Date.now();
    await full;
    // The last search has answered (the list is no longer busy) and the
    // list shows its result alone: a stale answer is never rendered.
    await page.waitForFunction(
      (name) => {
        const list = document.getElementById("results");
        const items = list.querySelectorAll("li");
        return list.getAttribute("aria-busy") === "false" && items.length === 1 && items[0].textContent.includes(name);
      },
      target,
    );
    // From the last keystroke to the list: the debounce, the search and
    // the rendering (a rough figure, not the benchmark).
    out.keystroke_to_list_ms = Date.now() - typed;
    const results = page.getByRole("list", { name: "Users found" });
    const link = results.getByRole("link", { name: new RegExp(target) });
    await link.waitFor();
    step("found by typing");
    out.searches = searches.slice();
    await check(page, "console-users");

    // Keyboard only: Tab from the search box reaches the filters, and the
    // result opens with Enter.
    await page.getByLabel("Search users").focus();
    await page.keyboard.press("Tab");
    if ((await page.evaluate(() => document.activeElement.id)) !== "f-status") throw new Error("Tab from the search box did not reach the Status filter");
    await link.focus();
    await page.keyboard.press("Enter");
    await page.getByLabel("First name").waitFor();
    await page.waitForFunction((name) => document.getElementById("u-first_name").value === name, target);
    step("opened with the keyboard");
    const userURL = page.url();
    const userID = decodeURIComponent(userURL.split("#/users/")[1]);
    await check(page, "console-user");

    // 3. Edit a field: the new version is shown.
    await page.getByLabel("Last name", { exact: true }).fill("Edited");
    await save(page, page.getByText("Saved: version 2."));
    step("saved version 2");

    // 4. An invalid value: the server's message next to the field.
    await page.getByLabel("Time zone").fill("Mars/Olympus_Mons");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.waitForFunction(() => document.getElementById("u-preferences-time_zone").getAttribute("aria-invalid") === "true");
    out.field_error = await errorNextTo(page, "Time zone");
    if (!out.field_error) throw new Error("no message next to Time zone");
    step("error next to its field");
    await check(page, "console-user-error");
    await page.getByLabel("Time zone").fill("");

    // 5. Someone else saves meanwhile: the save is refused (412) and
    // both versions are shown; keeping the edits on their version keeps
    // their change too.
    const r = await fetch(new URL(`/v1/users/${userID}`, env("ROSTER_URL")), {
      method: "PATCH",
      headers: { Authorization: `Bearer ${env("ROSTER_KEY")}`, "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify({ display_name: "Changed elsewhere" }),
    });
    if (r.status !== 200) throw new Error(`the concurrent edit: ${r.status} ${await r.text()}`);
    await page.getByLabel("First name").fill(`${target}-x`);
    await save(page, page.getByRole("heading", { name: /Conflict/ }));
    const conflict = await page.locator("#conflict").textContent();
    if (!conflict.includes("Changed elsewhere") || !conflict.includes(`${target}-x`)) throw new Error(`the conflict shows: ${conflict}`);
    step("conflict shown");
    await check(page, "console-user-conflict");
    await page.getByRole("button", { name: "Keep my edits on their version" }).click();
    await save(page, page.getByText("Saved: version 4."));
    if ((await page.getByLabel("Display name").inputValue()) !== "Changed elsewhere") throw new Error("their change was lost");
    step("conflict resolved without losing their change");

    // Tags: add one, remove it.
    await page.getByLabel("New tag").fill("vip");
    await page.getByRole("button", { name: "Add tag" }).click();
    await page.getByRole("button", { name: "Remove tag vip" }).click();
    await page.getByText("Tag removed.").waitFor();
    if ((await page.getByRole("list", { name: "Tags" }).locator("li").count()) !== 0) throw new Error("the tag is still listed");
    step("tag added and removed");

    // 6. The audit trail shows the edit as before and after; the user
    // never signed in, so no sessions and no second factor.
    await page.locator("#audit td.after", { hasText: "Edited" }).first().waitFor();
    step("audit before/after");
    await page.getByText("No live sessions.").waitFor();
    await page.getByText("Two-factor sign-in is off.").waitFor();
    step("sessions and two-factor state");

    // A password the policy refuses: the rule next to the field; then
    // one it takes.
    await page.getByLabel("New password").fill("short");
    await page.getByRole("button", { name: "Set password" }).click();
    await page.waitForFunction(() => document.getElementById("new-password").getAttribute("aria-invalid") === "true");
    out.password_error = await errorNextTo(page, "New password");
    await page.getByLabel("New password").fill("a-Much-longer-Secret-9");
    await page.getByRole("button", { name: "Set password" }).click();
    await page.getByText("Password set.").waitFor();
    step("password set by an admin");
    await page.getByLabel("App client ID").fill(env("APP_ID"));
    await page.getByLabel("Redirect URI").fill(env("APP_REDIRECT"));
    await page.getByRole("button", { name: "Make SSO link" }).click();
    await page.getByRole("link", { name: /\/oauth2\/sso\?link=/ }).waitFor();
    step("SSO link made");

    // The organisation tree opens a branch at a time.
    await page.getByRole("link", { name: "Organisations" }).click();
    await page.getByRole("heading", { name: "Organisations" }).waitFor();
    await page.getByRole("button", { name: "Root" }).click();
    await page.getByRole("button", { name: env("RESELLER") }).click();
    await page.getByRole("button", { name: env("CLIENT_ORG") }).waitFor();
    step("organisation tree");
    await check(page, "console-orgs");
    await page.goBack();
    await page.getByLabel("First name").waitFor();

    // Webhooks: the failing receiver's deliveries, a test, a retry.
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { name: env("WEBHOOK") }).waitFor();
    await page.getByRole("button", { name: `Deliveries of ${env("WEBHOOK")}` }).click();
    await page.getByRole("cell", { name: /^user\.updated / }).first().waitFor();
    await page.getByRole("button", { name: `Send a test to ${env("WEBHOOK")}` }).click();
    await page.getByText("Not delivered: HTTP 500").waitFor();
    await page.getByRole("button", { name: /^Deliver again: user\.updated/ }).first().click();
    await page.locator("td span[role=status]").filter({ hasText: /\S/ }).first().waitFor();
    step("webhook deliveries, test and retry");
    await check(page, "console-webhooks");
    await page.goBack();
    await page.getByLabel("First name").waitFor();

    // Keyboard only: search, open, edit and save another user, every
    // stop showing its focus.
    out.keyboard = await keyboardOnly(page, base, env("KEY_FIND"));
    step("keyboard only");

    // 7. 375 px wide and the dark theme.
    await page.setViewportSize({ width: 375, height: 812 });
    out.user_fits_375 = await noSideways(page);
    await page.screenshot({ path: join(shots, "console-user-375.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await check(page, "console-user-dark");
    await page.goto(`${base}#/users`);
    await page.getByRole("heading", { name: "Users" }).waitFor();
    await results.getByRole("link").first().waitFor();
    out.users_fit_375 = await noSideways(page);
    await check(page, "console-users-dark-375");

    // 8. Sign out: back at the console's start, signed out.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    step("signed out");
  } finally {
    await browser.close();
  }
  report(out, steps, scan);
}

main().catch((err) => failed(err, steps, current));
