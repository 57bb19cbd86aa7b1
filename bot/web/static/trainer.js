/* 倾听训练台: review real conversations, correct intents and entities, mark test stories,
   export to the training data. Text from the server is inserted with textContent only. */
(function () {
  "use strict";

  var KIND = { fallback: "兜底", low_confidence: "低置信度", handoff: "转人工", low_csat: "低满意度", reopened: "重新处理" };
  var STATUS = { pending: "待导出", exported: "已导出", refused: "被拒绝" };
  var state = { csrf: "", user: null, schema: null, current: null, drafts: {} };

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

  // --- login ------------------------------------------------------------------------------------
  function openLogin(note) {
    show($("trainer"), false);
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
      state.user = null;
      show($("logout"), false);
      $("me").textContent = "";
      return api("GET", "/api/auth/session");
    }).then(function (data) { state.csrf = data.csrf_token; openLogin("您已退出登录。"); });
  });

  function started(user) {
    state.user = user;
    $("me").textContent = user.display_name + "（训练师）";
    show($("logout"), true);
    show($("login"), false);
    if (user.permissions.indexOf("train") < 0) {
      openLogin("这个账号没有训练权限，请用训练师账号登录。");
      return;
    }
    show($("trainer"), true);
    api("GET", "/api/console/training/schema").then(function (schema) {
      state.schema = schema;
      loadList();
      loadPending();
    }).catch(function (error) { toast(error.message, "error"); });
  }

  // --- the list ---------------------------------------------------------------------------------
  function query() {
    var kinds = Array.prototype.filter.call(document.querySelectorAll("input[name=kind]"), function (box) {
      return box.checked;
    }).map(function (box) { return box.value; });
    var params = new URLSearchParams();
    if (kinds.length) params.set("kinds", kinds.join(","));
    params.set("threshold", $("f-threshold").value || "0.6");
    if ($("f-from").value) params.set("from", $("f-from").value);
    if ($("f-to").value) params.set("to", $("f-to").value);
    if ($("f-channel").value) params.set("channel", $("f-channel").value);
    return params.toString();
  }

  $("filters").addEventListener("submit", function (event) { event.preventDefault(); loadList(); });

  function loadList() {
    return api("GET", "/api/console/training/conversations?" + query()).then(function (data) {
      var list = $("conv-list");
      clear(list);
      $("conv-count").textContent = data.items.length;
      show($("conv-empty"), data.items.length === 0);
      data.items.forEach(function (item) { list.appendChild(convItem(item)); });
    }).catch(function (error) { toast(error.message, "error"); });
  }

  function convItem(item) {
    var li = el("li", "tr-conv");
    li.setAttribute("data-sender", item.sender_id);
    if (state.current && state.current.sender_id === item.sender_id) li.classList.add("active");
    var flags = el("div");
    item.flags.forEach(function (flag) { flags.appendChild(el("span", "flag " + flag, KIND[flag] || flag)); });
    li.appendChild(flags);
    li.appendChild(el("div", "tr-conv-preview", item.preview || "（无文字）"));
    var conf = item.min_confidence === null ? "-" : item.min_confidence.toFixed(2);
    li.appendChild(el("div", "tr-conv-meta", [item.channel || "未知渠道", item.messages + " 句", "最低置信度 " + conf,
      new Date(item.last_at).toLocaleString("zh-CN"), item.story_marked ? "已标故事" : ""].filter(Boolean).join(" · ")));
    li.addEventListener("click", function () { openConversation(item.sender_id); });
    return li;
  }

  // --- one conversation -------------------------------------------------------------------------
  function openConversation(senderId) {
    return api("GET", "/api/console/training/conversations/" + encodeURIComponent(senderId)).then(function (data) {
      state.current = data;
      state.drafts = {};
      Array.prototype.forEach.call(document.querySelectorAll(".tr-conv"), function (node) {
        node.classList.toggle("active", node.getAttribute("data-sender") === senderId);
      });
      show($("detail-placeholder"), false);
      show($("detail"), true);
      $("detail-title").textContent = "对话 " + senderId;
      $("story-status").textContent = data.story ? "测试故事：" + (STATUS[data.story.status] || data.story.status) : "";
      $("story-name").value = data.story ? data.story.name : "";
      renderLines();
    }).catch(function (error) { toast(error.message, "error"); });
  }

  function renderLines() {
    var box = $("lines");
    clear(box);
    state.current.lines.forEach(function (line) {
      if (line.from !== "customer") {
        var who = { bot: "机器人：", agent: "客服：", system: "" }[line.from] || "";
        box.appendChild(el("div", "tr-line " + line.from, who + line.text));
        return;
      }
      box.appendChild(messageCard(line));
    });
  }

  function draftOf(line) {
    if (!state.drafts[line.event_id]) {
      var saved = line.annotation;
      state.drafts[line.event_id] = {
        intent: saved ? saved.intent : (line.fallback ? line.best_intent : line.intent),
        entities: (saved ? saved.entities : line.entities).map(function (e) {
          return { start: e.start, end: e.end, entity: e.entity };
        }),
        from: null, to: null
      };
    }
    return state.drafts[line.event_id];
  }

  function messageCard(line) {
    var draft = draftOf(line);
    var card = el("div", "tr-line customer tr-msg" + (line.fallback ? " fallback" : "") + (line.annotation ? " saved" : ""));
    card.setAttribute("data-event", line.event_id);
    card.appendChild(el("div", "tr-text", line.text));
    var pred = el("div", "tr-pred");
    pred.appendChild(el("span", null, "预测意图：" + line.intent));
    var conf = el("span", (line.best_confidence || line.confidence) < 0.6 ? "conf-low" : "",
      "置信度 " + Number(line.best_confidence === null ? line.confidence : line.best_confidence).toFixed(2));
    pred.appendChild(conf);
    if (line.fallback) pred.appendChild(el("span", "flag fallback", "兜底，最接近：" + line.best_intent));
    line.entities.forEach(function (e) { pred.appendChild(el("span", "entity-chip", e.entity + "=" + e.value)); });
    card.appendChild(pred);
    var tokens = el("div", "tokens");
    tokens.setAttribute("aria-label", "分词（点选首尾标记实体）");
    line.tokens.forEach(function (token, index) {
      var chip = el("button", "token", token.text);
      chip.type = "button";
      chip.setAttribute("data-index", index);
      chip.addEventListener("click", function () { pickToken(line, index); });
      tokens.appendChild(chip);
    });
    card.appendChild(tokens);
    card.appendChild(editRow(line, draft));
    if (line.annotation) {
      card.appendChild(el("div", "tr-saved", "已纠正为 " + line.annotation.intent + "（" +
        (STATUS[line.annotation.status] || line.annotation.status) + (line.annotation.note ? "：" + line.annotation.note : "") + "）"));
    }
    paintTokens(card, line, draft);
    return card;
  }

  function editRow(line, draft) {
    var row = el("div", "tr-edit");
    row.appendChild(el("span", null, "正确意图"));
    var intent = el("select", "intent-select");
    state.schema.intents.forEach(function (name) {
      var option = el("option", null, name);
      option.value = name;
      intent.appendChild(option);
    });
    intent.value = draft.intent;
    intent.addEventListener("change", function () { draft.intent = intent.value; });
    row.appendChild(intent);
    var entity = el("select", "entity-select");
    state.schema.entities.forEach(function (name) {
      var option = el("option", null, name);
      option.value = name;
      entity.appendChild(option);
    });
    row.appendChild(entity);
    var mark = el("button", "btn small mark-entity", "标为实体");
    mark.type = "button";
    mark.addEventListener("click", function () { addEntity(line, draft, entity.value); });
    row.appendChild(mark);
    var chips = el("span", "draft-entities");
    draft.entities.forEach(function (e, i) {
      var chip = el("span", "entity-chip", line.text.slice(e.start, e.end) + " → " + e.entity);
      var remove = el("button", null, "×");
      remove.type = "button";
      remove.title = "去掉这个实体";
      remove.addEventListener("click", function () { draft.entities.splice(i, 1); rerender(line); });
      chip.appendChild(remove);
      chips.appendChild(chip);
    });
    row.appendChild(chips);
    var save = el("button", "btn small primary save-correction", "保存纠正");
    save.type = "button";
    save.addEventListener("click", function () { saveCorrection(line, draft); });
    row.appendChild(save);
    return row;
  }

  function pickToken(line, index) {
    var draft = draftOf(line);
    if (draft.from === null || draft.to !== null) {
      draft.from = index;
      draft.to = null;
    } else {
      draft.to = index;
      if (draft.to < draft.from) { var t = draft.from; draft.from = draft.to; draft.to = t; }
    }
    paintTokens(cardOf(line), line, draft);
  }

  function paintTokens(card, line, draft) {
    var last = draft.to === null ? draft.from : draft.to;
    Array.prototype.forEach.call(card.querySelectorAll(".token"), function (chip) {
      var i = Number(chip.getAttribute("data-index"));
      var token = line.tokens[i];
      chip.classList.toggle("selected", draft.from !== null && i >= draft.from && i <= last);
      chip.classList.toggle("in-entity", draft.entities.some(function (e) {
        return token.start >= e.start && token.end <= e.end;
      }));
    });
  }

  function addEntity(line, draft, type) {
    if (draft.from === null) { toast("请先点选实体所在的分词（首尾各点一次）。", "error"); return; }
    var last = draft.to === null ? draft.from : draft.to;
    var span = { start: line.tokens[draft.from].start, end: line.tokens[last].end, entity: type };
    draft.entities = draft.entities.filter(function (e) { return e.end <= span.start || e.start >= span.end; });
    draft.entities.push(span);
    draft.entities.sort(function (a, b) { return a.start - b.start; });
    draft.from = draft.to = null;
    rerender(line);
  }

  function cardOf(line) { return document.querySelector(".tr-msg[data-event='" + line.event_id + "']"); }

  function rerender(line) {
    var old = cardOf(line);
    old.parentNode.replaceChild(messageCard(line), old);
  }

  function saveCorrection(line, draft) {
    var body = { sender_id: state.current.sender_id, event_id: line.event_id, intent: draft.intent,
      entities: draft.entities.map(function (e) { return { start: e.start, end: e.end, entity: e.entity }; }) };
    api("POST", "/api/console/training/annotations", body).then(function (saved) {
      line.annotation = { intent: saved.intent, entities: saved.entities, status: saved.status, note: null };
      rerender(line);
      toast("已保存纠正，导出后写入训练数据。", "ok");
      loadPending();
    }).catch(function (error) { toast(error.message, "error"); });
  }

  $("mark-story").addEventListener("click", function () {
    if (!state.current) return;
    api("POST", "/api/console/training/stories", { sender_id: state.current.sender_id, name: $("story-name").value })
      .then(function (mark) {
        $("story-status").textContent = "测试故事：" + (STATUS[mark.status] || mark.status) + "（" + mark.name + "）";
        toast("已标记为测试故事。", "ok");
        loadPending();
      }).catch(function (error) { toast(error.message, "error"); });
  });

  // --- export, pending, lint, reload ------------------------------------------------------------
  function loadPending() {
    return api("GET", "/api/console/training/pending").then(function (data) {
      var list = $("pending");
      clear(list);
      var waiting = 0;
      data.annotations.forEach(function (a) {
        waiting += a.status === "pending" ? 1 : 0;
        list.appendChild(el("li", a.status, "例句「" + a.text + "」→ " + a.intent + "（" + (STATUS[a.status] || a.status) + "）"));
      });
      data.stories.forEach(function (s) {
        waiting += s.status === "pending" ? 1 : 0;
        list.appendChild(el("li", s.status, "故事「" + s.name + "」（" + (STATUS[s.status] || s.status) + "）"));
      });
      $("pending-count").textContent = waiting;
    }).catch(function () {});
  }

  $("export").addEventListener("click", function () {
    $("export").disabled = true;
    api("POST", "/api/console/training/export", {}).then(function (result) {
      var box = $("export-result");
      clear(box);
      box.appendChild(el("p", null, "导出完成：新增例句 " + result.added.length + " 条，测试故事 " +
        result.stories.length + " 个，拒绝 " + result.refused.length + " 条。"));
      result.added.forEach(function (a) { box.appendChild(el("div", "added", "+ " + a.file + "：" + a.example + "（" + a.intent + "）")); });
      result.stories.forEach(function (s) { box.appendChild(el("div", "added", "+ " + s.file + "：" + s.name)); });
      result.refused.forEach(function (r) { box.appendChild(el("div", "refused", "× " + r.reason)); });
      loadPending();
      if (state.current) openConversation(state.current.sender_id);
    }).catch(function (error) { toast(error.message, "error"); })
      .then(function () { $("export").disabled = false; });
  });

  $("lint").addEventListener("click", function () {
    api("GET", "/api/console/training/lint").then(function (data) {
      var list = $("lint-result");
      clear(list);
      if (!data.findings.length) list.appendChild(el("li", null, "没有发现问题。"));
      data.findings.forEach(function (f) {
        list.appendChild(el("li", f.severity, f.file + " 第" + f.line + "行：" + f.message));
      });
    }).catch(function (error) { toast(error.message, "error"); });
  });

  $("reload").addEventListener("click", function () {
    api("POST", "/api/console/training/reload", {}).then(function (info) {
      $("reload-result").textContent = (info.reloaded ? "已加载新模型 " : "模型未变化 ") + (info.model_id || "");
    }).catch(function (error) { $("reload-result").textContent = error.message; });
  });

  // --- start ------------------------------------------------------------------------------------
  api("GET", "/api/auth/session").then(function (data) {
    state.csrf = data.csrf_token;
    if (data.authenticated) started(data.user); else openLogin("");
  }).catch(function () { openLogin("暂时连不上服务器，请稍后刷新。"); });
})();
