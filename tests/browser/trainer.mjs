// Drives the trainer page (/console/trainer) in headless Chromium: a REST customer first says
// something the bot cannot place; the trainer logs in, filters for fallbacks, corrects the
// intent, marks an entity from the jieba tokens, marks a test story and exports.
// usage: node trainer.mjs <server-url> <screenshot-dir> <trainer-username> <password>
// Prints one JSON line {ok, steps, sender, error?}.
import { journal, launch } from "./chromium.mjs";

const [server, shots, username, password, homeFile] = process.argv.slice(2);  // homeFile: where out_of_scope examples live
const browser = await launch();
const problems = [];
const { steps, note, textIn } = journal();
const sender = `trainer-ui-${Date.now().toString(36)}`;
const ODD = "红豆生南国春来发几枝";  // no intent fits it: the bot falls back
const shot = (page, name) => page.screenshot({ path: `${shots}/trainer-${name}.png`, fullPage: true });

async function customerSays(message) {
  const response = await fetch(`${server}/webhooks/rest/webhook`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sender, message }),
  });
  if (!response.ok) throw new Error(`REST ${response.status}`);
  note(`customer said ${message}`);
}

async function scenario() {
  await customerSays(ODD);
  await customerSays("我的电水壶坏了，订单号QT202611150003");
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  page.on("pageerror", (err) => problems.push(String(err)));
  await page.goto(`${server}/console/trainer`);
  await page.waitForSelector("#login:not([hidden])");
  await page.fill("#login-user", username);
  await page.fill("#login-pass", password);
  await shot(page, "login");
  await page.click("#login-submit");
  await page.waitForSelector("#trainer:not([hidden])");
  note("logged in as trainer");

  // filter: fallbacks only
  await page.check("input[name=kind][value=fallback]");
  const listed = page.waitForResponse((r) => r.url().includes("/api/console/training/conversations?") && r.ok());
  await page.click("#f-apply");
  await listed;
  const item = `.tr-conv[data-sender="${sender}"]`;
  await page.waitForSelector(item);
  note("the conversation is in the fallback filter");
  await shot(page, "filtered");
  await page.click(item);
  await textIn(page, ".tr-msg .tr-text", ODD);
  const first = page.locator(".tr-msg").nth(0);
  const second = page.locator(".tr-msg").nth(1);
  if (!(await first.locator(".flag.fallback").count())) throw new Error("fallback not shown");
  note(`prediction shown: ${(await first.locator(".tr-pred").textContent()).trim()}`);

  // correct the intent of the odd message
  await first.locator(".intent-select").selectOption("out_of_scope");
  await first.locator(".save-correction").click();
  await page.waitForSelector(`.tr-msg.saved[data-event]`);
  await textIn(page, ".tr-saved", "out_of_scope");

  // the second message: mark 电水壶 as a product from the tokens, intent complain_quality
  const card = page.locator(".tr-msg").nth(1);
  await card.locator(".token", { hasText: "电水壶" }).first().click();
  await card.locator(".entity-select").selectOption("product");
  await card.locator(".mark-entity").click();
  const again = page.locator(".tr-msg").nth(1);
  await textIn(page, ".draft-entities .entity-chip", "电水壶 → product");
  await again.locator(".intent-select").selectOption("complain_quality");
  await shot(page, "entity");
  await again.locator(".save-correction").click();
  await textIn(page, ".tr-saved", "complain_quality");
  note("corrections saved");

  await page.fill("#story-name", `训练台故事 ${sender}`);
  await page.click("#mark-story");
  await textIn(page, "#story-status", "待导出");
  await textIn(page, "#pending li", "训练台故事");

  // export and see the result
  await page.click("#export");
  await textIn(page, "#export-result", "导出完成");
  const result = await page.textContent("#export-result");
  if (!result.includes(homeFile) || !result.includes("[电水壶](product)")) throw new Error(`export: ${result}`);
  if (!result.includes("tests/stories/test_reviewed_stories.yml")) throw new Error(`no story: ${result}`);
  note(`export shown: ${result.slice(0, 160)}`);
  await page.click("#lint");
  await page.waitForSelector("#lint-result li");
  await shot(page, "exported");
  if (second && problems.length) throw new Error(problems.join("; "));
}

try {
  await scenario();
  console.log(JSON.stringify({ ok: true, steps, sender }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, steps, sender, error: String(error), problems }));
} finally {
  await browser.close();
}
