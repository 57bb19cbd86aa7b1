// Customer text carrying script and img-onerror payloads, shown where staff read it beyond the
// agent console's case view (tests/browser/console.mjs covers that one): the supervisor
// dashboard's drill-down list and complaint conversation, and the trainer page's conversation
// list and message cards. Prints one JSON line {ok, steps, error?}.
// usage: node xss.mjs <server-url> <screenshot-dir> <supervisor> <trainer> <password>
import { journal, launch } from "./chromium.mjs";

const [server, shots, supervisor, trainer, password] = process.argv.slice(2);
const browser = await launch();
const problems = [];
const { steps, note } = journal();
const sender = `xss-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const IMG = `<img src=x onerror="window.__xss=1">`;
const SCRIPT = "<script>window.__xss=1</script>";
const SVG = `<svg/onload="window.__xss=1">`;
const COMPLAINT = "我的电水壶坏了，用了三天就不加热了";
const DETAIL = `补充一下情况${IMG}${SCRIPT}`;

function watch(page, name) {
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`${name}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`${name}: ${String(err)}`));
}

async function customerSays(message) {
  const response = await fetch(`${server}/webhooks/rest/webhook`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sender, message }),
  });
  if (!response.ok) throw new Error(`REST ${response.status}`);
  note(`customer said ${message.slice(0, 24)}`);
}

// Nothing ran, no element was made from the text, and the text is there, literally.
async function inert(page, where, container, wanted) {
  const found = await page.evaluate(([sel, text]) => {
    const nodes = [...document.querySelectorAll(sel)];
    return {
      xss: window.__xss,
      literal: nodes.some((n) => n.textContent.includes(text)),
      injected: nodes.some((n) => n.querySelector("img[src='x'], script, svg[onload], img[onerror]")),
    };
  }, [container, wanted]);
  if (found.xss !== undefined) throw new Error(`${where}: a payload ran`);
  if (found.injected) throw new Error(`${where}: the text became elements`);
  if (!found.literal) throw new Error(`${where}: the payload is not shown as text`);
  note(`${where}: shown as text, window.__xss undefined`);
}

async function login(page, user) {
  await page.waitForSelector("#login:not([hidden])", { timeout: 15000 });
  await page.fill("#login-user", user);
  await page.fill("#login-pass", password);
  await page.click("#login-submit");
}

async function dashboard(context) {
  const page = await context.newPage();
  watch(page, "dashboard");
  await page.goto(`${server}/console`);
  await login(page, supervisor);
  await page.waitForSelector("#desk:not([hidden])", { timeout: 15000 });
  await page.goto(`${server}/console/dashboard`);
  await page.waitForFunction(() => Number(document.body.dataset.loaded || 0) > 0, null, { timeout: 60000 });
  // Today's column of our complaint's type in the daily chart, clicked for real. Ours is the
  // newest complaint of all (tests run one after another).
  const ours = await page.evaluate(async () => {
    const day = document.querySelector("#f-to").value;
    const r = await fetch(`/api/console/analytics/complaints?from=${day}&to=${day}&per_page=1`);
    return (await r.json()).items[0] || null;
  });
  if (!ours || !(ours.preview || "").includes("电水壶")) throw new Error(`newest complaint: ${JSON.stringify(ours)}`);
  const at = await page.evaluate((label) => {
    const node = document.querySelector('[data-chart="daily"]');
    node.scrollIntoView({ block: "center" });
    const chart = echarts.getInstanceByDom(node);
    const option = chart.getOption();
    const day = option.xAxis[0].data.length - 1;
    let below = 0;
    for (let s = 0; s < option.series.length; s += 1) {
      const count = option.series[s].data[day];
      if (option.series[s].name === label) {
        const [x, y] = chart.convertToPixel({ seriesIndex: s }, [day, below + count / 2]);
        const box = node.getBoundingClientRect();
        return { x: box.left + x, y: box.top + y };
      }
      below += count;
    }
    return null;
  }, ours.type_label);
  if (!at) throw new Error(`no bar for ${ours.type_label} today`);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector(`#drill-rows tr.row[data-id="${ours.id}"]`, { timeout: 20000 });
  note(`drill-down lists complaint ${ours.reference}`);
  await page.click(`#drill-rows tr.row[data-id="${ours.id}"]`);
  await page.waitForSelector("#conversation:not([hidden])", { timeout: 15000 });
  await page.waitForFunction(() => document.querySelectorAll("#conv-transcript .line.customer").length > 0);
  await inert(page, "dashboard conversation", "#conversation", IMG);
  await inert(page, "dashboard conversation", "#conv-transcript", SCRIPT);
  await page.screenshot({ path: `${shots}/xss-dashboard.png` });
}

async function trainerPage(context) {
  const page = await context.newPage();
  watch(page, "trainer");
  await page.goto(`${server}/console/trainer`);
  await login(page, trainer);
  await page.waitForSelector("#trainer:not([hidden])", { timeout: 15000 });
  const listed = page.waitForResponse((r) => r.url().includes("/api/console/training/conversations?") && r.ok());
  await page.click("#f-apply");
  await listed;
  const item = `.tr-conv[data-sender="${sender}"]`;
  await page.waitForSelector(item, { timeout: 20000 });
  await inert(page, "trainer list", ".tr-conv", COMPLAINT);  // the preview: the first message
  await page.click(item);
  await page.waitForFunction((t) => [...document.querySelectorAll(".tr-msg .tr-text")].some((n) => n.textContent.includes(t)),
    SVG, { timeout: 20000 });
  await inert(page, "trainer message cards", ".tr-msg", IMG);
  await inert(page, "trainer message cards", ".tr-msg", SVG);
  await page.screenshot({ path: `${shots}/xss-trainer.png`, fullPage: true });
}

try {
  await customerSays(COMPLAINT);
  await customerSays(DETAIL);
  await customerSays(SVG);
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  await dashboard(context);
  const other = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  await trainerPage(other);
  const blocking = problems.filter((p) => !/status of 40[13]/.test(p));
  if (blocking.length) throw new Error(`page problems: ${blocking.join(" | ").slice(0, 1500)}`);
  note("no CSP refusals or script errors");
  console.log(JSON.stringify({ ok: true, steps }));
} catch (error) {
  for (const [index, p] of browser.contexts().flatMap((c) => c.pages()).entries()) {
    await p.screenshot({ path: `${shots}/xss-failure-${index}.png`, fullPage: true }).catch(() => {});
  }
  console.log(JSON.stringify({ ok: false, steps, problems, error: String(error) }));
} finally {
  await browser.close();
}
