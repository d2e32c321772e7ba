// SPDX-License-Identifier: Apache-2.0
//
// The console's webhooks, API keys and OAuth clients in headless
// Chromium: create a webhook and see its signing secret once (with the
// copy button), edit it without its password ever reaching the page,
// rotate its signing secret (the new one shown once too), retry
// a failed delivery until the receiver takes it, create a key and see its
// secret once (gone after a reload), revoke another, create an OAuth
// client, see its secret once, edit it and rotate its secret. The
// webhooks and keys pages get an axe-core scan; any serious or critical
// violation fails the run. cmd/roster/console_keys_browser_test.go runs
// it and reads the outcome it prints as one JSON line (with the secrets
// the page showed, which the test then uses against the API).
//
// Environment: ROSTER_URL, USERNAME, PASSWORD (an admin's), WEBHOOK (the
// name of a webhook with a failed delivery whose receiver now answers
// 2xx), RECEIVER (a URL a new webhook may send to), WEBHOOK_PASSWORD (the
// basic-auth password to give the new webhook), SHOTS, CHROMIUM.
import { env, scanner } from "./scan.mjs";
import { failed, openConsole, report, signInToConsole } from "./console-kit.mjs";

const scan = scanner(env("SHOTS"));
const { check } = scan;
const steps = [];
const step = (name) => steps.push(name);
let current;

// errorNextTo is the text of the error message an input points to with
// aria-describedby (not its hint).
async function errorNextTo(control) {
  const ids = ((await control.getAttribute("aria-describedby")) || "").split(" ").filter(Boolean);
  return control.page().evaluate((ids) => ids.map((id) => document.querySelector(`[id="${id}"].field-error`)?.textContent || "").join(""), ids);
}

// secretShown waits for the secret a view shows once (its read-only
// field, labelled label) and returns it after copying it with the button.
async function secretShown(page, label) {
  const box = page.getByLabel(label, { exact: true });
  await box.waitFor();
  const value = await box.inputValue();
  await page.getByRole("button", { name: `Copy ${label}` }).click();
  await page.getByText(/Copied\.|Selected: press/).waitFor();
  return value;
}

async function main() {
  const { base, browser, ctx, page } = await openConsole();
  current = page;
  const out = {};
  try {
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(base).origin });
    page.on("dialog", (d) => d.accept()); // "Revoke …?", "Rotate …?"
    await signInToConsole(page, base, env("USERNAME"), env("PASSWORD"));
    step("signed in");

    // 1. A new webhook: its signing secret once, copied.
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { name: "Webhooks" }).waitFor();
    await page.getByRole("button", { name: "New webhook" }).click();
    const form = page.locator("#webhook-editor");
    await form.getByLabel("Name", { exact: true }).fill("Audit sink");
    // Without a URL: the API's message next to the field.
    await page.getByRole("button", { name: "Create webhook" }).click();
    await page.waitForFunction(() => document.querySelector("#webhook-editor [data-field=url]")?.getAttribute("aria-invalid") === "true");
    out.url_error = await errorNextTo(form.getByLabel("URL", { exact: true }));
    step("webhook error next to its field");
    await form.getByLabel("URL", { exact: true }).fill(env("RECEIVER"));
    await form.getByLabel("Events", { exact: true }).fill("org.*");
    await form.getByLabel("Type", { exact: true }).selectOption("basic");
    await form.getByLabel("Username", { exact: true }).fill("roster");
    await form.getByLabel("Password", { exact: true }).fill(env("WEBHOOK_PASSWORD"));
    await form.getByLabel("Headers", { exact: true }).fill("X-Tenant: acme-secret-header");
    await page.getByRole("button", { name: "Create webhook" }).click();
    out.signing_secret = await secretShown(page, "Signing secret of Audit sink");
    step("webhook created, signing secret once");

    // 2. Editing it: the password and header value are "set", never shown.
    await page.getByRole("button", { name: "Edit Audit sink" }).click();
    const pw = form.getByLabel("Password", { exact: true });
    out.password_field = await pw.inputValue();
    out.password_hint = await form.getByText(/^Set\. Leave empty/).first().textContent();
    out.headers_field = await form.getByLabel("Headers", { exact: true }).inputValue();
    out.page_holds_secret = (await page.content()).includes(env("WEBHOOK_PASSWORD")) || (await page.content()).includes("acme-secret-header");
    await form.getByLabel("Name", { exact: true }).fill("Audit sink (EU)");
    await page.getByRole("button", { name: "Save webhook" }).click();
    await page.getByRole("heading", { name: "Audit sink (EU)" }).waitFor();
    step("webhook edited, secrets write-only");
    await page.getByRole("button", { name: "Rotate signing secret of Audit sink (EU)" }).click();
    out.rotated_signing_secret = await secretShown(page, "New signing secret of Audit sink (EU)");
    step("signing secret rotated");

    // 3. The failed delivery, retried: the receiver takes it now.
    const hook = env("WEBHOOK");
    await page.getByRole("button", { name: `Deliveries of ${hook}` }).click();
    const row = page.getByRole("row", { name: /user\.created/ }).first();
    await row.getByText(/HTTP 500/).waitFor();
    await row.getByText(/^pending/).waitFor();
    await row.getByRole("button", { name: /^Deliver again/ }).click();
    await page.getByRole("row", { name: /user\.created/ }).first().getByRole("cell", { name: /^succeeded/ }).waitFor({ timeout: 15000 });
    out.attempts_shown = await page.getByRole("row", { name: /user\.created/ }).first().locator(".attempts li").count();
    step("failed delivery retried and delivered");
    await page.getByRole("button", { name: `Send a test to ${hook}` }).click();
    await page.getByText(/^Delivered: HTTP 2\d\d/).waitFor();
    step("test ping");
    await check(page, "console-webhook");

    // 4. API keys: a key's secret once; after a reload it is gone.
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    const scopes = page.getByRole("group", { name: /^Scopes/ });
    await scopes.getByLabel("users:read").waitFor();
    out.key_scopes_offered = await scopes.locator("input[type=checkbox]").evaluateAll((l) => l.map((b) => b.value));
    const kf = page.locator("#key-form");
    await kf.getByLabel("Name", { exact: true }).fill("CI deploy");
    await scopes.getByLabel("users:read", { exact: true }).check();
    await page.getByRole("button", { name: "Create key" }).click();
    out.key = await secretShown(page, "Secret of the key CI deploy");
    await page.getByRole("heading", { name: "CI deploy" }).waitFor();
    await check(page, "console-keys");
    await page.setViewportSize({ width: 375, height: 812 });
    out.keys_fit_375 = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.reload();
    await page.getByRole("heading", { name: "CI deploy" }).waitFor();
    out.key_after_reload = (await page.content()).includes(out.key) || (await page.locator("#key-secret").isVisible());
    step("key secret shown once");
    // Another key, revoked.
    await kf.getByLabel("Name", { exact: true }).fill("Old laptop");
    await page.getByRole("button", { name: "Create key" }).click();
    out.revoked_key = await secretShown(page, "Secret of the key Old laptop");
    await page.getByRole("button", { name: "Revoke Old laptop" }).click();
    await page.getByText("Revoked Old laptop.").waitFor();
    step("key revoked");

    // 5. OAuth clients: a client's secret once, an edit, a rotation.
    await page.getByRole("link", { name: "OAuth clients" }).click();
    await page.getByRole("heading", { name: "OAuth clients" }).waitFor();
    await page.getByRole("button", { name: "New OAuth client" }).click();
    const cf = page.locator("#client-editor");
    await cf.getByLabel("Name", { exact: true }).fill("Billing app");
    await cf.getByLabel("Redirect URIs", { exact: true }).fill("https://billing.example/cb");
    const grants = cf.getByRole("group", { name: "Grant types" });
    await grants.getByLabel("authorization_code").check();
    await grants.getByLabel("refresh_token").check();
    const allowed = cf.getByRole("group", { name: /^Scopes users may grant/ });
    for (const s of ["openid", "email", "users:read"]) await allowed.getByLabel(s, { exact: true }).check();
    await page.getByRole("button", { name: "Create client" }).click();
    out.client_secret = await secretShown(page, "Secret of Billing app");
    await page.reload();
    await page.getByRole("heading", { name: "Billing app" }).waitFor();
    out.client_secret_after_reload = (await page.content()).includes(out.client_secret);
    step("client secret shown once");
    await page.getByRole("button", { name: "Edit Billing app" }).click();
    await cf.getByLabel("Name", { exact: true }).fill("Billing");
    await page.getByRole("button", { name: "Save client" }).click();
    await page.getByRole("heading", { name: "Billing", exact: true }).waitFor();
    step("client edited");
    await page.getByRole("button", { name: "Rotate secret of Billing" }).click();
    out.rotated_secret = await secretShown(page, "New secret of Billing");
    step("client secret rotated");
    await check(page, "console-clients");
  } finally {
    await browser.close();
  }
  report(out, steps, scan);
}

main().catch((err) => failed(err, steps, current));
