// What every browser driver shares: Debian's Chromium launched headless with the flags this
// machine needs, a step journal printed with the result, and a wait for text on the page.
import { chromium } from "playwright-core";

export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

export function journal() {
  const steps = [];
  const note = (s) => steps.push(s);
  async function textIn(page, selector, wanted, timeout = 45000) {
    await page.waitForFunction(
      ([sel, w]) => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes(w)),
      [selector, wanted], { timeout },
    );
    note(`saw ${wanted}`);
  }
  return { steps, note, textIn };
}
