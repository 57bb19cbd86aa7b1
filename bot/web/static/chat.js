// Customer chat page (H5). Talks socket.io with the rasa-webchat protocol so agent replies
// and follow-ups are pushed and the page reconnects by itself; falls back to the REST channel
// when socket.io is unavailable. Text is inserted with textContent only (no HTML).
// The page never makes or keeps its own id: the server issues the session in an HttpOnly
// cookie (POST /api/chat/session) that history, uploads, socket.io and the fallback present.
(function () {
  "use strict";
  var GREETING = "您好，我是倾听客服小倾。遇到什么问题都可以跟我说，我来帮您处理。";
  var SLOW = "网络有点慢，请稍后再发一次，您的问题我们一定会处理。";
  var log = document.getElementById("log");
  var typing = document.getElementById("typing");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var typingTimer = null;
  var historyShown = false;
  var early = [];       // live messages that arrived before the history was drawn
  var recent = [];      // the last texts of the history, to skip their live duplicates

  function bubble(who, text, label) {
    var row = document.createElement("div");
    row.className = "msg " + who;
    if (label) {
      var name = document.createElement("div");
      name.className = "who";
      name.textContent = label;
      row.appendChild(name);
    }
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

  function showTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    // A person may be reading; never leave the indicator on forever.
    if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, 15000);
  }

  function render(m) {
    if (m.text) bubble("bot", m.text);
    var replies = m.quick_replies || m.buttons;
    if (replies && replies.length) buttons(replies);
  }

  function onBotMessage(m) {
    showTyping(false);
    if (!historyShown) { early.push(m); return; }
    render(m);
  }

  // --- transport -------------------------------------------------------------------------------
  var socket = null;
  function connect() {
    socket = typeof io === "function" ? io({ reconnection: true }) : null;
    if (socket) {
      socket.on("connect", function () {
        // The history below already holds anything queued while we were away.
        socket.emit("session_request", { skip_outbox: !historyShown });
      });
      socket.on("session_confirm", function () { if (!historyShown) loadHistory(); });
      socket.on("bot_uttered", onBotMessage);
    } else {
      loadHistory();
    }
  }
  // The cookie comes first: the socket.io handshake carries it.
  fetch("/api/chat/session", { method: "POST", credentials: "same-origin" }).then(connect, connect);

  function sendRest(payload) {
    fetch("/webhooks/rest/webhook", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: "page", message: payload })  // the cookie decides who speaks
    }).then(function (r) { return r.json(); }).then(function (replies) {
      (Array.isArray(replies) ? replies : [replies]).forEach(function (m) {
        if (m.message && !m.text) m = { text: m.message };
        onBotMessage(m);
      });
      showTyping(false);
    }).catch(function () {
      showTyping(false);
      bubble("bot", SLOW);
    });
  }

  function send(payload, shown) {
    bubble("user", shown || payload);
    showTyping(true);
    if (socket && socket.connected) {
      socket.emit("user_uttered", { message: payload });
    } else {
      sendRest(payload);
    }
  }

  document.getElementById("photo").addEventListener("change", function (e) {
    var file = e.target.files && e.target.files[0];
    if (!file) return;
    var data = new FormData();
    data.append("photo", file);
    bubble("user", "[照片] " + file.name);
    fetch("/api/chat/upload", { method: "POST", body: data, credentials: "same-origin" })
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
  function loadHistory() {
    fetch("/api/chat/history", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var messages = (data && data.messages) || [];
        messages.forEach(function (m) {
          if (m.from === "user") bubble("user", m.text);
          else bubble("bot", m.text, m.from === "agent" ? m.agent : null);
        });
        recent = messages.slice(-10).map(function (m) { return m.text; });
        if (!messages.length) bubble("bot", GREETING);
      })
      .catch(function () { bubble("bot", GREETING); })
      .then(function () {
        historyShown = true;
        early.forEach(function (m) { if (recent.indexOf(m.text) < 0) render(m); });
        early = [];
      });
  }
})();
