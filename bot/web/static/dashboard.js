// 投诉分析看板 (supervisor dashboard). Uses only the console JSON API (/api/openapi.json):
// /api/console/me, /api/console/analytics/*. Charts are Apache ECharts (vendored, canvas
// renderer, rich-text tooltips: no HTML is built from data). Server text reaches the DOM
// through textContent only.
(function () {
  "use strict";

  var TZ = "Asia/Shanghai";
  var PALETTE = ["#3370ff", "#f5a623", "#34c38f", "#f46a6a", "#8e6cef", "#50a5f1", "#fd7e14", "#20c997"];
  var CHANNEL = { rest: "网页接口", socketio: "网页客服插件", h5: "H5聊天页", wechat: "微信公众号" };
  var SEVERITY = { 1: "一般", 2: "较重", 3: "紧急" };
  var OUTCOME = { contained: "机器人独立解决", handed_off: "转人工处理", open: "处理中" };
  var SLA = { met: "按时接待", breached: "超时接待", pending: "等待接待" };
  var HANDOFF_STATUS = { queued: "排队中", claimed: "已接待", returned: "已交回机器人", closed: "已结案" };
  var FROM = { customer: "客户", bot: "机器人", agent: "客服", system: "系统" };
  var COMPLAINT_STATUS = {
    open: "已受理，正在核实", proposed: "方案已提出，等待确认", accepted: "方案已确认，正在安排",
    in_progress: "正在处理中", resolved: "已解决", reopened: "已重新处理", closed: "已完结"
  };

  var $ = function (id) { return document.getElementById(id); };
  var state = { user: null, filters: null, summary: null, charts: {}, drill: null, page: 1, pages: 1, typesLoaded: false };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function show(node, visible) { node.hidden = !visible; }
  function pct(rate) { return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%"; }
  function money(v) { return "¥" + Number(v || 0).toLocaleString("zh-CN", { maximumFractionDigits: 2 }); }

  function localDate(offsetDays) {
    var d = new Date(Date.now() - (offsetDays || 0) * 86400000);
    return new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
  }
  function fmtTime(iso) {
    if (!iso) return "";
    return new Intl.DateTimeFormat("zh-CN", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));
  }

  // --- the API ---------------------------------------------------------------------------------
  function ApiError(status, body) { this.status = status; this.body = body || {}; }

  function api(path) {
    return fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!r.ok) throw new ApiError(r.status, body);
        return body;
      });
    });
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k] !== "" && params[k] !== null && params[k] !== undefined) {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
      }
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  function failed(err) {
    if (err instanceof ApiError && err.status === 401) { gate("请先在客服台登录，登录后从顶部的“投诉分析”进入。", true); return; }
    if (err instanceof ApiError && err.status === 403) { gate((err.body && err.body.message) || "您的账号没有查看投诉分析的权限，需要时请联系管理员。", false); return; }
    var box = $("error");
    box.textContent = (err && err.body && err.body.message) || "数据暂时没有加载出来，请稍后点击“查询”再试一次。";
    show(box, true);
  }

  function gate(text, login) {
    $("gate-text").textContent = text;
    show($("gate-login"), login);
    show($("board"), false);
    show($("gate"), true);
    if (login) setTimeout(function () { window.location.assign("/console"); }, 1500);
  }

  // --- filters ----------------------------------------------------------------------------------
  function readFilters() {
    return { from: $("f-from").value, to: $("f-to").value, channel: $("f-channel").value, type: $("f-type").value };
  }

  function setRange(days) {
    $("f-to").value = localDate(0);
    $("f-from").value = localDate(days - 1);
  }

  $("filters").addEventListener("submit", function (e) { e.preventDefault(); load(); });
  Array.prototype.forEach.call(document.querySelectorAll(".quick button"), function (b) {
    b.addEventListener("click", function () { setRange(Number(b.getAttribute("data-days"))); load(); });
  });

  function exportHref(extra) {
    var params = Object.assign({}, state.filters, extra || {});
    return "/api/console/analytics/export.csv" + query(params);
  }

  // --- summary ----------------------------------------------------------------------------------
  function load() {
    state.filters = readFilters();
    show($("error"), false);
    $("export").href = exportHref();
    return api("/api/console/analytics/summary" + query(state.filters)).then(function (s) {
      state.summary = s;
      fillTypes(s);
      renderKpis(s);
      renderCharts(s);
      $("updated").textContent = "更新于 " + fmtTime(s.generated_at);
      document.body.setAttribute("data-loaded", String(Date.now()));
      if (state.drill) loadDrill();
    }).catch(failed);
  }

  function fillTypes(s) {
    if (state.typesLoaded) return;
    var select = $("f-type");
    s.per_day.series.forEach(function (series) {
      var option = el("option", null, series.label);
      option.value = series.type;
      select.appendChild(option);
    });
    state.typesLoaded = true;
  }

  function kpi(label, value, hint) {
    var card = el("div", "kpi");
    card.appendChild(el("div", "kpi-label", label));
    card.appendChild(el("div", "kpi-value", value));
    if (hint) card.appendChild(el("div", "kpi-hint", hint));
    return card;
  }

  function renderKpis(s) {
    var box = $("kpis");
    clear(box);
    var t = s.totals;
    box.appendChild(kpi("投诉总数", t.complaints.toLocaleString("zh-CN"), s.period.from + " 至 " + s.period.to));
    box.appendChild(kpi("机器人独立解决率", pct(t.containment_rate), "无需人工即解决"));
    box.appendChild(kpi("转人工率", pct(t.handoff_rate), "至少转过一次人工"));
    box.appendChild(kpi("首次解决率", pct(t.fcr_rate), "解决后未被重开"));
    box.appendChild(kpi("重开率", pct(t.reopen_rate), "回访未解决或评分低于4"));
    box.appendChild(kpi("服务时限达标率", pct(t.sla_rate), "转人工按时接待"));
    box.appendChild(kpi("平均满意度", t.csat_average === null ? "—" : t.csat_average.toFixed(2) + " / 5",
      s.csat.answers + " 份回访答复"));
  }

  // --- charts -----------------------------------------------------------------------------------
  function chart(name) {
    if (!state.charts[name]) {
      var node = document.querySelector('[data-chart="' + name + '"]');
      state.charts[name] = echarts.init(node, null, { renderer: "canvas", locale: "ZH" });
      state.charts[name].on("click", function (p) { onClick(name, p); });
    }
    return state.charts[name];
  }

  function base(extra) {
    return Object.assign({
      color: PALETTE, animation: false,
      textStyle: { fontFamily: "sans-serif" },
      tooltip: { trigger: "item", renderMode: "richText", confine: true },
      grid: { left: 12, right: 24, top: 36, bottom: 12, containLabel: true }
    }, extra);
  }

  function hbar(items, label, color) {
    var rows = items.slice().reverse();
    return base({
      grid: { left: 12, right: 36, top: 12, bottom: 12, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: rows.map(label), axisLabel: { width: 150, overflow: "truncate" } },
      series: [{ type: "bar", data: rows.map(function (r) { return r.count; }), itemStyle: { color: color },
        label: { show: true, position: "right" }, barMaxWidth: 22 }]
    });
  }

  function pie(data) {
    return base({
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["38%", "66%"], center: ["50%", "45%"], data: data,
        label: { formatter: "{b}\n{d}%" }, avoidLabelOverlap: true }]
    });
  }

  function renderCharts(s) {
    chart("daily").setOption(base({
      tooltip: { trigger: "axis", renderMode: "richText", confine: true, axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      xAxis: { type: "category", data: s.per_day.days.map(function (d) { return d.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      dataZoom: s.per_day.days.length > 60 ? [{ type: "inside" }] : [],
      series: s.per_day.series.map(function (x) {
        return { name: x.label, type: "bar", stack: "all", data: x.counts, emphasis: { focus: "series" } };
      })
    }), true);
    chart("products").setOption(hbar(s.top_products, function (r) { return r.label; }, "#3370ff"), true);
    chart("issues").setOption(hbar(s.top_issues, function (r) { return r.type_label + " · " + r.product_label; },
      "#8e6cef"), true);
    chart("severity").setOption(pie(s.severity.map(function (x) {
      return { name: x.label, value: x.count, itemStyle: { color: { 1: "#50a5f1", 2: "#f5a623", 3: "#f46a6a" }[x.severity] } };
    })), true);
    var c = s.containment;
    $("containment-note").textContent = "独立解决 " + pct(c.containment_rate) + "，转人工 " + pct(c.handoff_rate);
    chart("containment").setOption(pie([
      { name: OUTCOME.contained, value: c.contained, itemStyle: { color: "#34c38f" } },
      { name: OUTCOME.handed_off, value: c.handed_off, itemStyle: { color: "#f5a623" } },
      { name: OUTCOME.open, value: c.open, itemStyle: { color: "#c9cdd4" } }
    ]), true);
    chart("reasons").setOption(hbar(s.handoff_reasons.slice(0, 12), function (r) { return r.label; }, "#f5a623"), true);
    chart("remedies").setOption(pie(s.remedies.map(function (x) { return { name: x.label, value: x.count }; })), true);
    renderCompensation(s.compensation);
    renderSla(s.sla);
    renderCsat(s.csat, s.nps);
    renderQuality(s);
  }

  function renderCompensation(comp) {
    $("compensation-note").textContent = "共 " + comp.count + " 笔，已补偿 " + money(comp.paid_total) + "，对应权限上限合计 " +
      money(comp.cap_total) + "，超上限 " + comp.above_cap + " 笔（需主管审批）";
    chart("compensation").setOption(base({
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
      legend: { top: 0 },
      xAxis: { type: "category", data: comp.levels.map(function (l) { return l.label; }) },
      yAxis: [{ type: "value", name: "金额（元）" }, { type: "value", name: "超上限笔数", minInterval: 1 }],
      series: [
        { name: "已补偿金额", type: "bar", data: comp.levels.map(function (l) { return l.paid; }), itemStyle: { color: "#3370ff" } },
        { name: "权限上限合计", type: "bar", data: comp.levels.map(function (l) { return l.cap; }), itemStyle: { color: "#c9cdd4" } },
        { name: "超上限笔数", type: "line", yAxisIndex: 1, data: comp.levels.map(function (l) { return l.above_cap; }),
          itemStyle: { color: "#f46a6a" } }
      ]
    }), true);
  }

  function renderSla(sla) {
    $("sla-note").textContent = "达标率 " + pct(sla.rate) + "：按时 " + sla.met + "，超时 " + sla.breached + "，等待中 " +
      sla.pending + "；自动升级 " + (sla.escalations.complaint + sla.escalations.handoff) + " 次";
    chart("sla").setOption(base({
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
      legend: { top: 0 },
      xAxis: { type: "category", data: sla.by_day.map(function (d) { return d.day.slice(5); }) },
      yAxis: [{ type: "value", name: "转人工数", minInterval: 1 }, { type: "value", name: "达标率", min: 0, max: 100,
        axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: SLA.met, type: "bar", stack: "sla", data: sla.by_day.map(function (d) { return d.met; }), itemStyle: { color: "#34c38f" } },
        { name: SLA.breached, type: "bar", stack: "sla", data: sla.by_day.map(function (d) { return d.breached; }), itemStyle: { color: "#f46a6a" } },
        { name: "达标率", type: "line", yAxisIndex: 1, smooth: true, showSymbol: false,
          data: sla.by_day.map(function (d) { return d.rate === null ? null : Math.round(d.rate * 1000) / 10; }),
          itemStyle: { color: "#3370ff" } }
      ]
    }), true);
  }

  function renderCsat(csat, nps) {
    $("csat-note").textContent = csat.answers + " 份答复，平均 " + (csat.average === null ? "—" : csat.average.toFixed(2)) +
      " 分，表示已解决 " + pct(csat.solved_rate);
    $("nps-note").textContent = nps.collected ? "" : "净推荐值（NPS）：目前回访只请客户评价是否解决和 1-5 分满意度，暂未收集推荐意愿。";
    chart("csat").setOption(base({
      xAxis: { type: "category", data: csat.distribution.map(function (d) { return d.score + " 分"; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", barMaxWidth: 40, label: { show: true, position: "top" },
        data: csat.distribution.map(function (d) {
          return { value: d.count, itemStyle: { color: ["#f46a6a", "#fd7e14", "#f5a623", "#50a5f1", "#34c38f"][d.score - 1] } };
        }) }]
    }), true);
    chart("csat-trend").setOption(base({
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
      xAxis: { type: "category", data: csat.trend.map(function (d) { return d.day.slice(5); }) },
      yAxis: { type: "value", min: 1, max: 5 },
      series: [{ name: "平均满意度", type: "line", smooth: true, showSymbol: csat.trend.length < 40,
        data: csat.trend.map(function (d) { return d.average; }), areaStyle: { opacity: 0.12 }, itemStyle: { color: "#34c38f" } }]
    }), true);
  }

  function renderQuality(s) {
    $("quality-note").textContent = "首次解决率 " + pct(s.fcr.rate) + "，重开率 " + pct(s.reopen.rate);
    chart("quality").setOption(base({
      xAxis: { type: "category", data: ["首次解决", "其他投诉", "被重开"] },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", barMaxWidth: 48, label: { show: true, position: "top" }, data: [
        { value: s.fcr.resolved_first_time, itemStyle: { color: "#34c38f" } },
        { value: s.fcr.total - s.fcr.resolved_first_time, itemStyle: { color: "#c9cdd4" } },
        { value: s.reopen.reopened, itemStyle: { color: "#f46a6a" } }
      ] }]
    }), true);
  }

  window.addEventListener("resize", function () {
    Object.keys(state.charts).forEach(function (k) { state.charts[k].resize(); });
  });

  // --- drill-down -------------------------------------------------------------------------------
  function onClick(name, p) {
    var s = state.summary;
    var i = p.dataIndex;
    var d = null;
    if (name === "daily") {
      var series = s.per_day.series[p.seriesIndex];
      d = { params: { day: s.per_day.days[i], type: series.type }, title: s.per_day.days[i] + " · " + series.label };
    } else if (name === "products") {
      var prod = s.top_products[s.top_products.length - 1 - i];
      d = { params: { product: prod.product }, title: "商品：" + prod.label };
    } else if (name === "issues") {
      var issue = s.top_issues[s.top_issues.length - 1 - i];
      d = { params: { type: issue.type, product: issue.product }, title: issue.type_label + " · " + issue.product_label };
    } else if (name === "severity") {
      d = { params: { severity: s.severity[i].severity }, title: "严重程度：" + s.severity[i].label };
    } else if (name === "containment") {
      var outcome = ["contained", "handed_off", "open"][i];
      d = { params: { outcome: outcome }, title: OUTCOME[outcome] };
    } else if (name === "reasons") {
      var rows = s.handoff_reasons.slice(0, 12);
      var reason = rows[rows.length - 1 - i];
      d = { params: { reason: reason.code }, title: "转人工原因：" + reason.label };
    } else if (name === "remedies") {
      d = { params: { remedy: s.remedies[i].remedy }, title: "处理方案：" + s.remedies[i].label };
    } else if (name === "compensation") {
      var level = s.compensation.levels[i];
      d = { params: { remedy: "compensation", severity: level.severity }, title: "补偿 · " + level.label };
    } else if (name === "sla" && p.seriesIndex < 2) {
      var st = p.seriesIndex === 0 ? "met" : "breached";
      d = { params: { sla: st }, title: "服务时限：" + SLA[st] };
    } else if (name === "csat") {
      var score = s.csat.distribution[i].score;
      d = { params: { csat: score }, title: "满意度 " + score + " 分" };
    } else if (name === "quality") {
      d = [{ params: { fcr: "yes" }, title: "首次解决" }, { params: { fcr: "no" }, title: "未首次解决" },
        { params: { reopened: "yes" }, title: "被重开" }][i];
    }
    if (!d) return;
    state.drill = d;
    state.page = 1;
    loadDrill().then(function () { $("drill").scrollIntoView({ behavior: "auto", block: "start" }); });
  }

  function drillParams() {
    return Object.assign({}, state.filters, state.drill.params);
  }

  function loadDrill() {
    var params = Object.assign(drillParams(), { page: state.page, per_page: 20 });
    $("drill-export").href = exportHref(state.drill.params);
    return api("/api/console/analytics/complaints" + query(params)).then(function (data) {
      renderDrill(data);
    }).catch(failed);
  }

  function renderDrill(data) {
    show($("drill"), true);
    $("drill-title").textContent = "投诉明细：" + state.drill.title;
    $("drill-count").textContent = "共 " + data.total + " 条";
    $("drill").setAttribute("data-total", String(data.total));
    state.pages = Math.max(1, Math.ceil(data.total / data.per_page));
    $("drill-page").textContent = "第 " + data.page + " / " + state.pages + " 页";
    $("drill-prev").disabled = data.page <= 1;
    $("drill-next").disabled = data.page >= state.pages;
    var body = $("drill-rows");
    clear(body);
    data.items.forEach(function (item) {
      var tr = el("tr", "row");
      tr.tabIndex = 0;
      tr.setAttribute("data-id", item.id);
      [item.reference, fmtTime(item.created_at), CHANNEL[item.channel] || item.channel, item.type_label,
        item.product || "未注明", SEVERITY[item.severity] || item.severity, item.status_label,
        item.remedy_label || "—", item.handoffs ? item.handoffs + " 次" : "—",
        item.csat === null ? "—" : item.csat + " 分",
        item.customer ? (item.customer.phone || item.customer.tier) : "—"].forEach(function (v) {
        tr.appendChild(el("td", null, v));
      });
      tr.addEventListener("click", function () { openComplaint(item.id); });
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter") openComplaint(item.id); });
      body.appendChild(tr);
    });
    if (!data.items.length) {
      var empty = el("tr");
      var td = el("td", "empty", "这个条件下暂时没有投诉记录。");
      td.colSpan = 11;
      empty.appendChild(td);
      body.appendChild(empty);
    }
  }

  $("drill-prev").addEventListener("click", function () { if (state.page > 1) { state.page -= 1; loadDrill(); } });
  $("drill-next").addEventListener("click", function () { if (state.page < state.pages) { state.page += 1; loadDrill(); } });
  $("drill-close").addEventListener("click", function () { state.drill = null; show($("drill"), false); });

  // --- one complaint and its conversation ----------------------------------------------------------
  function kv(dl, label, value) {
    if (value === null || value === undefined || value === "") return;
    dl.appendChild(el("dt", null, label));
    dl.appendChild(el("dd", null, value));
  }

  function openComplaint(id) {
    return api("/api/console/analytics/complaints/" + encodeURIComponent(id)).then(function (c) {
      renderComplaint(c);
      show($("conversation"), true);
      $("conv-close").focus();
    }).catch(failed);
  }

  function renderComplaint(c) {
    var comp = c.complaint;
    $("conv-title").textContent = "投诉 " + comp.reference + " · " + comp.type_label;
    var box = $("conv-record");
    clear(box);
    var dl = el("dl", "kv");
    kv(dl, "状态", COMPLAINT_STATUS[comp.status] || comp.status);
    kv(dl, "严重程度", SEVERITY[comp.severity] || comp.severity);
    kv(dl, "渠道", CHANNEL[c.channel] || c.channel);
    kv(dl, "受理时间", fmtTime(comp.created_at));
    kv(dl, "商品", (comp.facts || {}).product);
    kv(dl, "处理方案", comp.remedy_label);
    kv(dl, "补偿金额", comp.compensation_amount ? money(comp.compensation_amount) : "");
    if (c.customer) kv(dl, "客户", [c.customer.name, c.customer.phone].filter(Boolean).join(" "));
    box.appendChild(dl);
    var statements = (comp.facts || {}).statements || [];
    if (statements.length) {
      box.appendChild(el("h3", null, "客户陈述"));
      var ul = el("ul", "statements");
      statements.forEach(function (t) { ul.appendChild(el("li", null, t)); });
      box.appendChild(ul);
    }
    if (c.handoffs.length) {
      box.appendChild(el("h3", null, "转人工记录"));
      c.handoffs.forEach(function (h) {
        var div = el("div", "handoff");
        div.appendChild(el("div", null, (HANDOFF_STATUS[h.status] || h.status) + " · " + fmtTime(h.created_at)));
        div.appendChild(el("div", "reasons", h.reasons.map(function (r) { return r.label; }).join("、")));
        if (h.resolution) div.appendChild(el("div", "resolution", "处理结果：" + h.resolution));
        box.appendChild(div);
      });
    }
    if (c.csat.length) {
      box.appendChild(el("h3", null, "回访答复"));
      c.csat.forEach(function (a) {
        box.appendChild(el("div", "answer", fmtTime(a.created_at) + " · " + (a.solved ? "已解决" : "未解决") + " · " +
          a.score + " 分" + (a.comment ? " · " + a.comment : "")));
      });
    }
    var tr = $("conv-transcript");
    clear(tr);
    if (!c.transcript.length) tr.appendChild(el("p", "empty", "这段对话暂无保存的聊天记录，可参考左侧的客户陈述。"));
    c.transcript.forEach(function (line) {
      var row = el("div", "line " + line.from);
      row.appendChild(el("div", "who", line.from === "agent" && line.agent ? line.agent : FROM[line.from] || line.from));
      row.appendChild(el("div", "bubble", line.text));
      tr.appendChild(row);
    });
  }

  $("conv-close").addEventListener("click", function () { show($("conversation"), false); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") show($("conversation"), false); });

  // --- start ------------------------------------------------------------------------------------
  api("/api/console/me").then(function (user) {
    state.user = user;
    if (user.permissions.indexOf("supervise") < 0) {
      gate("您的账号没有查看投诉分析的权限，需要时请联系管理员。", false);
      return;
    }
    $("me").textContent = user.display_name;
    show($("board"), true);
    setRange(30);
    load();
  }).catch(failed);
})();
