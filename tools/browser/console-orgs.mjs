// SPDX-License-Identifier: Apache-2.0
//
// The console's organisation pages and a user's memberships in headless
// Chromium, as an admin of a reseller: open a client from the tree, edit
// a field and the branding and see the new version, add credit (the
// reason is required) and see it in the history, a settings schema with
// a JSON syntax error (shown, not sent), one the server refuses (its
// message next to the editor) and one it takes, the members; then on a
// member's page grant manager, find owner not offered, and see the
// server refuse it when the request is forced; add a membership and
// remove it. A concurrent edit of the organisation is shown as a
// conflict. The organisation page and the user's memberships get an
// axe-core scan (console-org, console-user-memberships).
// cmd/roster/console_browser_test.go (TestBrowserConsoleOrgs) runs it
// and reads the outcome it prints as one JSON line.
//
// Environment: ROSTER_URL, USERNAME and PASSWORD (an admin of RESELLER),
// RESELLER and CLIENT_ORG (the admin's home organisation and a client of
// it), CLIENT_ID (the client's id), MEMBER (the name of a member of the
// client), ROSTER_KEY (an owner's API key, to make the concurrent edit
// from outside the page), SHOTS, CHROMIUM (default /usr/bin/chromium).
import { env, scanner } from "./scan.mjs";
import { failed, openConsole, report, signInToConsole } from "./console-kit.mjs";

const scan = scanner(env("SHOTS"));
const { check } = scan;
const steps = [];
const step = (name) => steps.push(name);
let current;

async function main() {
  const client = env("CLIENT_ORG");
  const { base, browser, page } = await openConsole();
  current = page;
  const out = {};
  try {
    // The calls the page makes, to see what was (not) sent.
    const calls = [];
    page.on("response", (r) => calls.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`));
    await signInToConsole(page, base, env("USERNAME"), env("PASSWORD"));
    step("signed in");

    // The tree starts at the admin's own organisation.
    await page.getByRole("link", { name: "Organisations" }).click();
    await page.getByRole("button", { name: env("RESELLER") }).click();
    await page.getByRole("link", { name: `Open ${client}` }).click();
    await page.getByRole("heading", { name: client, level: 1 }).waitFor();
    step("organisation opened from the tree");
    const view = page.locator("#view-org"); // the user page has fields of the same names

    // A field and the branding, saved together: the new version.
    await view.getByLabel("External ID", { exact: true }).fill("BETA-1");
    await view.getByLabel("Header background colour", { exact: true }).fill("#0550ae");
    const bg = await page.locator("#brand-preview").evaluate((el) => getComputedStyle(el).backgroundColor);
    if (bg !== "rgb(5, 80, 174)") throw new Error(`the preview's background is ${bg}`);
    // A logo elsewhere: the console's policy loads no image from there, and says so.
    await view.getByLabel("Logo URL", { exact: true }).fill("https://cdn.example/logo.png");
    await view.getByText("cannot be shown here").waitFor();
    step("branding previewed");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText("Saved: version 2.").waitFor();
    if (!(await page.locator("#org-meta").textContent()).startsWith("Version 2")) throw new Error("the page does not show version 2");
    step("saved version 2");

    // Credit: without a reason nothing is sent; with one, the balance
    // and the history show it.
    await view.getByLabel("Amount", { exact: true }).fill("25");
    await page.getByRole("button", { name: "Add credit" }).click();
    await page.locator("#credit-reason-error").filter({ hasText: "reason" }).waitFor();
    if (calls.some((c) => c.startsWith("POST") && c.includes("/credit"))) throw new Error("credit was sent without a reason");
    step("credit needs a reason");
    await view.getByLabel("Reason", { exact: true }).fill("Welcome credit");
    await page.getByRole("button", { name: "Add credit" }).click();
    await page.getByText("Balance: 25 ").waitFor();
    await page.getByRole("cell", { name: "Welcome credit" }).waitFor();
    step("credit added with its history");

    // Someone else saves meanwhile: a conflict, resolved keeping both.
    const r = await fetch(new URL(`/v1/orgs/${env("CLIENT_ID")}`, env("ROSTER_URL")), {
      method: "PATCH",
      headers: { Authorization: `Bearer ${env("ROSTER_KEY")}`, "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify({ seats: 7 }),
    });
    if (r.status !== 200) throw new Error(`the concurrent edit: ${r.status} ${await r.text()}`);
    await view.getByLabel("Domain", { exact: true }).fill("beta.example");
    await view.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("heading", { name: "Conflict: someone else saved this organisation" }).waitFor();
    await page.getByRole("button", { name: "Keep my edits on their version" }).click();
    await view.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText(/^Saved: version \d+\.$/).waitFor();
    if ((await view.getByLabel("Seats", { exact: true }).inputValue()) !== "7") throw new Error("their change was lost");
    step("conflict resolved without losing their change");

    // The settings schema: a syntax error is shown before sending, a
    // schema the server refuses gets its message next to the editor.
    const editor = view.getByLabel("JSON Schema for users' settings", { exact: true });
    await editor.fill('{"type": "object",');
    await page.getByRole("button", { name: "Save schema" }).click();
    await page.locator("#schema-error").filter({ hasText: "not valid JSON" }).waitFor();
    out.syntax_error = await page.locator("#schema-error").textContent();
    if (calls.some((c) => c.startsWith("PUT") && c.includes("/settings-schema"))) throw new Error("a schema that is not JSON was sent");
    step("schema syntax error not sent");
    await editor.fill('{"type": "no-such-type"}');
    await page.getByRole("button", { name: "Save schema" }).click();
    await page.locator("#schema-error").filter({ hasText: "Not saved" }).waitFor();
    if ((await editor.getAttribute("aria-invalid")) !== "true") throw new Error("the editor is not marked invalid");
    step("schema refused by the server");
    await editor.fill('{"type": "object", "properties": {"ring_tone": {"type": "string"}}}');
    await page.getByRole("button", { name: "Save schema" }).click();
    await page.getByText("Schema saved.").waitFor();
    step("schema saved");

    const members = page.getByRole("list", { name: "Members" });
    await members.getByRole("link", { name: env("MEMBER") }).waitFor();
    step("members listed");
    await check(page, "console-org");
    await page.setViewportSize({ width: 375, height: 812 });
    out.org_fits_375 = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    await page.setViewportSize({ width: 1280, height: 900 });

    // The member's page: as an admin, manager is the highest role offered.
    await members.getByRole("link", { name: env("MEMBER") }).click();
    const role = page.getByLabel(`Role in ${client}`, { exact: true });
    await role.waitFor();
    const offered = await role.locator("option").allTextContents();
    if (offered.includes("owner") || offered.includes("admin") || !offered.includes("manager")) throw new Error(`roles offered: ${offered}`);
    step("owner not offered to an admin");
    await role.selectOption("manager");
    await page.getByRole("button", { name: `Set role in ${client}` }).click();
    await page.getByText(`Role in ${client}: manager.`).waitFor();
    await page.getByRole("list", { name: "Memberships" }).getByText("Roles: manager").waitFor();
    step("manager granted");
    await check(page, "console-user-memberships");

    // Forced: owner put in the choice by hand; the server refuses it.
    await role.evaluate((sel) => {
      sel.append(new Option("owner", "owner"));
      sel.value = "owner";
    });
    await page.getByRole("button", { name: `Set role in ${client}` }).click();
    const refusal = page.locator("#membership-error");
    await refusal.filter({ hasText: "owner" }).waitFor();
    out.refusal = await refusal.textContent();
    if (!calls.some((c) => c.startsWith("PUT") && c.includes("/members/") && c.endsWith(" 403"))) throw new Error(`no refused PUT: ${calls}`);
    step("owner refused by the server");

    // A membership in the admin's own organisation, then removed.
    await page.locator("#new-membership-org").selectOption({ label: env("RESELLER") });
    await page.getByRole("button", { name: "Add membership" }).click();
    await page.getByText(`Role in ${env("RESELLER")}: member.`).waitFor();
    await page.getByRole("button", { name: `Remove membership of ${env("RESELLER")}` }).click();
    await page.getByText(`Membership of ${env("RESELLER")} removed.`).waitFor();
    step("membership added and removed");
  } finally {
    await browser.close();
  }
  report(out, steps, scan);
}

main().catch((err) => failed(err, steps, current));
