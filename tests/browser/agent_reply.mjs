// An agent's console reply reaching customers on the socket channels, in headless Chromium:
// the real rasa-webchat widget, and our H5 page (also after it was closed and reopened).
// usage: node agent_reply.mjs <server-url> <shop-page-url> <screenshot-dir> <username> <password>
import { journal, launch } from "./chromium.mjs";

const [server, shopUrl, shots, username, password] = process.argv.slice(2);
const browser = await launch();
const { steps, note, textIn } = journal();

// The console API, as an agent: cookie session + CSRF header (what the console page does).
class Agent {
  async login() {
    const first = await fetch(`${server}/api/auth/session`);
    this.cookie = first.headers.get("set-cookie").split(";")[0];
    this.csrf = (await first.json()).csrf_token;
    const res = await this.post("/api/auth/login", { username, password });
    if (res.status !== 200) throw new Error(`login ${res.status}`);
  }
  async post(path, body) {
    const res = await fetch(server + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: this.cookie, "X-CSRF-Token": this.csrf },
      body: JSON.stringify(body || {}),
    });
    const cookie = res.headers.get("set-cookie");
    if (cookie) this.cookie = cookie.split(";")[0];
    if (res.ok && path === "/api/auth/login") this.csrf = (await res.clone().json()).csrf_token;
    return res;
  }
  async handoffOf(senderId) {
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${server}/api/console/queue`, { headers: { Cookie: this.cookie } });
      const item = (await res.json()).items.find((x) => x.sender_id === senderId);
      if (item) return item.id;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`no handoff for ${senderId}`);
  }
  async takeAndSay(senderId, text) {
    const id = await this.handoffOf(senderId);
    const claim = await this.post(`/api/console/handoffs/${id}/claim`);
    if (claim.status !== 200) throw new Error(`claim ${claim.status}`);
    const sent = await this.post(`/api/console/handoffs/${id}/messages`, { text });
    if (sent.status !== 201) throw new Error(`reply ${sent.status} ${await sent.text()}`);
    note(`agent said ${text}`);
    return id;
  }
}

async function widget(agent) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${shopUrl}/widget.html?server=${encodeURIComponent(server)}`);
  await page.click(".rw-launcher");
  await textIn(page, ".rw-response", "您好");
  await page.fill(".rw-new-message", "转人工");
  await page.press(".rw-new-message", "Enter");
  await textIn(page, ".rw-response", "资深同事");
  const senderId = await page.evaluate(() => {
    const raw = localStorage.getItem("chat_session") || sessionStorage.getItem("chat_session");
    return raw && JSON.parse(raw).session_id;
  });  // the token session_confirm gave it: "<session id>.<signature>"
  if (!senderId) throw new Error("widget session id not found");
  await agent.takeAndSay(senderId.split(".")[0], "您好，我是李专员，您的问题我马上处理。");
  await textIn(page, ".rw-response", "我马上处理");
  await page.screenshot({ path: `${shots}/widget-agent-reply.png` });
}

async function h5(agent) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  let page = await context.newPage();
  await page.goto(`${server}/chat`);
  await textIn(page, ".msg.bot", "小倾");
  await page.fill("#text", "我要找你们经理");
  await page.press("#text", "Enter");
  await textIn(page, ".msg.bot", "资深同事");
  // The page holds no id of its own: its session is the server-issued HttpOnly cookie.
  const cookie = (await context.cookies(server)).find((c) => c.name === "qingting_customer");
  if (!cookie) throw new Error("no customer cookie");
  if (await page.evaluate(() => document.cookie.includes("qingting_customer"))) throw new Error("cookie readable by scripts");
  const senderId = cookie.value.split(".")[0];
  const id = await agent.takeAndSay(senderId, "您好，您反映的问题由我负责跟进。");
  await textIn(page, ".msg.bot", "由我负责跟进");
  await page.screenshot({ path: `${shots}/h5-agent-reply.png` });
  await page.close();
  note("customer closed the page");
  const sent = await agent.post(`/api/console/handoffs/${id}/messages`, { text: "已经为您安排换新，请留意短信。" });
  if (sent.status !== 201) throw new Error(`reply while away ${sent.status}`);
  page = await context.newPage();
  await page.goto(`${server}/chat`);
  await textIn(page, ".msg.bot", "已经为您安排换新");
  await page.screenshot({ path: `${shots}/h5-agent-reply-after-return.png` });
}

try {
  const agent = new Agent();
  await agent.login();
  await widget(agent);
  await h5(agent);
  console.log(JSON.stringify({ ok: true, steps }));
} catch (error) {
  for (const page of browser.contexts().flatMap((c) => c.pages())) {
    await page.screenshot({ path: `${shots}/agent-reply-failure.png` }).catch(() => {});
  }
  console.log(JSON.stringify({ ok: false, steps, error: String(error) }));
} finally {
  await browser.close();
}
