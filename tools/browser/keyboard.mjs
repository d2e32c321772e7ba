// SPDX-License-Identifier: Apache-2.0
//
// Keyboard-only use of the console (WCAG 2.1.1, 2.4.7): search, open a
// user, edit a field and save with Tab, typing and Enter alone — no
// clicks — checking at every stop that the focused element shows a focus
// ring. console.mjs runs it in its browser, signed in.

// focusShown describes the focused element and whether it shows focus:
// it matches :focus-visible and draws an outline of at least 2 px (the
// console's ring is 3 px).
const focusShown = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    const cs = getComputedStyle(el);
    const label = el.id || `${el.tagName.toLowerCase()} "${(el.textContent || "").trim().slice(0, 40)}"`;
    return { label, shown: el.matches(":focus-visible") && cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2 };
  });

// tabTo presses Tab until the focused element matches selector, at most
// max times, and records each stop that shows no focus in hidden.
async function tabTo(page, selector, max, hidden) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const f = await focusShown(page);
    if (!f.shown) hidden.push(f.label);
    if (await page.evaluate((s) => document.activeElement.matches(s), selector)) return i + 1;
  }
  throw new Error(`${max} presses of Tab did not reach ${selector}`);
}

// keyboardOnly opens the users view at base, finds the user whose first
// name is find by typing it, opens it, sets its last name and saves,
// and returns the Tab presses it took and the stops that showed no focus.
export async function keyboardOnly(page, base, find) {
  const hidden = [];
  await page.goto(`${base}#/users`);
  await page.waitForFunction(() => document.activeElement?.id === "users-h");
  let presses = await tabTo(page, "#q", 1, hidden);
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type(find, { delay: 30 });
  await page.waitForFunction(
    (name) => document.querySelectorAll("#results li").length === 1 && document.querySelector("#results a").textContent.includes(name),
    find,
  );
  presses += await tabTo(page, "#results a", 12, hidden);
  await page.keyboard.press("Enter");
  await page.waitForFunction((name) => document.getElementById("u-first_name")?.value === name, find);
  presses += await tabTo(page, "#u-last_name", 20, hidden);
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type("Keyboard");
  presses += await tabTo(page, "#save", 60, hidden);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => /^Saved: version \d+\.$/.test(document.getElementById("save-status").textContent));
  if ((await page.inputValue("#u-last_name")) !== "Keyboard") throw new Error("the saved last name is not the one typed");
  return { presses, hidden };
}
