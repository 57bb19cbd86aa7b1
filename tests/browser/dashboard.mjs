// Drives the supervisor dashboard (/console/dashboard) in headless Chromium against a server
// seeded with demo data; prints one JSON line {ok, steps, charts, error?}.
// usage: node dashboard.mjs <server-url> <screenshot-dir> <supervisor> <password> <agent>
import { readFile } from "node:fs/promises";

import { journal, launch } from "./chromium.mjs";

const [server, shots, supervisor, password, agent] = process.argv.slice(2);
const CHARTS = ["daily", "products", "issues", "severity", "containment", "reasons", "remedies", "compensation",
  "sla", "csat", "csat-trend", "quality"];
const browser = await launch();
const problems = [];
const { steps, note } = journal();
const charts = {};
const sender = `dash-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const COMPLAINT = "我的电水壶坏了，用了三天就不加热了";

function watch(page, name) {
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`${name}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`${name}: ${String(err)}`));
}

async function customerSays(message) {
  const response = await fetch(`${server}/webhooks/rest/webhook`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sender, message }),
  });
  if (!response.ok) throw new Error(`REST ${response.status}`);
  note(`customer said ${message}`);
}

async function loginOnConsole(page, user) {
  await page.goto(`${server}/console`);
  await page.waitForSelector("#login:not([hidden])", { timeout: 15000 });
  await page.fill("#login-user", user);
  await page.fill("#login-pass", password);
  await page.click("#login-submit");
  await page.waitForSelector("#desk:not([hidden])", { timeout: 15000 });
}

async function loaded(page, after = 0) {
  await page.waitForFunction((t) => Number(document.body.dataset.loaded || 0) > t, after, { timeout: 60000 });
  return page.evaluate(() => Number(document.body.dataset.loaded));
}

// Pixel of a data point in page coordinates (ECharts' own coordinate conversion), for a real click.
async function pointOf(page, chart, seriesIndex, value) {
  return page.evaluate(([name, s, v]) => {
    const node = document.querySelector(`[data-chart="${name}"]`);
    node.scrollIntoView({ block: "center" });
    const [x, y] = echarts.getInstanceByDom(node).convertToPixel({ seriesIndex: s }, v);
    const box = node.getBoundingClientRect();
    return { x: box.left + x, y: box.top + y };
  }, [chart, seriesIndex, value]);
}

async function drillTotal(page, before) {
  await page.waitForFunction((b) => {
    const d = document.querySelector("#drill");
    return !d.hidden && d.dataset.total !== undefined && document.querySelector("#drill-title").textContent !== b;
  }, before, { timeout: 20000 });
  return Number(await page.$eval("#drill", (d) => d.dataset.total));
}

async function scenario() {
  // --- not logged in: sent to the console to log in ------------------------------------------------
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN", acceptDownloads: true });
  const page = await context.newPage();
  watch(page, "dashboard");
  await page.goto(`${server}/console/dashboard`);
  await page.waitForSelector("#gate:not([hidden])", { timeout: 15000 });
  await page.waitForURL(`${server}/console`, { timeout: 15000 });
  note("not logged in: the dashboard sends the visitor to /console");

  // --- a real customer complains today (the newest complaint of all) -------------------------------
  await customerSays(COMPLAINT);

  // --- the supervisor logs in on the console and follows the nav link --------------------------------
  await loginOnConsole(page, supervisor);
  await page.click("#tab-dashboard");
  await page.waitForURL(`${server}/console/dashboard`);
  let stamp = await loaded(page);
  await page.click('.quick button[data-days="180"]');
  stamp = await loaded(page, stamp);
  note(`dashboard loaded for 180 days: ${await page.$eval("#kpis", (k) => k.textContent.slice(0, 60))}`);
  await page.screenshot({ path: `${shots}/dashboard-overview.png`, fullPage: true });

  // --- every chart drew something ------------------------------------------------------------------
  for (const name of CHARTS) {
    const info = await page.$eval(`[data-chart="${name}"]`, (node) => {
      const canvas = node.querySelector("canvas");
      if (!canvas) return { canvas: false };
      const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) inked += 1;
      }
      return { canvas: true, width: canvas.width, height: canvas.height, inked };
    });
    charts[name] = info;
    if (!info.canvas || info.inked < 800) throw new Error(`chart ${name} looks empty: ${JSON.stringify(info)}`);
    const card = await page.$(`[data-chart="${name}"]`).then((n) => n.evaluateHandle((e) => e.closest(".card")));
    await card.asElement().screenshot({ path: `${shots}/dashboard-${name}.png` });
  }
  note(`all ${CHARTS.length} charts drawn (canvas renderer)`);
  const nps = await page.$eval("#nps-note", (n) => n.textContent);
  if (!nps.includes("NPS")) throw new Error(`no NPS note: ${nps}`);

  // --- click the longest product bar: the list behind it has as many complaints ------------------------
  const bar = await page.evaluate(() => {
    const option = echarts.getInstanceByDom(document.querySelector('[data-chart="products"]')).getOption();
    const data = option.series[0].data;
    const index = data.length - 1;
    return { index, count: data[index], label: option.yAxis[0].data[index] };
  });
  const at = await pointOf(page, "products", 0, [bar.count / 2, bar.index]);
  await page.mouse.click(at.x, at.y);
  const total = await drillTotal(page, "");
  if (total !== bar.count) throw new Error(`product bar says ${bar.count}, list has ${total}`);
  const title = await page.$eval("#drill-title", (t) => t.textContent);
  if (!title.includes(bar.label)) throw new Error(`list title ${title} lacks ${bar.label}`);
  note(`clicked bar ${bar.label} (${bar.count}): list of ${total} complaints`);

  // --- CSV of that list ---------------------------------------------------------------------------
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#drill-export")]);
  const csv = (await readFile(await download.path(), "utf-8")).replace(/^\ufeff/, "");
  const lines = csv.trim().split(/\r\n/);
  if (!lines[0].startsWith("投诉编号") || lines.length - 1 !== total) {
    throw new Error(`CSV has ${lines.length - 1} rows for ${total}: ${lines[0]}`);
  }
  note(`CSV downloaded (${download.suggestedFilename()}): ${lines.length - 1} complaints`);

  // --- click today's bar of the daily chart: our customer's complaint is the newest ------------------
  const newest = await page.evaluate(async () => {
    const day = document.querySelector("#f-to").value;
    const r = await fetch(`/api/console/analytics/complaints?from=${day}&to=${day}&per_page=1`);
    return (await r.json()).items[0];
  });
  if (!newest || !newest.preview.includes("电水壶")) throw new Error(`newest complaint: ${JSON.stringify(newest)}`);
  const today = await page.evaluate((label) => {
    const option = echarts.getInstanceByDom(document.querySelector('[data-chart="daily"]')).getOption();
    const day = option.xAxis[0].data.length - 1;
    let below = 0;
    for (let s = 0; s < option.series.length; s += 1) {
      const count = option.series[s].data[day];
      if (option.series[s].name === label) return { day, series: s, count, mid: below + count / 2, name: label };
      below += count;
    }
    return null;
  }, newest.type_label);
  if (!today) throw new Error("today's column is empty although a customer complained");
  const previous = await page.$eval("#drill-title", (t) => t.textContent);
  const todayAt = await pointOf(page, "daily", today.series, [today.day, today.mid]);
  await page.mouse.click(todayAt.x, todayAt.y);
  const todays = await drillTotal(page, previous);
  if (todays !== today.count) throw new Error(`today's ${today.name} bar says ${today.count}, list has ${todays}`);
  note(`clicked today's ${today.name} bar (${today.count})`);
  await page.screenshot({ path: `${shots}/dashboard-drilldown.png`, fullPage: false });

  // --- open the newest complaint: its conversation is the customer's own words ---------------------
  await page.click("#drill-rows tr.row");
  await page.waitForSelector("#conversation:not([hidden])", { timeout: 15000 });
  await page.waitForFunction((t) => [...document.querySelectorAll("#conv-transcript .line.customer .bubble")]
    .some((b) => b.textContent.includes(t)), COMPLAINT, { timeout: 15000 });
  const botLines = await page.$$eval("#conv-transcript .line.bot", (l) => l.length);
  if (!botLines) throw new Error("the transcript has no bot line");
  note(`conversation opened: customer line and ${botLines} bot lines`);
  await page.screenshot({ path: `${shots}/dashboard-conversation.png` });
  await page.click("#conv-close");

  // --- an agent is told kindly that the dashboard is for supervisors ---------------------------------
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" });
  const ap = await other.newPage();
  watch(ap, "agent");
  await loginOnConsole(ap, agent);
  await ap.goto(`${server}/console/dashboard`);
  await ap.waitForSelector("#gate:not([hidden])", { timeout: 15000 });
  const gate = await ap.$eval("#gate-text", (g) => g.textContent);
  if (!gate.includes("权限")) throw new Error(`agent gate says ${gate}`);
  note(`agent sees: ${gate}`);
  await other.close();

  const blocking = problems.filter((p) => !/Failed to load resource: the server responded with a status of 40[13]/.test(p));
  if (blocking.length) throw new Error(`page problems: ${blocking.join(" | ").slice(0, 1500)}`);
  note(`no CSP refusals or script errors (${problems.length} expected 401/403 answers)`);
}

try {
  await scenario();
  console.log(JSON.stringify({ ok: true, steps, charts }));
} catch (error) {
  for (const [index, p] of browser.contexts().flatMap((c) => c.pages()).entries()) {
    await p.screenshot({ path: `${shots}/dashboard-failure-${index}.png`, fullPage: true }).catch(() => {});
  }
  console.log(JSON.stringify({ ok: false, steps, charts, problems, error: String(error) }));
} finally {
  await browser.close();
}
