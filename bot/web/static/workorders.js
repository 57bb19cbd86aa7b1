/* 后台工单: staff list work orders, move them and edit their facts (address, time window, a
   note for the team); supervisors also see the work-order figures
   and the dead letters (events the shop's system never took) and send those again. Text from
   the server is inserted with textContent only; every change carries the CSRF header. */
(function () {
  "use strict";

  var state = { csrf: "", user: null, kinds: {}, states: {}, actions: {}, ready: null };
  var NEEDS_SLOT = { schedule: true };

  function $(id) { return document.getElementById(id); }
  function show(node, on) { node.hidden = !on; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function toast(text, kind) {
    var node = el("div", "toast " + (kind || ""), text);
    $("toasts").appendChild(node);
    setTimeout(function () { node.remove(); }, 5000);
  }
  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: {} };
    if (method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = state.csrf;
      options.body = JSON.stringify(body || {});
    }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401) { openLogin(data.message || "请先登录。"); }
        if (!response.ok) {
          var error = new Error(data.message || "操作没有成功，请稍后再试。");
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }
  function localTime(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString("zh-CN", { hour12: false });
  }

  // --- login ------------------------------------------------------------------------------------
  function openLogin(note) {
    show($("wo"), false);
    show($("figures"), false);
    show($("dead"), false);
    show($("login"), true);
    $("login-note").textContent = note || "";
    show($("login-note"), !!note);
  }
  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    show($("login-error"), false);
    api("POST", "/api/auth/login", { username: $("login-user").value, password: $("login-pass").value })
      .then(function (data) { state.csrf = data.csrf_token; started(data.user); })
      .catch(function (error) { $("login-error").textContent = error.message; show($("login-error"), true); });
  });
  $("logout").addEventListener("click", function () {
    api("POST", "/api/auth/logout", {}).catch(function () {}).then(function () {
      return api("GET", "/api/auth/session");
    }).then(function (data) { state.csrf = data.csrf_token; show($("logout"), false); openLogin("您已退出登录。"); });
  });
  function started(user) {
    state.user = user;
    $("me").textContent = user.display_name;
    show($("logout"), true);
    show($("login"), false);
    if (user.permissions.indexOf("handle") < 0) {
      openLogin("这个账号没有处理工单的权限，请用客服或主管账号登录。");
      return;
    }
    var supervises = user.permissions.indexOf("supervise") >= 0;
    show($("tab-figures"), supervises);
    show($("tab-dead"), supervises);
    state.ready = load(true);  // the state labels the figures' columns use
    view("list");
  }

  // --- views (the list for everyone; figures and dead letters for supervisors) ------------------
  var VIEWS = { list: "wo", figures: "figures", dead: "dead" };
  function view(name) {
    Object.keys(VIEWS).forEach(function (key) {
      show($(VIEWS[key]), key === name);
      $("tab-" + key).classList.toggle("active", key === name);
    });
    if (name === "figures") loadFigures();
    if (name === "dead") loadDead();
  }
  Object.keys(VIEWS).forEach(function (key) {
    $("tab-" + key).addEventListener("click", function () { view(key); });
  });

  // --- the list ---------------------------------------------------------------------------------
  function load(first) {
    var query = [];
    if ($("f-state").value) query.push("state=" + encodeURIComponent($("f-state").value));
    if ($("f-team").value) query.push("team=" + encodeURIComponent($("f-team").value));
    return api("GET", "/api/console/workorders" + (query.length ? "?" + query.join("&") : "")).then(function (data) {
      state.kinds = data.kinds; state.states = data.states; state.actions = data.actions;
      if (first) fillChoices(data);
      render(data.items);
    }).catch(function (error) { if (error.status !== 401) toast(error.message, "error"); });
  }
  function fillChoices(data) {
    data.teams.forEach(function (team) { var o = el("option", null, team); o.value = team; $("f-team").appendChild(o); });
    Object.keys(data.kinds).forEach(function (kind) {
      var o = el("option", null, data.kinds[kind].label); o.value = kind; $("new-kind").appendChild(o);
    });
  }
  function render(items) {
    var rows = $("rows");
    clear(rows);
    show($("empty"), items.length === 0);
    items.forEach(function (item) { rows.appendChild(row(item)); });
  }
  function row(item) {
    var tr = el("tr", "wo-row");
    tr.dataset.reference = item.reference;
    tr.dataset.kind = item.kind;
    tr.appendChild(el("td", null, item.reference));
    tr.appendChild(el("td", null, item.kind_label));
    tr.appendChild(el("td", null, item.team));
    var stateCell = el("td");
    stateCell.appendChild(el("span", "wo-state " + item.state, item.state_label));
    if (item.overdue) stateCell.appendChild(el("span", "wo-state wo-overdue", "已超时"));
    tr.appendChild(stateCell);
    tr.appendChild(el("td", null, item.facts.time_slot || ""));
    tr.appendChild(el("td", "wo-address", item.address || ""));
    tr.appendChild(el("td", "wo-team-note", item.note || ""));
    tr.appendChild(el("td", null, localTime(item.due_at)));
    tr.appendChild(actionsCell(item));
    return tr;
  }
  function actionsCell(item) {
    var td = el("td");
    var box = el("div", "wo-actions");
    var input = el("input");
    input.maxLength = 500;
    input.placeholder = "约定时间或原因";
    input.setAttribute("aria-label", "约定时间或原因");
    item.actions.forEach(function (action) {
      var button = el("button", "btn small" + (action === "fail" || action === "cancel" ? " danger" : ""),
                      state.actions[action] || action);
      button.type = "button";
      button.dataset.action = action;
      button.addEventListener("click", function () { move(item, action, input.value.trim()); });
      box.appendChild(button);
    });
    if (item.actions.length) {
      box.appendChild(input);
      var edit = el("button", "btn small ghost", "修改信息");  // open work orders only
      edit.type = "button";
      edit.dataset.action = "edit";
      edit.addEventListener("click", function () { openEdit(item); });
      box.appendChild(edit);
    }
    td.appendChild(box);
    return td;
  }

  // --- editing the facts (the address and note stay as they are when left empty: staff who may
  // not see personal data only ever read them masked, and a masked copy must never be saved) -----
  var editing = null;
  function openEdit(item) {
    editing = item;
    $("edit-ref").textContent = item.reference + "（" + item.kind_label + "）";
    $("edit-address").value = "";
    $("edit-address").placeholder = item.address ? "当前：" + item.address : "上门或寄件的详细地址";
    $("edit-slot").value = item.facts.time_slot || "";
    $("edit-note").value = "";
    $("edit-note").placeholder = item.note ? "当前：" + item.note : "团队处理时需要知道的事";
    show($("edit-form"), true);
    $("edit-address").focus();
  }
  $("edit-close").addEventListener("click", function () { editing = null; show($("edit-form"), false); });
  $("edit-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!editing) return;
    var item = editing;
    var body = {};
    if ($("edit-address").value.trim()) body.address = $("edit-address").value.trim();
    if ($("edit-slot").value.trim() !== (item.facts.time_slot || "")) body.time_slot = $("edit-slot").value.trim();
    if ($("edit-note").value.trim()) body.note = $("edit-note").value.trim();
    if (!Object.keys(body).length) { toast("信息与工单上的一致，已保持原样。"); return; }
    $("edit-submit").disabled = true;
    api("POST", "/api/console/workorders/" + encodeURIComponent(item.id) + "/facts", body).then(function (edited) {
      toast(edited.reference + "：" + (edited.changed.length ? "已保存" + edited.changed.join("、") : "信息保持原样"));
      editing = null;
      $("edit-form").reset();
      show($("edit-form"), false);
      load(false);
    }).catch(function (error) { if (error.status !== 401) toast(error.message, "error"); })
      .then(function () { $("edit-submit").disabled = false; });
  });
  function move(item, action, text) {
    var body = { action: action };
    if (NEEDS_SLOT[action]) body.slot = text; else if (text) body.reason = text;
    api("POST", "/api/console/workorders/" + encodeURIComponent(item.id) + "/moves", body).then(function (moved) {
      toast(moved.reference + "：" + moved.state_label);
      load(false);
    }).catch(function (error) { if (error.status !== 401) toast(error.message, "error"); });
  }

  // --- figures ---------------------------------------------------------------------------------
  function cell(tr, text, numeric) { tr.appendChild(el("td", numeric ? "num" : null, text)); }
  function rate(value) { return value === null || value === undefined ? "—" : Math.round(value * 1000) / 10 + "%"; }
  function hours(value) { return value === null || value === undefined ? "—" : value + " 小时"; }
  function loadFigures() {
    var days = $("fig-days").value;
    return (state.ready || Promise.resolve()).then(function () {
      return api("GET", "/api/console/workorders/figures?days=" + encodeURIComponent(days));
    }).then(function (data) {
      $("fig-totals").textContent = "共 " + data.total + " 张工单，已超时 " + data.overdue + " 张";
      var order = Object.keys(state.states);
      var head = $("fig-kind-head");
      clear(head);
      head.appendChild(el("th", null, "类型"));
      head.appendChild(el("th", "num", "合计"));
      order.forEach(function (key) { head.appendChild(el("th", "num", state.states[key])); });
      head.appendChild(el("th", "num", "完成用时中位数"));
      var kinds = $("fig-kind-rows");
      clear(kinds);
      data.by_kind.forEach(function (item) {
        var tr = el("tr", "fig-kind");
        tr.dataset.kind = item.kind;
        cell(tr, item.label);
        cell(tr, item.total, true);
        order.forEach(function (key) { cell(tr, item.states[key] || 0, true); });
        cell(tr, hours(item.median_hours_to_done), true);
        kinds.appendChild(tr);
      });
      var teams = $("fig-team-rows");
      clear(teams);
      data.by_team.forEach(function (item) {
        var tr = el("tr", "fig-team");
        tr.dataset.team = item.team;
        cell(tr, item.team);
        [item.total, item.open, item.overdue, item.done].forEach(function (n) { cell(tr, n, true); });
        cell(tr, rate(item.within_sla_rate), true);
        cell(tr, hours(item.mean_hours_to_done), true);
        teams.appendChild(tr);
      });
      show($("fig-empty"), data.total === 0);
    }).catch(function (error) { if (error.status !== 401) toast(error.message, "error"); });
  }
  $("fig-filters").addEventListener("submit", function (event) { event.preventDefault(); loadFigures(); });

  // --- dead letters --------------------------------------------------------------------------------
  function eventLabel(type) {
    var what = String(type || "").replace(/^work_order\./, "");
    if (what === "updated") return "信息更新";
    return state.states[what] ? "变为「" + state.states[what] + "」" : what;
  }
  function loadDead() {
    return api("GET", "/api/console/workorders/dead-letters").then(function (data) {
      var rows = $("dead-rows");
      clear(rows);
      show($("dead-empty"), data.items.length === 0);
      data.items.forEach(function (item) {
        var tr = el("tr", "dead-row");
        tr.dataset.id = String(item.id);
        tr.dataset.reference = item.reference;
        cell(tr, item.reference);
        cell(tr, eventLabel(item.type));
        cell(tr, item.attempts, true);
        cell(tr, item.error);
        cell(tr, localTime(item.created_at));
        var td = el("td");
        var button = el("button", "btn small", "重新投递");
        button.type = "button";
        button.dataset.action = "retry";
        button.addEventListener("click", function () { retry(item, button); });
        td.appendChild(button);
        tr.appendChild(td);
        rows.appendChild(tr);
      });
    }).catch(function (error) { if (error.status !== 401) toast(error.message, "error"); });
  }
  function retry(item, button) {
    button.disabled = true;
    api("POST", "/api/console/workorders/dead-letters/" + encodeURIComponent(item.id) + "/retry", {})
      .then(function (done) { toast(done.reference + "：已重新排队投递"); loadDead(); })
      .catch(function (error) { button.disabled = false; if (error.status !== 401) toast(error.message, "error"); });
  }

  $("filters").addEventListener("submit", function (event) { event.preventDefault(); load(false); });
  $("new-open").addEventListener("click", function () { show($("new-form"), $("new-form").hidden); });
  $("new-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var facts = {};
    if ($("new-slot").value.trim()) facts.time_slot = $("new-slot").value.trim();
    if ($("new-amount").value.trim()) facts.amount = $("new-amount").value.trim();
    var body = { complaint_reference: $("new-complaint").value.trim(), kind: $("new-kind").value, facts: facts };
    if ($("new-address").value.trim()) body.address = $("new-address").value.trim();
    api("POST", "/api/console/workorders", body).then(function (made) {
      toast("已创建工单 " + made.reference);
      $("new-form").reset();
      show($("new-form"), false);
      load(false);
    }).catch(function (error) { if (error.status !== 401) toast(error.message, "error"); });
  });

  api("GET", "/api/auth/session").then(function (data) {
    state.csrf = data.csrf_token;
    if (data.authenticated) started(data.user); else openLogin();
  }).catch(function () { openLogin("暂时连不上服务器，请稍后刷新页面。"); });
}());
