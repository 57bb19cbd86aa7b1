// Customer chat page over the REST channel. Text is inserted with textContent only (no HTML).
(function () {
  "use strict";
  var KEY = "qingting.sender";
  var sender = localStorage.getItem(KEY);
  if (!sender) {
    sender = "web-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    localStorage.setItem(KEY, sender);
  }
  var log = document.getElementById("log");
  var typing = document.getElementById("typing");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");

  function bubble(who, text) {
    var row = document.createElement("div");
    row.className = "msg " + who;
    var b = document.createElement("div");
    b.className = "bubble";
    b.textContent = text;
    row.appendChild(b);
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function buttons(list) {
    var box = document.createElement("div");
    box.className = "buttons";
    list.forEach(function (btn) {
      var el = document.createElement("button");
      el.type = "button";
      el.textContent = btn.title;
      el.addEventListener("click", function () { send(btn.payload, btn.title); box.remove(); });
      box.appendChild(el);
    });
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  function send(payload, shown) {
    bubble("user", shown || payload);
    typing.hidden = false;
    fetch("/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, message: payload })
    }).then(function (r) { return r.json(); }).then(function (replies) {
      typing.hidden = true;
      (Array.isArray(replies) ? replies : [replies]).forEach(function (m) {
        if (m.text) bubble("bot", m.text);
        if (m.buttons && m.buttons.length) buttons(m.buttons);
        if (m.message) bubble("bot", m.message);
      });
    }).catch(function () {
      typing.hidden = true;
      bubble("bot", "网络有点慢，请稍后再发一次，您的问题我们一定会处理。");
    });
  }

  document.getElementById("photo").addEventListener("change", function (e) {
    var file = e.target.files && e.target.files[0];
    if (!file) return;
    var data = new FormData();
    data.append("photo", file);
    bubble("user", "[照片] " + file.name);
    fetch("/api/chat/upload?session_id=" + encodeURIComponent(sender), { method: "POST", body: data })
      .then(function (r) { return r.json(); })
      .then(function (reply) { bubble("bot", reply.message); })
      .catch(function () { bubble("bot", "照片没有传成功，麻烦您再选一次。"); });
    e.target.value = "";
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  // History is restored from the server, so a reload loses nothing.
  fetch("/api/chat/history?session_id=" + encodeURIComponent(sender))
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var messages = (data && data.messages) || [];
      messages.forEach(function (m) { bubble(m.from === "user" ? "user" : "bot", m.text); });
      if (!messages.length) bubble("bot", "您好，我是倾听客服小倾。遇到什么问题都可以跟我说，我来帮您处理。");
    })
    .catch(function () {
      bubble("bot", "您好，我是倾听客服小倾。遇到什么问题都可以跟我说，我来帮您处理。");
    });
})();
