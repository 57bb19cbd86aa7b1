// 倾听客服台 (agent console). Uses only the console JSON API (/api/openapi.json) and the
// socket.io namespace /console. Every piece of server text reaches the DOM through
// textContent / createElement — never innerHTML — so customer text always stays inert.
(function () {
  "use strict";

  var TITLE = "倾听客服台";
  var ALERT_TITLE = "【新紧急投诉】倾听客服台";
  var DRAFT_PREFIX = "qingting.console.draft.";
  var SAFETY_POLL_MS = 15000;
  var FALLBACK_POLL_MS = 10000;
  var CHECK_DELAY_MS = 400;

  var SEVERITY = { 1: "一般", 2: "较重", 3: "紧急" };
  var STATUS = { queued: "排队中", claimed: "已接待", returned: "已交回机器人", closed: "已结案" };
  var CHANNEL = { rest: "网页接口", socketio: "网页客服插件", h5: "H5聊天页", wechat: "微信公众号" };
  var COMPLAINT_STATUS = {
    open: "已受理，正在核实", proposed: "方案已提出，等待确认", accepted: "方案已确认，正在安排",
    in_progress: "正在处理中", resolved: "已解决", reopened: "已重新处理", closed: "已完结"
  };
  var REMEDY_KIND = { "return": "退货", exchange: "换货", repair: "维修", compensation: "补偿" };
  var APPROVAL = { pending: "待审批", approved: "已批准", rejected: "未批准" };
  var ORDER_CHANNEL = { online: "网购", store: "门店" };
  var TIER = { normal: "普通会员", silver: "白银会员", gold: "黄金会员", vip: "VIP会员" };
  var FACT_LABELS = {
    product: "商品", order_id: "订单号", incident_date: "发生日期", amount: "涉及金额",
    wish: "客户诉求", customer_wish: "客户心愿", feedback_for: "反馈已转交", phone: "联系电话",
    secondary_type: "次要类型"
  };
  // the facts the law needs, as the customer stated them (bot/law_facts.py)
  var LAW_FACT_LABELS = {
    loss_amount: "客户所述损失", injured: "有人受伤或不适", property_damaged: "其他财物受损",
    food_standard_breach: "食品本身有问题", label_only: "仅包装或标签问题", counterfeit: "反映为假冒商品",
    refurbished_as_new: "反映为翻新冒充新品", damaged_in_transit: "运输途中损坏", defect: "商品有质量问题"
  };
  var ROLE = { agent: "客服专员", supervisor: "主管", trainer: "训练师", admin: "管理员" };
  var AUDIT_ACTION = {
    claim: "接待", release: "放回队列", transfer: "转给同事", reply: "回复客户", note: "添加备注",
    approve: "批准补偿", reject: "驳回补偿", hand_back: "交回机器人", close: "结案", create_user: "创建账号"
  };
  var DETAIL_LABELS = {
    length: "字数", to: "转给", from_id: "原接待人", complaint: "投诉编号", amount: "金额", note: "备注",
    username: "用户名", role: "角色"
  };
  var REASON_STRONG = /^(escalation|danger|child_at_risk|abuse|extreme_anger|ultimatum)/;

  // --- state ---------------------------------------------------------------------------------
  var state = {
    csrf: "",
    user: null,
    queue: [],
    seen: null,           // ids of handoffs already seen (null until the first queue load)
    skew: 0,              // server clock minus browser clock, ms
    activity: {},         // sender_id -> true while a customer wrote and the case was not opened
    caseId: null,
    caseData: null,
    scripts: null,
    socket: null,
    live: false,
    watching: null,
    loginWaiters: [],
    loginOpen: false,
    view: "desk",
    checkSeq: 0,
    checkTimer: null,
    lastCheck: null,
    titleTimer: null,
    audio: null
  };

  var $ = function (id) { return document.getElementById(id); };

  // --- DOM helpers (text only) -----------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function toast(message, kind) {
    var box = el("div", "toast " + (kind || "info"), message);
    $("toasts").appendChild(box);
    setTimeout(function () { box.classList.add("fade"); }, 5000);
    setTimeout(function () { box.remove(); }, 5600);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function serverNow() { return Date.now() + state.skew; }

  function fmtTime(value) {
    if (value === null || value === undefined || value === "") return "";
    var d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    if (isNaN(d.getTime())) return String(value);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function fmtClock(seconds) {
    var d = new Date(seconds * 1000);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function fmtDuration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h > 0) return h + "小时" + pad(m) + "分";
    return m + "分" + pad(sec) + "秒";
  }

  function can(permission) {
    return !!(state.user && state.user.permissions && state.user.permissions.indexOf(permission) >= 0);
  }

  // --- API --------------------------------------------------------------------------------------
  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.code = this.body.error || "http_" + status;
    this.message = this.body.message || (status === 0 ? "网络连接不稳定，请稍后再试。" : "操作没有成功，请稍后再试。");
  }

  function rawFetch(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = state.csrf;
    }
    return fetch(path, {
      method: method, headers: headers, credentials: "same-origin", cache: "no-store",
      body: method === "GET" ? undefined : JSON.stringify(body || {})
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) throw new ApiError(response.status, data);
        return data;
      });
    }, function () {
      throw new ApiError(0, null);
    });
  }

  function refreshToken() {
    return rawFetch("GET", "/api/auth/session").then(function (s) {
      state.csrf = s.csrf_token;
      return s;
    });
  }

  // Calls the API; a lapsed login opens the login overlay (keeping drafts) and then retries,
  // a stale CSRF token is refreshed once. `background` calls (polling) do not retry.
  function api(method, path, body, options) {
    options = options || {};
    return rawFetch(method, path, body).catch(function (err) {
      if (err.status === 403 && err.code === "csrf" && !options.csrfRetried) {
        return refreshToken().then(function (s) {
          if (!s.authenticated) {
            // The session itself is gone: ask the server for its own "please log in" message.
            return rawFetch("GET", "/api/console/me").then(function () {
              return api(method, path, body, Object.assign({}, options, { csrfRetried: true }));
            });
          }
          return api(method, path, body, Object.assign({}, options, { csrfRetried: true }));
        }).catch(function (again) {
          if (again instanceof ApiError && again.status === 401) return relogin(again, method, path, body, options);
          throw again;
        });
      }
      if (err.status === 401 && err.code === "login_required") {
        return relogin(err, method, path, body, options);
      }
      throw err;
    });
  }

  function relogin(err, method, path, body, options) {
    openLogin(err.message);
    if (options.background) throw err;
    return new Promise(function (resolve, reject) {
      state.loginWaiters.push({ resolve: resolve, reject: reject });
    }).then(function () {
      return api(method, path, body, Object.assign({}, options, { csrfRetried: false }));
    });
  }

  // --- login ------------------------------------------------------------------------------------
  function openLogin(note) {
    state.loginOpen = true;
    $("login-note").textContent = note || "";
    show($("login-note"), !!note);
    show($("login-error"), false);
    show($("login"), true);
    if (state.user && !$("login-user").value) $("login-user").value = state.user.username;
    setTimeout(function () {
      ($("login-user").value ? $("login-pass") : $("login-user")).focus();
    }, 0);
  }

  function loginRequest(username, password, retried) {
    return rawFetch("POST", "/api/auth/login", { username: username, password: password }).catch(function (err) {
      if (err.status === 403 && err.code === "csrf" && !retried) {
        return refreshToken().then(function () { return loginRequest(username, password, true); });
      }
      throw err;
    });
  }

  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    unlockAudio();
    var username = $("login-user").value.trim();
    var password = $("login-pass").value;
    if (!username || !password) return;
    $("login-submit").disabled = true;
    show($("login-error"), false);
    var previous = state.user ? state.user.id : null;
    loginRequest(username, password).then(function (s) {
      state.csrf = s.csrf_token;
      state.user = s.user;
      $("login-pass").value = "";
      show($("login"), false);
      state.loginOpen = false;
      var switched = previous && previous !== s.user.id;
      onLoggedIn(switched);
      var waiters = state.loginWaiters;
      state.loginWaiters = [];
      waiters.forEach(function (w) {
        // Someone else logged in on this screen: the previous person's actions are not replayed.
        if (switched) w.reject(new ApiError(401, { error: "switched", message: "已切换账号，之前的操作没有执行。" }));
        else w.resolve();
      });
    }).catch(function (err) {
      $("login-error").textContent = err.message;
      show($("login-error"), true);
    }).then(function () {
      $("login-submit").disabled = false;
    });
  });

  $("logout").addEventListener("click", function () {
    api("POST", "/api/auth/logout", {}, { background: true }).catch(function () {}).then(function () {
      stopLive();
      state.user = null;
      state.seen = null;
      state.queue = [];
      closeCase();
      clear($("queue"));
      show($("desk"), false);
      show($("supervisor"), false);
      show($("views"), false);
      show($("logout"), false);
      $("me").textContent = "";
      stopTitleAlert();
      return refreshToken().catch(function () {});
    }).then(function () {
      openLogin("您已退出登录。");
    });
  });

  function onLoggedIn(switched) {
    $("me").textContent = state.user.display_name + "（" + (ROLE[state.user.role] || state.user.role) + "）";
    show($("logout"), true);
    show($("views"), true);
    show($("tab-supervisor"), can("supervise"));
    show($("tab-dashboard"), can("supervise"));
    show($("tab-workorders"), can("handle"));
    show($("tab-trainer"), can("train"));
    if (!can("supervise") && state.view === "supervisor") setView("desk");
    setView(state.view);
    if (switched) {
      state.seen = null;
      closeCase();
    }
    startLive();
    loadScripts();
    refreshQueue();
    if (state.caseId) openCase(state.caseId, { keepScroll: true });
  }

  // --- views ------------------------------------------------------------------------------------
  function setView(view) {
    state.view = view;
    show($("desk"), view === "desk");
    show($("supervisor"), view === "supervisor");
    $("tab-desk").classList.toggle("active", view === "desk");
    $("tab-supervisor").classList.toggle("active", view === "supervisor");
    if (view === "supervisor") loadSupervisor();
  }

  $("tab-desk").addEventListener("click", function () { setView("desk"); });
  $("tab-supervisor").addEventListener("click", function () { setView("supervisor"); });

  Array.prototype.forEach.call(document.querySelectorAll(".side-tab"), function (tab) {
    tab.addEventListener("click", function () { setSide(tab.getAttribute("data-side")); });
  });

  function setSide(name) {
    Array.prototype.forEach.call(document.querySelectorAll(".side-tab"), function (tab) {
      tab.classList.toggle("active", tab.getAttribute("data-side") === name);
    });
    ["suggest", "record", "notes"].forEach(function (n) { show($("side-" + n), n === name); });
  }

  // --- live updates -----------------------------------------------------------------------------
  function setConn(live) {
    state.live = live;
    $("conn").textContent = live ? "实时连接" : "定时刷新";
    $("conn").classList.toggle("live", live);
  }

  function startLive() {
    if (typeof window.io !== "function") { setConn(false); return; }
    if (state.socket) {
      if (!state.socket.connected) state.socket.connect();
      return;
    }
    var socket = window.io("/console", { withCredentials: true, reconnectionDelayMax: 10000 });
    state.socket = socket;
    socket.on("connect", function () {
      setConn(true);
      state.watching = null;
      watchCurrent();
      refreshQueue();
    });
    socket.on("disconnect", function () { setConn(false); state.watching = null; });
    socket.on("connect_error", function () {
      // Refused (not logged in) or unreachable: polling carries on; socket.io retries by itself
      // unless the server refused the namespace, in which case we retry after the next login.
      setConn(false);
    });
    socket.on("notice", function (event) {
      var what = event && event.kind === "followup_failed" ? "回访多次发送未成功，请主管跟进：" : "超时升级：";
      if (can("supervise")) toast(what + ((event && event.reference) || ""), "error");
      if (state.view === "supervisor") loadSupervisor();
    });
    socket.on("queue_changed", function (event) {
      refreshQueue();
      if (event && state.caseId && event.handoff_id === state.caseId) openCase(state.caseId, { keepScroll: true, quiet: true });
      if (state.view === "supervisor") loadSupervisor();
    });
    socket.on("customer_activity", function (event) {
      if (event && event.sender_id && !(state.caseData && state.caseData.sender_id === event.sender_id)) {
        state.activity[event.sender_id] = true;
      }
      refreshQueue();
    });
    socket.on("conversation_message", function (event) {
      if (!event || !state.caseData || event.sender_id !== state.caseData.sender_id) return;
      appendLine({ from: event.from, text: event.text, agent: event.agent, at: serverNow() / 1000 }, true);
    });
  }

  function stopLive() {
    if (state.socket) {
      state.socket.disconnect();
      state.socket = null;
    }
    setConn(false);
  }

  function watchCurrent() {
    var socket = state.socket;
    if (!socket || !socket.connected) return;
    if (!state.caseId) {
      if (state.watching) socket.emit("unwatch", {});
      state.watching = null;
      return;
    }
    if (state.watching === state.caseId) return;
    var id = state.caseId;
    socket.emit("watch", { handoff_id: id }, function (ack) {
      if (ack && ack.ok && state.caseId === id) state.watching = id;
    });
  }

  setInterval(function () { if (state.user && !state.loginOpen) refreshQueue(); }, SAFETY_POLL_MS);
  setInterval(function () {
    if (!state.user || state.loginOpen || state.live) return;
    refreshQueue();
    if (state.socket && !state.socket.connected && !state.socket.active) state.socket.connect();
  }, FALLBACK_POLL_MS);

  // --- queue ------------------------------------------------------------------------------------
  var queueLoading = null;
  var queueAgain = false;

  function refreshQueue() {
    if (!state.user) return Promise.resolve();
    if (queueLoading) { queueAgain = true; return queueLoading; }
    queueLoading = api("GET", "/api/console/queue", null, { background: true }).then(function (data) {
      show($("queue-error"), false);
      if (data.now) state.skew = new Date(data.now).getTime() - Date.now();
      var first = state.seen === null;
      var seen = state.seen || {};
      var urgentNew = false;
      data.items.forEach(function (item) {
        if (!seen[item.id] && !first && item.severity >= 3 && item.status === "queued") urgentNew = true;
        seen[item.id] = true;
      });
      state.seen = seen;
      state.queue = data.items;
      renderQueue();
      if (urgentNew) alertUrgent();
    }).catch(function (err) {
      if (err.status !== 401) {
        $("queue-error").textContent = err.message;
        show($("queue-error"), true);
      }
    }).then(function () {
      queueLoading = null;
      if (queueAgain) { queueAgain = false; return refreshQueue(); }
    });
    return queueLoading;
  }

  function renderQueue() {
    var list = $("queue");
    clear(list);
    $("queue-count").textContent = String(state.queue.length);
    show($("queue-empty"), state.queue.length === 0);
    state.queue.forEach(function (item) {
      var li = el("li", "q-item sev-" + item.severity + " st-" + item.status);
      li.setAttribute("data-id", item.id);
      li.tabIndex = 0;
      if (item.id === state.caseId) li.classList.add("selected");

      var top = el("div", "q-top");
      top.appendChild(el("span", "badge sev-" + item.severity, SEVERITY[item.severity] || ("等级" + item.severity)));
      var ref = item.complaint && item.complaint.reference ? item.complaint.reference : "未建投诉单";
      top.appendChild(el("span", "q-ref", ref));
      if (state.activity[item.sender_id]) top.appendChild(el("span", "q-new", "新消息"));
      top.appendChild(el("span", "q-channel", CHANNEL[item.channel] || item.channel));
      li.appendChild(top);

      var reasons = el("div", "q-reasons");
      (item.reasons || []).forEach(function (r) {
        reasons.appendChild(el("span", "reason" + (REASON_STRONG.test(r.code) ? " strong" : ""), r.label));
      });
      if (item.callback) reasons.appendChild(el("span", "reason callback", "非工作时间·需回电"));
      li.appendChild(reasons);

      if (item.preview) li.appendChild(el("div", "q-preview", item.preview));

      var bottom = el("div", "q-bottom");
      var wait = el("span", "q-wait");
      wait.setAttribute("data-since", item.created_at || "");
      bottom.appendChild(wait);
      var sla = el("span", "q-sla");
      sla.setAttribute("data-due", item.sla_due_at || "");
      sla.setAttribute("data-status", item.status);
      sla.setAttribute("data-holder", item.agent ? item.agent.display_name : "");
      bottom.appendChild(sla);
      li.appendChild(bottom);

      li.addEventListener("click", function () { openCase(item.id); });
      li.addEventListener("keydown", function (e) { if (e.key === "Enter") openCase(item.id); });
      list.appendChild(li);
    });
    tick();
  }

  $("queue-refresh").addEventListener("click", function () { refreshQueue(); });

  // SLA countdowns and waiting times, every second.
  function slaText(due, status, holder) {
    if (status === "claimed") return { text: "已接待" + (holder ? " · " + holder : ""), cls: "held" };
    if (status === "returned") return { text: "已交回机器人", cls: "done" };
    if (status === "closed") return { text: "已结案", cls: "done" };
    if (!due) return { text: "", cls: "" };
    var left = new Date(due).getTime() - serverNow();
    if (left <= 0) return { text: "已超时 " + fmtDuration(-left), cls: "overdue" };
    return { text: "剩余 " + fmtDuration(left), cls: left < 5 * 60000 ? "soon" : "ok" };
  }

  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll(".q-sla"), function (node) {
      var s = slaText(node.getAttribute("data-due"), node.getAttribute("data-status"), node.getAttribute("data-holder"));
      node.textContent = s.text;
      node.className = "q-sla " + s.cls;
    });
    Array.prototype.forEach.call(document.querySelectorAll(".q-wait"), function (node) {
      var since = node.getAttribute("data-since");
      node.textContent = since ? "已等待 " + fmtDuration(serverNow() - new Date(since).getTime()) : "";
    });
    var c = state.caseData;
    if (c) {
      var s = slaText(c.sla_due_at, c.status, c.agent ? c.agent.display_name : "");
      $("case-sla").textContent = s.text ? (c.status === "queued" ? "响应时限：" : "") + s.text : "";
      $("case-sla").className = "sla " + s.cls;
    }
  }
  setInterval(tick, 1000);

  // --- new urgent case: beep + flashing title -----------------------------------------------------
  function unlockAudio() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      if (!state.audio) state.audio = new Ctx();
      if (state.audio.state === "suspended") state.audio.resume().catch(function () {});
    } catch (e) { /* audio is optional */ }
  }

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      if (!state.audio) state.audio = new Ctx();
      var ctx = state.audio;
      if (ctx.state === "suspended") ctx.resume().catch(function () {});
      [0, 0.25].forEach(function (offset) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.0001, ctx.currentTime + offset);
        gain.gain.exponentialRampToValueAtTime(0.3, ctx.currentTime + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + offset + 0.18);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(ctx.currentTime + offset);
        osc.stop(ctx.currentTime + offset + 0.2);
      });
    } catch (e) { /* browsers may refuse audio before a user gesture */ }
  }

  function alertUrgent() {
    beep();
    if (state.titleTimer) return;
    var on = false;
    document.title = ALERT_TITLE;
    state.titleTimer = setInterval(function () {
      on = !on;
      document.title = on ? TITLE : ALERT_TITLE;
    }, 1000);
  }

  function stopTitleAlert() {
    if (state.titleTimer) clearInterval(state.titleTimer);
    state.titleTimer = null;
    document.title = TITLE;
  }

  window.addEventListener("focus", stopTitleAlert);
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () {
      unlockAudio();
      if (state.titleTimer && document.hasFocus()) stopTitleAlert();
    }, true);
  });

  // --- the case ---------------------------------------------------------------------------------
  var caseLoadSeq = 0;

  function openCase(id, options) {
    options = options || {};
    var switching = id !== state.caseId;
    if (switching) saveDraft();
    state.caseId = id;
    var seq = ++caseLoadSeq;
    Array.prototype.forEach.call(document.querySelectorAll(".q-item"), function (li) {
      li.classList.toggle("selected", li.getAttribute("data-id") === id);
    });
    return api("GET", "/api/console/handoffs/" + encodeURIComponent(id)).then(function (data) {
      if (seq !== caseLoadSeq) return;
      var transcript = $("transcript");
      var atBottom = pinned;
      var scrolled = transcript.scrollTop;
      state.caseData = data;
      delete state.activity[data.sender_id];
      show($("case-placeholder"), false);
      show($("case"), true);
      renderCase(data, switching);
      if (switching || !options.keepScroll || atBottom) {
        transcript.scrollTop = transcript.scrollHeight;
        pinned = true;
      } else {
        transcript.scrollTop = scrolled;
        pinned = false;
      }
      if (switching) {
        hideNotice();
        restoreDraft();
        checkLanguageSoon();
      }
      watchCurrent();
      renderQueue();
    }).catch(function (err) {
      if (seq !== caseLoadSeq) return;
      if (!options.quiet) toast(err.message, "error");
      if (err.status === 404) closeCase();
    });
  }

  function closeCase() {
    saveDraft();
    state.caseId = null;
    state.caseData = null;
    show($("case"), false);
    show($("case-placeholder"), true);
    clear($("record"));
    show($("record-empty"), true);
    clear($("notes"));
    $("notes-count").textContent = "";
    watchCurrent();
  }

  function renderCase(c, switching) {
    var complaint = c.complaint || {};
    $("case-severity").textContent = SEVERITY[c.severity] || ("等级" + c.severity);
    $("case-severity").className = "badge sev-" + c.severity;
    $("case-ref").textContent = complaint.reference ? "投诉单 " + complaint.reference : "未建投诉单的转人工";
    $("case-status").textContent = STATUS[c.status] || c.status;
    $("case-status").className = "status st-" + c.status;

    var meta = $("case-meta");
    clear(meta);
    meta.appendChild(el("span", null, "渠道：" + (CHANNEL[c.channel] || c.channel)));
    meta.appendChild(el("span", null, "转人工时间：" + fmtTime(c.created_at)));
    if (complaint.type_label) meta.appendChild(el("span", null, "类型：" + complaint.type_label));
    if (c.agent) meta.appendChild(el("span", "holder", "接待人：" + c.agent.display_name));
    if (c.customer) {
      var who = [c.customer.name, c.customer.phone, TIER[c.customer.tier] || c.customer.tier].filter(Boolean).join(" · ");
      if (who) meta.appendChild(el("span", null, "客户：" + who));
    }
    if (c.callback) meta.appendChild(el("span", "callback", "非工作时间转入，需要回电"));

    var banner = $("case-reasons");
    clear(banner);
    banner.appendChild(el("span", "reasons-title", "转人工原因"));
    (c.reasons || []).forEach(function (r) {
      banner.appendChild(el("span", "reason big" + (REASON_STRONG.test(r.code) ? " strong" : ""), r.label));
    });
    if (!c.reasons || !c.reasons.length) banner.appendChild(el("span", "reason big", "未注明"));

    renderActions(c);
    renderTranscript(c.transcript || []);
    renderRecord(c);
    renderNotes(c.notes || []);
    fillScripts();
    if (c.resolution) showNotice("处理结果：" + c.resolution);
  }

  function mine(c) {
    return !!(c && c.agent && state.user && c.agent.username === state.user.username);
  }

  function renderActions(c) {
    var open = c.status === "queued" || c.status === "claimed";
    var holder = mine(c) || can("supervise");
    var claimBtn = $("act-claim");
    claimBtn.disabled = !(c.status === "queued" || (c.status === "claimed" && mine(c)));
    claimBtn.textContent = c.status === "claimed" ? (mine(c) ? "已接待" : "由" + c.agent.display_name + "接待") : "接待";
    if (c.status === "claimed" && mine(c)) claimBtn.disabled = true;
    $("act-transfer").disabled = !(open && (c.status === "claimed" ? holder : can("supervise")));
    $("act-release").disabled = !(c.status === "claimed" && holder);
    $("act-handback").disabled = !(open && (c.status === "claimed" ? holder : can("supervise")));
    $("act-close").disabled = !(open && (c.status === "claimed" ? holder : can("supervise")));
    var canReply = c.status === "claimed" && holder;
    $("reply").disabled = !open;
    $("send").disabled = !canReply;
    var hint = "";
    if (c.status === "queued") hint = "请先点击“接待”，再回复客户。";
    else if (c.status === "claimed" && !holder) hint = "这位客户由" + c.agent.display_name + "接待中，您可以查看对话和添加备注。";
    else if (!open) hint = "这条转人工" + (STATUS[c.status] || "已结束") + "，不能再回复。";
    $("composer-hint").textContent = hint;
    show($("composer-hint"), !!hint);
  }

  function lineNode(line) {
    var from = line.from;
    var row = el("div", "line " + from);
    var who;
    if (from === "customer") who = "客户";
    else if (from === "bot") who = "机器人小倾";
    else if (from === "agent") who = "客服 · " + (line.agent || "同事");
    else who = "";
    if (from === "system") {
      row.appendChild(el("div", "sys", line.text));
    } else {
      var head = el("div", "who", who);
      if (line.at) head.appendChild(el("span", "at", fmtClock(line.at)));
      row.appendChild(head);
      row.appendChild(el("div", "bubble", line.text));
      if (line.buttons && line.buttons.length) {
        var chips = el("div", "chips");
        line.buttons.forEach(function (b) { chips.appendChild(el("span", "chip", b)); });
        row.appendChild(chips);
      }
    }
    return row;
  }

  // The transcript stays pinned to its newest line while the agent has not scrolled up, also
  // when the composer grows (language warning) or a notice appears above it.
  var pinned = true;
  $("transcript").addEventListener("scroll", function () {
    var box = $("transcript");
    pinned = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  });
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      if (pinned) $("transcript").scrollTop = $("transcript").scrollHeight;
    }).observe($("transcript"));
  }

  function renderTranscript(lines) {
    var box = $("transcript");
    clear(box);
    if (!lines.length) box.appendChild(el("p", "empty", "还没有对话记录。"));
    lines.forEach(function (line) { box.appendChild(lineNode(line)); });
  }

  function appendLine(line, live) {
    var box = $("transcript");
    var atBottom = pinned;
    var empty = box.querySelector("p.empty");
    if (empty) empty.remove();
    var node = lineNode(line);
    if (live) node.classList.add("live");
    box.appendChild(node);
    if (state.caseData && state.caseData.transcript) state.caseData.transcript.push(line);
    if (atBottom || line.from === "agent") {
      box.scrollTop = box.scrollHeight;
      pinned = true;
    }
  }

  function showNotice(text, lines) {
    var n = $("case-notice");
    clear(n);
    var dismiss = el("button", "btn small ghost notice-close", "知道了");
    dismiss.type = "button";
    dismiss.addEventListener("click", hideNotice);
    n.appendChild(dismiss);
    n.appendChild(el("div", "notice-title", text));
    (lines || []).forEach(function (l) { n.appendChild(el("div", "notice-line", l)); });
    show(n, true);
  }

  function hideNotice() { show($("case-notice"), false); }

  // --- record (complaint, order, remedies, approval, history, evidence) -------------------------
  function kv(dl, label, value, cls) {
    if (value === null || value === undefined || value === "") return;
    dl.appendChild(el("dt", null, label));
    var dd = el("dd", cls || null);
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = String(value);
    dl.appendChild(dd);
  }

  function section(parent, title) {
    var s = el("section", "rec");
    s.appendChild(el("h3", null, title));
    parent.appendChild(s);
    return s;
  }

  function money(v) {
    return v === null || v === undefined || v === "" ? "" : "¥" + v;
  }

  function renderRecord(c) {
    var box = $("record");
    clear(box);
    show($("record-empty"), false);
    var complaint = c.complaint;
    var pending = complaint && complaint.approval === "pending";
    show($("record-dot"), !!pending);

    if (pending) {
      var ap = section(box, "待审批补偿");
      ap.classList.add("approval");
      ap.appendChild(el("p", "approval-amount", "申请补偿金额：" + money(complaint.compensation_amount)));
      if (can("approve")) {
        var note = el("input", "approval-note");
        note.id = "approval-note";
        note.maxLength = 500;
        note.placeholder = "审批备注（可选）";
        ap.appendChild(note);
        var row = el("div", "approval-actions");
        var yes = el("button", "btn primary small", "批准");
        yes.type = "button";
        yes.id = "approval-approve";
        var no = el("button", "btn danger small", "不批准");
        no.type = "button";
        no.id = "approval-reject";
        yes.addEventListener("click", function () { decide("approve", note.value, [yes, no]); });
        no.addEventListener("click", function () { decide("reject", note.value, [yes, no]); });
        row.appendChild(yes);
        row.appendChild(no);
        ap.appendChild(row);
      } else {
        ap.appendChild(el("p", "hint", "补偿超出机器人权限，需要主管审批；审批结果会自动告诉客户。"));
      }
    }

    if (complaint) {
      var s = section(box, "投诉记录");
      var dl = el("dl", "kv");
      kv(dl, "投诉编号", complaint.reference);
      kv(dl, "投诉类型", complaint.type_label || complaint.type);
      kv(dl, "严重程度", SEVERITY[complaint.severity] || complaint.severity);
      kv(dl, "处理状态", COMPLAINT_STATUS[complaint.status] || complaint.status);
      if (complaint.valid !== null && complaint.valid !== undefined) {
        kv(dl, "是否成立", complaint.valid ? "成立" : "待核实/不成立", complaint.valid ? "good" : "warn");
      }
      kv(dl, "核实说明", complaint.validity_note);
      kv(dl, "已选方案", complaint.remedy_label || (complaint.remedy ? (REMEDY_KIND[complaint.remedy] || complaint.remedy) : ""));
      kv(dl, "补偿金额", money(complaint.compensation_amount));
      kv(dl, "补偿审批", complaint.approval ? (APPROVAL[complaint.approval] || complaint.approval) : "");
      kv(dl, "处理时限", fmtTime(complaint.sla_due_at));
      kv(dl, "立案时间", fmtTime(complaint.created_at));
      s.appendChild(dl);

      var facts = complaint.facts || {};
      var f = section(box, "客户陈述的事实");
      var fdl = el("dl", "kv");
      Object.keys(FACT_LABELS).forEach(function (key) {
        var v = facts[key];
        if (key === "wish" && v) v = REMEDY_KIND[v] || v;
        if (key === "amount" && v) v = money(v);
        kv(fdl, FACT_LABELS[key], v);
      });
      var law = facts.law_facts || {};
      Object.keys(LAW_FACT_LABELS).forEach(function (key) {
        var v = law[key];
        if (v === true) v = "是"; else if (v === false) v = "否";
        else if (key === "loss_amount" && v !== undefined && v !== null) v = money(v);
        kv(fdl, LAW_FACT_LABELS[key], v);
      });
      Object.keys(facts).forEach(function (key) {
        if (FACT_LABELS[key] || key === "statements" || key === "signals" || key === "options") return;
        if (key === "law_facts" || key === "law_answers" || key === "law_questions") return;
        var v = facts[key];
        if (v === null || v === undefined || v === "") return;
        kv(fdl, key, typeof v === "object" ? JSON.stringify(v) : v);
      });
      f.appendChild(fdl);
      var statements = facts.statements || [];
      if (statements.length) {
        f.appendChild(el("h4", null, "客户原话"));
        var ul = el("ul", "statements");
        statements.forEach(function (t) { ul.appendChild(el("li", null, t)); });
        f.appendChild(ul);
      }

      var options = complaint.options || [];
      var o = section(box, "可提供的处理方案");
      if (!options.length) o.appendChild(el("p", "hint", "系统还没有给出可选方案（通常要先确认订单）。"));
      var ol = el("ul", "options");
      options.forEach(function (opt) {
        var li = el("li", "option");
        var head = el("div", "option-head");
        head.appendChild(el("strong", null, opt.label || REMEDY_KIND[opt.kind] || opt.kind));
        if (opt.kind && REMEDY_KIND[opt.kind]) head.appendChild(el("span", "tag", REMEDY_KIND[opt.kind]));
        if (opt.amount) head.appendChild(el("span", "tag amount", money(opt.amount)));
        if (opt.needs_approval) head.appendChild(el("span", "tag warn", "需主管审批"));
        li.appendChild(head);
        if (opt.reason) li.appendChild(el("div", "option-reason", opt.reason));
        ol.appendChild(li);
      });
      o.appendChild(ol);
    } else {
      section(box, "投诉记录").appendChild(el("p", "hint", "这位客户还没有建立投诉单。"));
    }

    var order = c.order;
    var od = section(box, "订单信息");
    if (order) {
      var odl = el("dl", "kv");
      kv(odl, "订单号", order.order_id);
      kv(odl, "商品", order.product);
      kv(odl, "价格", money(order.price));
      kv(odl, "购买日期", order.purchased_on);
      kv(odl, "收货日期", order.delivered_on || "未记录");
      kv(odl, "购买渠道", ORDER_CHANNEL[order.channel] || order.channel);
      kv(odl, "已维修次数", order.repairs_done);
      kv(odl, "会员等级", TIER[order.tier] || order.tier);
      od.appendChild(odl);
    } else {
      od.appendChild(el("p", "hint", "还没有关联订单。"));
    }

    var past = c.past_complaints || [];
    var ps = section(box, "历史投诉（" + past.length + "）");
    if (!past.length) ps.appendChild(el("p", "hint", "没有其他投诉记录。"));
    var pl = el("ul", "past");
    past.forEach(function (p) {
      pl.appendChild(el("li", null, [p.reference, p.type_label, COMPLAINT_STATUS[p.status] || p.status, fmtTime(p.created_at)]
        .filter(Boolean).join(" · ")));
    });
    ps.appendChild(pl);

    var ev = c.evidence || [];
    var es = section(box, "证据照片（" + ev.length + "）");
    if (!ev.length) es.appendChild(el("p", "hint", "客户还没有上传照片。"));
    var grid = el("div", "thumbs");
    ev.forEach(function (e) {
      var img = el("img", "thumb");
      img.src = "/api/console/evidence/" + encodeURIComponent(e.id);
      img.alt = "证据照片 " + fmtTime(e.created_at);
      img.loading = "lazy";
      img.addEventListener("click", function () {
        $("lightbox-img").src = img.src;
        show($("lightbox"), true);
      });
      grid.appendChild(img);
    });
    es.appendChild(grid);
  }

  $("lightbox").addEventListener("click", function () { show($("lightbox"), false); });

  function decide(decision, note, buttons) {
    var id = state.caseId;
    buttons.forEach(function (b) { b.disabled = true; });
    api("POST", "/api/console/handoffs/" + id + "/approval", { decision: decision, note: note || "" }).then(function (r) {
      toast(decision === "approve" ? "已批准补偿，已通知客户。" : "已驳回补偿，已通知客户。", "ok");
      showNotice("已告知客户：", [r.told_customer]);
      return openCase(id, { keepScroll: true });
    }).catch(function (err) {
      toast(err.message, "error");
      buttons.forEach(function (b) { b.disabled = false; });
    });
  }

  // --- notes ------------------------------------------------------------------------------------
  function renderNotes(notes) {
    var list = $("notes");
    clear(list);
    $("notes-count").textContent = notes.length ? String(notes.length) : "";
    if (!notes.length) list.appendChild(el("li", "empty", "还没有备注。"));
    notes.forEach(function (n) { list.appendChild(noteNode(n)); });
  }

  function noteNode(n) {
    var li = el("li", "note");
    var head = el("div", "note-head", n.author);
    head.appendChild(el("span", "at", fmtTime(n.created_at)));
    li.appendChild(head);
    li.appendChild(el("div", "note-text", n.text));
    return li;
  }

  $("note-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("note-text").value.trim();
    if (!text || !state.caseId) return;
    var id = state.caseId;
    $("note-add").disabled = true;
    api("POST", "/api/console/handoffs/" + id + "/notes", { text: text }).then(function (note) {
      $("note-text").value = "";
      if (state.caseData && state.caseId === id) {
        state.caseData.notes = (state.caseData.notes || []).concat([note]);
        renderNotes(state.caseData.notes);
      }
      toast("备注已保存。", "ok");
    }).catch(function (err) {
      toast(err.message, "error");
    }).then(function () { $("note-add").disabled = false; });
  });

  // --- case actions -----------------------------------------------------------------------------
  function act(path, body, done) {
    var id = state.caseId;
    if (!id) return Promise.resolve();
    return api("POST", "/api/console/handoffs/" + id + "/" + path, body || {}).then(function (r) {
      if (done) done(r);
      refreshQueue();
      return openCase(id, { keepScroll: true });
    }).catch(function (err) {
      toast(err.message, "error");
      if (err.status === 409 || err.status === 403 || err.status === 404) {
        refreshQueue();
        openCase(id, { keepScroll: true, quiet: true });
      }
      throw err;
    });
  }

  $("act-claim").addEventListener("click", function () {
    var btn = $("act-claim");
    btn.disabled = true;
    act("claim", {}, function (r) {
      toast(r.first_claim ? "已接待，客户已收到同事接手的提示。" : "您已在接待这位客户。", "ok");
      $("reply").focus();
    }).catch(function () {}).then(function () { if (state.caseData) renderActions(state.caseData); });
  });

  $("act-release").addEventListener("click", function () {
    act("release", {}, function () { toast("已放回队列，其他同事可以接待。", "ok"); }).catch(function () {});
  });

  $("act-transfer").addEventListener("click", function () {
    api("GET", "/api/console/agents").then(function (data) {
      var me = state.user.username;
      var holder = state.caseData && state.caseData.agent ? state.caseData.agent.username : null;
      // Anyone but whoever holds it now (a supervisor may take someone else's case).
      var people = data.agents.filter(function (a) { return a.username !== (holder || me); });
      var body = el("div");
      if (!people.length) {
        body.appendChild(el("p", null, "目前没有其他可以接手的同事。"));
        openDialog("转给同事", body, null);
        return;
      }
      var label = el("label", "field", "接手的同事");
      var select = el("select");
      select.id = "transfer-to";
      people.forEach(function (a) {
        var option = el("option", null, a.display_name + "（" + (ROLE[a.role] || a.role) + "）" +
          (a.username === me ? " · 我自己" : ""));
        option.value = a.username;
        select.appendChild(option);
      });
      label.appendChild(select);
      body.appendChild(label);
      openDialog("转给同事", body, function () {
        var to = select.value;
        return act("transfer", { to: to }, function (r) {
          toast("已转给" + (r.agent ? r.agent.display_name : "同事") + "。", "ok");
        });
      }, "确认转交");
    }).catch(function (err) { toast(err.message, "error"); });
  });

  $("act-handback").addEventListener("click", function () {
    var body = el("p", null, "确定把这位客户交回机器人吗？机器人会从合适的环节继续服务。");
    openDialog("交回机器人", body, function () {
      return act("handback", {}, function (r) {
        var said = r.bot_said || [];
        showNotice(said.length ? "已交回机器人，机器人对客户说：" : "已交回机器人。", said);
        toast("已交回机器人。", "ok");
      });
    }, "交回机器人");
  });

  $("act-close").addEventListener("click", function () {
    var body = el("div");
    var label = el("label", "field", "处理结果（必填，方便回访和统计）");
    var area = el("textarea");
    area.id = "close-resolution";
    area.rows = 4;
    area.maxLength = 2000;
    label.appendChild(area);
    body.appendChild(label);
    openDialog("结案", body, function () {
      var text = area.value.trim();
      if (!text) return Promise.reject(new ApiError(400, { message: "请简单写下处理结果，方便后续回访和统计。" }));
      return act("close", { resolution: text }, function () {
        clearDraft(state.caseId);
        toast("已结案，客户已收到通知。", "ok");
      });
    }, "确认结案");
    setTimeout(function () { area.focus(); }, 0);
  });

  // --- dialog -----------------------------------------------------------------------------------
  var dialogAction = null;

  function openDialog(title, body, onOk, okText) {
    $("dialog-title").textContent = title;
    var holder = $("dialog-body");
    clear(holder);
    holder.appendChild(body);
    show($("dialog-error"), false);
    dialogAction = onOk;
    $("dialog-ok").textContent = okText || "确定";
    show($("dialog-ok"), !!onOk);
    $("dialog-cancel").textContent = onOk ? "取消" : "关闭";
    $("dialog-ok").disabled = false;
    show($("dialog"), true);
  }

  function closeDialog() {
    show($("dialog"), false);
    dialogAction = null;
  }

  $("dialog-cancel").addEventListener("click", closeDialog);
  $("dialog-ok").addEventListener("click", function () {
    if (!dialogAction) { closeDialog(); return; }
    $("dialog-ok").disabled = true;
    Promise.resolve().then(dialogAction).then(closeDialog, function (err) {
      $("dialog-error").textContent = err && err.message ? err.message : "操作没有成功，请稍后再试。";
      show($("dialog-error"), true);
      $("dialog-ok").disabled = false;
    });
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (!$("lightbox").hidden) show($("lightbox"), false);
    else if (!$("dialog").hidden) closeDialog();
  });

  // --- reply box, drafts, language check ---------------------------------------------------------
  function draftKey(id) {
    return DRAFT_PREFIX + (state.user ? state.user.username : "_") + "." + id;
  }

  function saveDraft() {
    if (!state.caseId) return;
    try {
      var text = $("reply").value;
      if (text) localStorage.setItem(draftKey(state.caseId), text);
      else localStorage.removeItem(draftKey(state.caseId));
    } catch (e) { /* storage full or disabled: the draft stays in the box */ }
  }

  function restoreDraft() {
    var text = "";
    try { text = localStorage.getItem(draftKey(state.caseId)) || ""; } catch (e) { text = ""; }
    $("reply").value = text;
  }

  function clearDraft(id) {
    try { localStorage.removeItem(draftKey(id)); } catch (e) { /* ignore */ }
  }

  $("reply").addEventListener("input", function () {
    saveDraft();
    checkLanguageSoon();
  });

  $("reply").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    }
  });

  function checkLanguageSoon() {
    if (state.checkTimer) clearTimeout(state.checkTimer);
    state.checkTimer = setTimeout(checkLanguage, CHECK_DELAY_MS);
  }

  function checkLanguage() {
    var text = $("reply").value;
    var seq = ++state.checkSeq;
    if (!text.trim()) { hideWarning(); return; }
    api("POST", "/api/console/language/check", { text: text }, { background: true }).then(function (r) {
      if (seq !== state.checkSeq || $("reply").value !== text) return;
      if (r.ok) hideWarning(); else showWarning(r);
    }).catch(function () { /* the send itself is checked again on the server */ });
  }

  function showWarning(r) {
    state.lastCheck = r;
    $("lang-warn-text").textContent = "这句话里有容易让客户不舒服的说法，建议换成积极的表达：";
    var list = $("lang-issues");
    clear(list);
    (r.issues || []).forEach(function (issue) {
      var li = el("li");
      li.appendChild(el("span", "phrase", issue.phrase));
      li.appendChild(el("span", "arrow", " → 可以说："));
      li.appendChild(el("span", "rewrite", issue.rewrite));
      list.appendChild(li);
    });
    var sug = $("lang-suggest");
    clear(sug);
    if (r.suggestion) {
      sug.appendChild(el("span", "label", "建议说法："));
      sug.appendChild(el("span", "text", r.suggestion));
    }
    show($("lang-use"), !!r.suggestion);
    show($("lang-warn"), true);
  }

  function hideWarning() {
    state.lastCheck = null;
    show($("lang-warn"), false);
  }

  $("lang-use").addEventListener("click", function () {
    if (!state.lastCheck || !state.lastCheck.suggestion) return;
    $("reply").value = state.lastCheck.suggestion;
    saveDraft();
    hideWarning();
    $("reply").focus();
    checkLanguageSoon();
  });

  var PLACEHOLDER = /\{(product|remedy|time)\}/;

  function send() {
    var id = state.caseId;
    var text = $("reply").value.trim();
    if (!id || !text || $("send").disabled) return;
    var missing = text.match(PLACEHOLDER);
    if (missing) {
      toast("回复里还有需要补充的内容“" + missing[0] + "”，请改成具体信息再发送。", "error");
      var at = $("reply").value.indexOf(missing[0]);
      $("reply").focus();
      $("reply").setSelectionRange(at, at + missing[0].length);
      return;
    }
    $("send").disabled = true;
    api("POST", "/api/console/handoffs/" + id + "/messages", { text: text }).then(function (r) {
      if (state.caseId === id) {
        $("reply").value = "";
        hideWarning();
      }
      clearDraft(id);
      if (!r.pushed) toast(r.notice || "已发送，客户下次打开对话时就能看到。", "ok");
      if (!state.live || state.watching !== id) openCase(id, { keepScroll: true, quiet: true });
    }).catch(function (err) {
      if (err.status === 422 && err.code === "negative_phrasing") {
        showWarning(err.body);
        toast(err.message, "error");
        return;
      }
      toast(err.message, "error");
      if (err.status === 409 || err.status === 403) openCase(id, { keepScroll: true, quiet: true });
    }).then(function () {
      if (state.caseData) renderActions(state.caseData);
    });
  }

  $("send").addEventListener("click", send);

  // --- scripts (six steps + canned) --------------------------------------------------------------
  function loadScripts() {
    if (state.scripts) { fillScripts(); return; }
    api("GET", "/api/console/scripts", null, { background: true }).then(function (data) {
      state.scripts = data;
      fillScripts();
    }).catch(function (err) {
      if (err.status !== 401) toast(err.message, "error");
    });
  }

  function caseValues() {
    var c = state.caseData || {};
    var complaint = c.complaint || {};
    var facts = complaint.facts || {};
    return {
      product: (c.order && c.order.product) || facts.product || "",
      remedy: complaint.remedy_label || "",
      time: ""
    };
  }

  // Splits a template into text and placeholder pieces, filled where the case knows them.
  function pieces(template) {
    var values = caseValues();
    var out = [];
    var re = /\{(\w+)\}/g;
    var last = 0;
    var m;
    while ((m = re.exec(template)) !== null) {
      if (m.index > last) out.push({ text: template.slice(last, m.index) });
      var v = values[m[1]];
      out.push(v ? { text: v, filled: true } : { text: m[0], missing: true });
      last = re.lastIndex;
    }
    if (last < template.length) out.push({ text: template.slice(last) });
    return out;
  }

  function fillScripts() {
    if (!state.scripts) return;
    var steps = $("six-steps");
    clear(steps);
    state.scripts.six_steps.forEach(function (s, i) {
      var li = el("li", "script");
      li.tabIndex = 0;
      li.setAttribute("data-step", String(i + 1));
      li.appendChild(el("div", "script-step", (i + 1) + ". " + s.step));
      var body = el("div", "script-text");
      var parts = pieces(s.template);
      parts.forEach(function (p) {
        if (p.missing) body.appendChild(el("mark", null, p.text));
        else if (p.filled) body.appendChild(el("span", "filled", p.text));
        else body.appendChild(document.createTextNode(p.text));
      });
      li.appendChild(body);
      var text = parts.map(function (p) { return p.text; }).join("");
      li.addEventListener("click", function () { insertReply(text); });
      li.addEventListener("keydown", function (e) { if (e.key === "Enter") insertReply(text); });
      steps.appendChild(li);
    });
    var canned = $("canned");
    clear(canned);
    state.scripts.canned.forEach(function (c) {
      var li = el("li", "canned");
      li.tabIndex = 0;
      li.setAttribute("data-id", c.id);
      li.appendChild(el("div", "canned-title", c.title));
      li.appendChild(el("div", "canned-text", c.text));
      li.addEventListener("click", function () { insertReply(c.text); });
      li.addEventListener("keydown", function (e) { if (e.key === "Enter") insertReply(c.text); });
      canned.appendChild(li);
    });
  }

  function insertReply(text) {
    var box = $("reply");
    if (box.disabled || !state.caseId) {
      toast("请先在左侧打开一位客户。", "info");
      return;
    }
    var start = box.selectionStart, end = box.selectionEnd;
    var before = box.value.slice(0, start), after = box.value.slice(end);
    box.value = before + text + after;
    var caret = (before + text).length;
    box.focus();
    var missing = text.match(PLACEHOLDER);
    if (missing) {
      var at = before.length + text.indexOf(missing[0]);
      box.setSelectionRange(at, at + missing[0].length);
    } else {
      box.setSelectionRange(caret, caret);
    }
    saveDraft();
    checkLanguageSoon();
  }

  // --- supervisor --------------------------------------------------------------------------------
  function table(headers, rows) {
    var t = el("table", "grid");
    var thead = el("thead");
    var tr = el("tr");
    headers.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    thead.appendChild(tr);
    t.appendChild(thead);
    var tbody = el("tbody");
    rows.forEach(function (cells) {
      var row = el("tr");
      cells.forEach(function (c) {
        var td = el("td");
        if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? "" : String(c);
        row.appendChild(td);
      });
      tbody.appendChild(row);
    });
    t.appendChild(tbody);
    return t;
  }

  function caseLink(item) {
    var a = el("button", "link", item.complaint && item.complaint.reference ? item.complaint.reference : "查看");
    a.type = "button";
    a.addEventListener("click", function () { setView("desk"); openCase(item.id); });
    return a;
  }

  function sevBadge(severity) {
    return el("span", "badge sev-" + severity, SEVERITY[severity] || severity);
  }

  function handoffRows(items) {
    return items.map(function (i) {
      var s = slaText(i.sla_due_at, i.status, i.agent ? i.agent.display_name : "");
      return [caseLink(i), sevBadge(i.severity), STATUS[i.status] || i.status,
        i.agent ? i.agent.display_name : "—",
        (i.reasons || []).map(function (r) { return r.label; }).join("、"),
        CHANNEL[i.channel] || i.channel, fmtTime(i.created_at), s.text || fmtTime(i.sla_due_at)];
    });
  }

  var HANDOFF_HEADERS = ["投诉单", "等级", "状态", "接待人", "原因", "渠道", "转人工时间", "时限"];

  function loadSupervisor() {
    if (!can("supervise")) return;
    Promise.all([
      api("GET", "/api/console/supervisor", null, { background: true }),
      api("GET", "/api/console/audit", null, { background: true })
    ]).then(function (results) {
      var o = results[0], audit = results[1];
      show($("sup-error"), false);
      $("sup-updated").textContent = "更新于 " + fmtTime(o.now);
      var stats = $("sup-stats");
      clear(stats);
      [["进行中", o.open.length], ["排队等待", o.queued], ["已超时未接待", o.breached.length],
        ["待审批补偿", o.pending_approvals]].forEach(function (p) {
        var card = el("div", "stat" + (p[0] === "已超时未接待" && p[1] > 0 ? " bad" : ""));
        card.appendChild(el("div", "stat-num", p[1]));
        card.appendChild(el("div", "stat-label", p[0]));
        stats.appendChild(card);
      });
      var breached = $("sup-breached");
      clear(breached);
      breached.appendChild(o.breached.length ? table(HANDOFF_HEADERS, handoffRows(o.breached))
        : el("p", "hint", "没有超时未接待的客户。"));
      var followups = $("sup-followups");
      clear(followups);
      followups.appendChild((o.failed_followups || []).length
        ? table(["投诉单", "渠道", "尝试次数", "预约时间", "原因"], o.failed_followups.map(function (f) {
          return [f.reference, CHANNEL[f.channel] || f.channel, f.attempts, fmtTime(f.due_at), f.error];
        }))
        : el("p", "hint", "回访都已按时送达。"));
      var breaches = $("sup-sla");
      clear(breaches);
      breaches.appendChild((o.sla_breaches || []).length
        ? table(["类型", "对象", "升级", "时间"], o.sla_breaches.map(function (b) {
          return [b.kind === "handoff" ? "转人工" : "投诉", b.target_id,
            SEVERITY[b.from_level] + " → " + SEVERITY[b.to_level], fmtTime(b.at)];
        }))
        : el("p", "hint", "最近没有超时升级。"));
      var agents = $("sup-agents");
      clear(agents);
      agents.appendChild(table(["同事", "用户名", "角色", "正在接待"], o.agents.map(function (a) {
        return [a.display_name, a.username, ROLE[a.role] || a.role, a.holding];
      })));
      var open = $("sup-open");
      clear(open);
      open.appendChild(o.open.length ? table(HANDOFF_HEADERS, handoffRows(o.open)) : el("p", "hint", "目前没有进行中的转人工。"));
      var refs = {};
      o.open.forEach(function (i) { if (i.complaint && i.complaint.reference) refs[i.id] = i.complaint.reference; });
      var log = $("sup-audit");
      clear(log);
      log.appendChild(table(["时间", "操作人", "操作", "对象", "详情"], audit.entries.map(function (e) {
        var detail = e.detail && typeof e.detail === "object" ? Object.keys(e.detail).map(function (k) {
          var v = e.detail[k];
          return (DETAIL_LABELS[k] || k) + "：" + (typeof v === "object" ? JSON.stringify(v) : v);
        }).join("；") : "";
        return [fmtTime(e.at), e.actor, AUDIT_ACTION[e.action] || e.action, refs[e.target] || e.target || "", detail];
      })));
    }).catch(function (err) {
      if (err.status === 401) return;
      $("sup-error").textContent = err.message;
      show($("sup-error"), true);
    });
  }

  $("sup-refresh").addEventListener("click", loadSupervisor);
  setInterval(function () {
    if (state.user && state.view === "supervisor" && !state.loginOpen) loadSupervisor();
  }, 30000);

  window.addEventListener("beforeunload", saveDraft);

  // --- start ------------------------------------------------------------------------------------
  refreshToken().then(function (s) {
    if (s.authenticated && s.user) {
      state.user = s.user;
      onLoggedIn(false);
    } else {
      openLogin("");
    }
  }).catch(function (err) {
    openLogin(err.message);
  });
})();
