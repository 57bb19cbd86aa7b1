// Drives the agent console (/console) in headless Chromium while a REST customer complains,
// escalates and gets handed off; prints one JSON line {ok, steps, error?}.
// usage: node console.mjs <server-url> <screenshot-dir> <agent-username> <password> [<supervisor-username>]
import { journal, launch } from "./chromium.mjs";

const [server, shots, username, password, supervisor] = process.argv.slice(2);
const browser = await launch();
const problems = [];  // CSP refusals and script errors in the page
const { steps, note } = journal();
const stamp = Date.now().toString(36);
// The customer is a chat-page customer: the server issues its session in a signed cookie.
const issued = await fetch(`${server}/api/chat/session`, { method: "POST" });
const customerCookie = issued.headers.get("set-cookie").split(";")[0];
const sender = customerCookie.split("=")[1].split(".")[0];
const REPLY = `非常抱歉给您添麻烦了，我是李主管，马上为您安排换新，编号${stamp}。`;
const XSS_IMG = `<img src=x onerror="window.__xss=1">`;
const XSS_SCRIPT = "<script>window.__xss=1</script>";
const LONG = "长".repeat(2000) + "A".repeat(8000);

function watch(page, name) {
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) {
      problems.push(`${name}: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => problems.push(`${name}: ${String(err)}`));
}

async function customerSays(message) {
  const response = await fetch(`${server}/webhooks/rest/webhook`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Cookie: customerCookie },
    body: JSON.stringify({ sender, message }),
  });
  if (!response.ok) throw new Error(`REST ${response.status} for ${message.slice(0, 40)}`);
  const replies = await response.json();
  note(`customer said ${message.slice(0, 30)} -> ${replies.length} replies`);
  return replies;
}

async function customerHistory() {
  const response = await fetch(`${server}/api/chat/history`, { headers: { Cookie: customerCookie } });
  if (!response.ok) throw new Error(`history ${response.status}`);
  return (await response.json()).messages;
}

async function until(check, what, timeout = 30000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const textOf = (page, selector) => page.$eval(selector, (e) => e.textContent);
const shot = (page, name) => page.screenshot({ path: `${shots}/console-${name}.png` });

async function login(page, user, pass) {
  await page.waitForSelector("#login:not([hidden])", { timeout: 15000 });
  await page.fill("#login-user", user);
  await page.fill("#login-pass", pass);
  await page.click("#login-submit");
}

async function scenario() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  watch(page, "console");
  await page.goto(`${server}/console`);

  // --- login: a wrong password first, the server's Chinese message is shown ---------------------
  await login(page, username, "definitely wrong password");
  await page.waitForSelector("#login-error:not([hidden])", { timeout: 15000 });
  const refusal = await textOf(page, "#login-error");
  if (!refusal.includes("不正确")) throw new Error(`unexpected login error: ${refusal}`);
  note(`wrong password refused: ${refusal}`);
  await shot(page, "login");
  const firstQueue = page.waitForResponse((r) => r.url().includes("/api/console/queue") && r.status() === 200);
  await login(page, username, password);
  await firstQueue;
  await page.waitForSelector("#desk:not([hidden])");
  await page.waitForFunction(() => document.querySelector("#conn").classList.contains("live"), null, { timeout: 20000 });
  note("logged in, live connection up");
  if (await page.isVisible("#tab-supervisor")) throw new Error("an agent sees the supervisor tab");
  await page.waitForTimeout(500);
  const before = await page.$$eval(".q-item", (items) => items.map((i) => i.dataset.id));
  await shot(page, "queue-before");

  // --- the customer complains, then escalates: the case must appear live --------------------------
  await customerSays("我的电水壶坏了，订单号QT202611150003");
  await customerSays("0003");  // the last four digits of the phone on the order: it is theirs
  const escalated = Date.now();
  const handoffReplies = await customerSays("你们再不处理我就打12315投诉，还要发微博曝光");
  note(`bot said on handoff: ${handoffReplies.map((m) => m.text || "").join(" / ").slice(0, 80)}`);
  const handle = await page.waitForFunction(
    (known) => [...document.querySelectorAll(".q-item")].map((i) => i.dataset.id).find((id) => !known.includes(id)),
    before, { timeout: 20000 },
  );
  const handoffId = await handle.jsonValue();
  note(`new case ${handoffId} appeared live after ${Date.now() - escalated} ms (no reload)`);
  await page.waitForFunction(() => document.title.includes("新紧急投诉"), null, { timeout: 5000 });
  note(`title flashes: ${await page.title()}`);
  const item = `.q-item[data-id="${handoffId}"]`;
  const itemText = await textOf(page, item);
  if (!itemText.includes("紧急")) throw new Error(`queue item lacks the 紧急 badge: ${itemText}`);
  await page.waitForFunction((sel) => /剩余|已超时/.test(document.querySelector(`${sel} .q-sla`).textContent), item);
  await shot(page, "queue-new-case");

  // --- open the case: reasons are prominent -------------------------------------------------------
  await page.click(item);
  await page.waitForSelector("#case:not([hidden])");
  await page.waitForFunction(() => /12315|媒体曝光/.test(document.querySelector("#case-reasons").textContent));
  note(`reasons: ${await textOf(page, "#case-reasons")}`);
  await page.waitForFunction(() => document.querySelector("#transcript").textContent.includes("12315"));
  await page.waitForFunction(() => document.querySelectorAll("#six-steps .script").length === 6);
  const steps1 = await textOf(page, "#six-steps");
  if (!steps1.includes("电水壶")) throw new Error("the six-step script did not get the product filled in");
  await page.click('.side-tab[data-side="record"]');
  await page.waitForFunction(() => document.querySelector("#record").textContent.includes("QT202611150003"));
  note("record shows the order");
  await shot(page, "case-record");
  await page.click('.side-tab[data-side="suggest"]');

  // --- hostile customer text stays inert and wraps -----------------------------------------------
  for (const line of [XSS_IMG, XSS_SCRIPT, LONG]) {
    const replies = await customerSays(line);
    if (replies.length) throw new Error(`the bot answered while handed off: ${JSON.stringify(replies).slice(0, 200)}`);
  }
  await page.waitForFunction(
    ([a, b]) => {
      const bubbles = [...document.querySelectorAll("#transcript .line.customer .bubble")].map((e) => e.textContent);
      return bubbles.includes(a) && bubbles.includes(b) && bubbles.some((t) => t.length >= 10000);
    },
    [XSS_IMG, XSS_SCRIPT], { timeout: 20000 },
  );
  const xss = await page.evaluate(() => ({
    flag: typeof window.__xss,
    injected: document.querySelectorAll("#transcript img, #transcript script").length,
    overflow: (() => { const t = document.querySelector("#transcript"); return t.scrollWidth - t.clientWidth; })(),
    pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  }));
  if (xss.flag !== "undefined" || xss.injected) throw new Error(`markup was interpreted: ${JSON.stringify(xss)}`);
  if (xss.overflow > 1 || xss.pageOverflow > 1) throw new Error(`long line does not wrap: ${JSON.stringify(xss)}`);
  note("customer markup shown as text (window.__xss undefined), 10,000-char line wraps");
  await shot(page, "xss-inert");

  // --- claim ------------------------------------------------------------------------------------
  await page.click("#act-claim");
  await page.waitForFunction(() => document.querySelector("#case-status").textContent === "已接待");
  await page.waitForFunction(() => [...document.querySelectorAll("#transcript .line.agent .who")]
    .some((e) => e.textContent.includes("李主管")));
  await page.waitForFunction((sel) => document.querySelector(`${sel} .q-sla`)?.textContent.includes("已接待"), item);
  note("claimed; the customer was told 李主管 joined");
  await shot(page, "claimed");

  // --- negative phrasing: refused on send (422), warned while typing, rewritten on request ----------
  await page.fill("#reply", "这个不行");
  await page.click("#send");
  await page.waitForSelector("#lang-warn:not([hidden])", { timeout: 10000 });
  if (!(await textOf(page, "#lang-issues")).includes("不行")) throw new Error("warning does not name the phrase");
  if ((await page.inputValue("#reply")) !== "这个不行") throw new Error("the draft was lost on a refused send");
  note("send of 这个不行 refused with the warning, draft kept");
  await page.fill("#reply", "");
  await page.waitForSelector("#lang-warn", { state: "hidden", timeout: 5000 });
  await page.type("#reply", "这个不行", { delay: 30 });
  await page.waitForSelector("#lang-warn:not([hidden])", { timeout: 10000 });
  await shot(page, "language-warning");
  await page.click("#lang-use");
  const rewritten = await page.inputValue("#reply");
  if (!rewritten || rewritten.includes("不行")) throw new Error(`suggestion not applied: ${rewritten}`);
  await page.waitForTimeout(900);
  if (await page.isVisible("#lang-warn")) throw new Error("warning still shown after using the suggestion");
  note(`suggestion applied: ${rewritten}`);

  // --- the draft survives a reload ---------------------------------------------------------------
  await page.fill("#reply", REPLY);
  await page.reload();
  await page.waitForSelector("#desk:not([hidden])");
  await page.waitForSelector(item);
  await page.click(item);
  await page.waitForFunction((text) => document.querySelector("#reply").value === text, REPLY, { timeout: 15000 });
  note("draft restored after reload");

  // --- the session lapses: the login overlay keeps the draft, then the send is retried --------------
  await page.waitForFunction(() => document.querySelector("#conn").classList.contains("live"), null, { timeout: 20000 });
  const session = await (await page.request.get(`${server}/api/auth/session`)).json();
  const out = await page.request.post(`${server}/api/auth/logout`, { headers: { "X-CSRF-Token": session.csrf_token } });
  if (!out.ok()) throw new Error(`could not end the session: ${out.status()}`);
  // A programmatic click: the 15 s safety poll may already have put the login overlay on top.
  await page.$eval("#send", (button) => button.click());
  await page.waitForSelector("#login:not([hidden])", { timeout: 15000 });
  const lapse = await textOf(page, "#login-note");
  if ((await page.inputValue("#reply")) !== REPLY) throw new Error("the draft vanished behind the login overlay");
  if (!lapse.includes("登录")) throw new Error(`the overlay does not say the login lapsed: ${lapse}`);
  note(`session lapsed: ${lapse}`);
  await shot(page, "relogin");
  await page.fill("#login-pass", password);
  if ((await page.inputValue("#login-user")) !== username) await page.fill("#login-user", username);
  await page.click("#login-submit");
  await page.waitForSelector("#login", { state: "hidden", timeout: 15000 });
  await page.waitForFunction((text) => [...document.querySelectorAll("#transcript .line.agent .bubble")]
    .some((e) => e.textContent === text), REPLY, { timeout: 20000 });
  await page.waitForFunction(() => document.querySelector("#reply").value === "", null, { timeout: 10000 });
  note("logged in again; the reply was sent by the retry and appears in the transcript");
  const afterReply = await until(async () => {
    const messages = await customerHistory();
    const at = messages.findIndex((m) => m.text === REPLY);
    return at >= 0 ? { messages, at } : null;
  }, "the reply in the customer's history");
  note(`customer history has the reply (from=${afterReply.messages[afterReply.at].from})`);
  await shot(page, "replied");

  // --- a second tab of the same agent works too ----------------------------------------------------
  const tab = await context.newPage();
  watch(tab, "second tab");
  await tab.goto(`${server}/console`);
  await tab.waitForSelector("#desk:not([hidden])", { timeout: 15000 });
  await tab.waitForSelector(item);
  await tab.click(item);
  await tab.waitForFunction((text) => [...document.querySelectorAll("#transcript .line.agent .bubble")]
    .some((e) => e.textContent === text), REPLY, { timeout: 15000 });
  await tab.waitForFunction(() => document.querySelector("#conn").classList.contains("live"), null, { timeout: 20000 });
  await customerSays("好的，那就换新吧");
  for (const p of [page, tab]) {
    await p.waitForFunction(() => [...document.querySelectorAll("#transcript .line.customer .bubble")]
      .some((e) => e.textContent === "好的，那就换新吧"), null, { timeout: 15000 });
  }
  note("second tab shows the case; both tabs got the customer's answer live");
  await tab.close();

  // --- internal note ----------------------------------------------------------------------------
  await page.click('.side-tab[data-side="notes"]');
  await page.fill("#note-text", "客户情绪已平复，<b>换新</b>处理");
  await page.click("#note-add");
  await page.waitForFunction(() => [...document.querySelectorAll("#notes .note-text")]
    .some((e) => e.textContent === "客户情绪已平复，<b>换新</b>处理"));
  note("internal note added");

  // --- hand back to the bot -----------------------------------------------------------------------
  const lines = (await customerHistory()).length;
  await page.click("#act-handback");
  await page.waitForSelector("#dialog:not([hidden])");
  await page.click("#dialog-ok");
  await page.waitForSelector("#case-notice:not([hidden])", { timeout: 30000 });
  const notice = await textOf(page, "#case-notice");
  if (!notice.includes("感谢您的耐心")) throw new Error(`bot_said not shown: ${notice}`);
  await page.waitForFunction(() => document.querySelector("#case-status").textContent === "已交回机器人");
  note(`handed back; bot said: ${notice.slice(0, 60)}`);
  const resumed = await until(async () => {
    const messages = await customerHistory();
    return messages.slice(lines).find((m) => m.from === "bot" && m.text.includes("感谢您的耐心"));
  }, "the bot's line after the handback");
  note(`customer history gained: ${resumed.text.slice(0, 40)}`);
  await shot(page, "handback");
  const continued = await customerSays("你好");
  if (!continued.length) throw new Error("the bot stayed silent after the handback");
  note("the bot answers the customer again");

  // --- a supervisor sees the overview and the audit log ---------------------------------------------
  if (supervisor) {
    const boss = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
    const sp = await boss.newPage();
    watch(sp, "supervisor");
    await sp.goto(`${server}/console`);
    await login(sp, supervisor, password);
    await sp.waitForSelector("#tab-supervisor:not([hidden])", { timeout: 15000 });
    await sp.click("#tab-supervisor");
    await sp.waitForFunction(() => document.querySelector("#sup-audit").textContent.includes("交回机器人"),
      null, { timeout: 15000 });
    await sp.waitForFunction(() => document.querySelector("#sup-agents").textContent.includes("李主管"));
    note("supervisor sees agents and the audit log");
    await sp.screenshot({ path: `${shots}/console-supervisor.png`, fullPage: true });
    await boss.close();
  }

  if (problems.length) throw new Error(`page problems: ${problems.join(" | ").slice(0, 1500)}`);
}

try {
  await scenario();
  console.log(JSON.stringify({ ok: true, steps, sender }));
} catch (error) {
  const pages = [];
  for (const [index, page] of browser.contexts().flatMap((c) => c.pages()).entries()) {
    await page.screenshot({ path: `${shots}/console-failure-${index}.png` }).catch(() => {});
    pages.push(await page.evaluate(() => ({
      conn: document.querySelector("#conn")?.textContent,
      status: document.querySelector("#case-status")?.textContent,
      last: [...document.querySelectorAll("#transcript .line")].slice(-3).map((l) => l.textContent.slice(0, 80)),
    })).catch((e) => String(e)));
  }
  console.log(JSON.stringify({ ok: false, steps, sender, problems, pages, error: String(error) }));
} finally {
  await browser.close();
}
