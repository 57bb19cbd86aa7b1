// Drives the back-office page (/console/workorders) in headless Chromium while a customer on
// the H5 chat page (/chat) has a refund agreed; the agent edits the pickup's address and note
// (read back masked: an agent may not see personal data), moves the refund work order and the
// customer's page shows each update live. Prints one JSON line {ok, steps, error?}.
// usage: node workorders.mjs <server-url> <screenshot-dir> <agent-username> <password>
import { journal, launch } from "./chromium.mjs";

const [server, shots, username, password] = process.argv.slice(2);
const browser = await launch();
const problems = [];
const { steps, note, textIn } = journal();

function watch(page, name) {
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) {
      problems.push(`${name}: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => problems.push(`${name}: ${String(err)}`));
}

async function customerAgreesToARefund() {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  watch(page, "h5");
  await page.goto(`${server}/chat`);
  const say = async (text) => {
    await page.fill("#text", text);
    await page.press("#text", "Enter");
    note(`customer said ${text}`);
  };
  await textIn(page, ".msg.bot", "小倾");
  await say("我上周买的电水壶用了三天就不加热了");
  await textIn(page, ".msg.bot", "订单号");
  await say("QT202611150003");
  await textIn(page, ".msg.bot", "后四位");  // the order is proven the customer's own first
  await say("0003");
  await page.waitForSelector(".buttons button", { timeout: 45000 });
  await page.click(".buttons button >> text=退货退款");
  await textIn(page, ".msg.bot", "已为您确认");
  await textIn(page, ".msg.bot", "上门的详细地址");  // the pickup needs it
  await say("杭州市西湖区文三路90号5幢301室");
  await textIn(page, ".msg.bot", "哪个时间段");
  await page.click(".buttons button >> text=明天上午");
  await textIn(page, ".msg.bot", "已为您记下");
  await say("明天下午三点");
  await textIn(page, ".msg.bot", "已为您预约");
  const texts = await page.$$eval(".msg.bot", (nodes) => nodes.map((n) => n.textContent).join("\n"));
  const reference = (texts.match(/TS\d{8}-\d{4}/) || [])[0];
  if (!reference) throw new Error("no complaint reference on the customer's page");
  note(`complaint ${reference}`);
  return { page, reference };
}

const NEW_ADDRESS = "上海市浦东新区世纪大道100号5栋1201室";

async function agentEditsThePickup(page, reference) {
  const pickup = `tr[data-reference^="${reference}-"][data-kind="return_pickup"]`;
  await page.waitForSelector(pickup, { timeout: 15000 });
  const before = (await page.textContent(`${pickup} .wo-address`)).trim();
  if (before.includes("文三路")) throw new Error("the address the customer gave is shown to an agent in clear");
  await page.click(`${pickup} button[data-action="edit"]`);
  await page.waitForSelector("#edit-form:not([hidden])");
  await page.fill("#edit-address", NEW_ADDRESS);
  await page.fill("#edit-note", "<img src=x onerror=alert(1)>小区东门进");
  await page.click("#edit-submit");
  await textIn(page, ".toast", "已保存地址");
  await textIn(page, `${pickup} .wo-address`, "上海市浦东新****");
  await textIn(page, `${pickup} .wo-team-note`, "小区东门进");
  const shown = await page.textContent("body");
  if (shown.includes("世纪大道")) throw new Error("the edited address is shown to an agent in clear");
  const injected = await page.$$eval("#rows img, #rows script", (nodes) => nodes.length);
  if (injected) throw new Error("the note was rendered as HTML");
  note(`the agent edited the pickup's address, shown masked (${before} → 上海市浦东新****)`);
  await page.screenshot({ path: `${shots}/workorders-edited.png` });
}

async function agentMovesTheRefund(reference, customer) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  watch(page, "workorders");
  await page.goto(`${server}/console/workorders`);
  await page.waitForSelector("#login:not([hidden])", { timeout: 15000 });
  await page.fill("#login-user", username);
  await page.fill("#login-pass", password);
  await page.click("#login-submit");
  await page.waitForSelector("#wo:not([hidden])", { timeout: 15000 });
  const row = `tr[data-reference^="${reference}-"][data-kind="refund"]`;
  await page.waitForSelector(row, { timeout: 15000 });
  note("the refund work order is listed");
  await page.screenshot({ path: `${shots}/workorders-list.png` });

  await agentEditsThePickup(page, reference);

  await page.click(`${row} button[data-action="done"]`, { timeout: 2000 }).then(
    () => { throw new Error("done was offered before the work order was accepted"); },
    () => note("done is not offered to a work order nobody accepted"),
  );
  await page.click(`${row} button[data-action="accept"]`);
  await textIn(page, `${row} .wo-state`, "已接单");
  await textIn(customer, ".msg.bot", "财务同事已接单");
  await page.click(`${row} button[data-action="done"]`);
  await textIn(page, ".toast", "已完成");
  await page.waitForSelector(row, { state: "detached", timeout: 15000 });  // no longer in progress
  note("the finished refund left the in-progress list");
  await page.screenshot({ path: `${shots}/workorders-done.png` });
  await textIn(customer, ".msg.bot", "退款已原路退回，1-3个工作日到账");
  note("the customer's page shows the refund done");
  await customer.screenshot({ path: `${shots}/workorders-customer.png` });
}

try {
  const { page, reference } = await customerAgreesToARefund();
  await agentMovesTheRefund(reference, page);
  const count = await page.$$eval(".msg.bot", (nodes) => nodes.filter((n) => n.textContent.includes("退款已原路退回")).length);
  note(`refund done shown ${count} time(s)`);
  if (problems.length) throw new Error(problems.join("; "));
  console.log(JSON.stringify({ ok: true, steps, shownOnce: count === 1 }));
} catch (error) {
  for (const page of browser.contexts().flatMap((c) => c.pages())) {
    await page.screenshot({ path: `${shots}/workorders-failure.png` }).catch(() => {});
  }
  console.log(JSON.stringify({ ok: false, steps, error: String(error) }));
} finally {
  await browser.close();
}
