// Drives the supervisor views of the back-office page (/console/workorders) in headless
// Chromium: an agent sees neither the figures nor the dead letters; a supervisor sees the
// work-order figures by kind and team and the events the shop's system never took, and sends
// one again. Prints one JSON line {ok, steps, error?}.
// usage: node workorders_supervisor.mjs <server-url> <screenshot-dir> <agent> <supervisor> <password> <reference>
import { journal, launch } from "./chromium.mjs";

const [server, shots, agent, supervisor, password, reference] = process.argv.slice(2);
const browser = await launch();
const problems = [];
const { steps, note, textIn } = journal();

async function login(username) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  page.on("pageerror", (err) => problems.push(String(err)));
  page.on("dialog", (dialog) => { problems.push(`a dialog opened: ${dialog.message()}`); dialog.dismiss(); });
  await page.goto(`${server}/console/workorders`);
  await page.waitForSelector("#login:not([hidden])", { timeout: 15000 });
  await page.fill("#login-user", username);
  await page.fill("#login-pass", password);
  await page.click("#login-submit");
  await page.waitForSelector("#wo:not([hidden])", { timeout: 15000 });
  return page;
}

try {
  const asAgent = await login(agent);
  if (await asAgent.isVisible("#tab-figures") || await asAgent.isVisible("#tab-dead")) {
    throw new Error("an agent was offered the supervisor views");
  }
  note("an agent sees only the work-order list");
  await asAgent.context().close();

  const page = await login(supervisor);
  await page.click("#tab-figures");
  await page.waitForSelector("#figures:not([hidden])");
  await textIn(page, "#fig-kind-rows tr", "退货上门取件");
  await textIn(page, "#fig-team-rows tr", "物流组");
  await textIn(page, "#fig-totals", "共 ");
  const pickupTotal = await page.textContent('#fig-kind-rows tr[data-kind="return_pickup"] td:nth-child(2)');
  note(`return pickups counted: ${pickupTotal}`);
  if (!(Number(pickupTotal) >= 1)) throw new Error("the figures do not count the return pickup");
  await page.screenshot({ path: `${shots}/workorders-figures.png` });

  await page.click("#tab-dead");
  await page.waitForSelector("#dead:not([hidden])");
  const row = `#dead-rows tr[data-reference^="${reference}-"]`;
  await page.waitForSelector(row, { timeout: 30000 });
  note("the undelivered events are listed");
  const injected = await page.$$eval("#dead-rows img, #dead-rows script", (nodes) => nodes.length);
  if (injected) throw new Error("markup from the server was rendered as HTML");
  await page.screenshot({ path: `${shots}/workorders-dead.png` });
  const before = await page.$$eval("#dead-rows tr", (nodes) => nodes.length);
  await page.click(`${row} button[data-action="retry"]`);
  await textIn(page, ".toast", "已重新排队投递");
  note(`one of ${before} dead letters sent again`);
  if (problems.length) throw new Error(problems.join("; "));
  console.log(JSON.stringify({ ok: true, steps }));
} catch (error) {
  for (const page of browser.contexts().flatMap((c) => c.pages())) {
    await page.screenshot({ path: `${shots}/workorders-supervisor-failure.png` }).catch(() => {});
  }
  console.log(JSON.stringify({ ok: false, steps, error: String(error) }));
} finally {
  await browser.close();
}
