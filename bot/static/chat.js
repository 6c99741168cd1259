// The web chat: sends what the person types or taps, shows the bot's replies.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var menu = document.getElementById("menu");
  var form = document.getElementById("send");
  var input = document.getElementById("text");
  var queue = Promise.resolve();  // one request at a time, none dropped
  var NAV = { "nav:back": true, "nav:menu": true };  // not an answer to the question
  var nearEnd = true;  // the log is scrolled to its end (kept there when it resizes)

  function atEnd() { return log.scrollHeight - log.scrollTop - log.clientHeight < 24; }
  function scrollToEnd() { log.scrollTop = log.scrollHeight; nearEnd = true; }

  // Show the newest bot message: the end of the log (with its buttons), but a
  // message taller than the log is shown from its first line.
  function showLatest(el) {
    var end = log.scrollHeight - log.clientHeight;
    log.scrollTop = Math.max(0, Math.min(end, el.offsetTop - 12));
    nearEnd = atEnd();
  }

  log.addEventListener("scroll", function () { nearEnd = atEnd(); }, { passive: true });
  if (window.ResizeObserver) {
    // The on-screen keyboard shrinks the log: keep the newest message in sight.
    new ResizeObserver(function () { if (nearEnd) { scrollToEnd(); } }).observe(log);
  }

  function bubble(text, who) {
    var div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;  // never HTML: text from the bot or the user
    log.appendChild(div);
    return div;
  }

  function optionButton(opt) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = NAV[opt.id] ? "option nav" : "option";
    b.textContent = opt.label;
    b.dataset.option = opt.id;
    b.addEventListener("click", function () { send({ option: opt.id }, opt.label, b); });
    return b;
  }

  // The person answered: earlier choices in the conversation are greyed out so
  // they are not tapped by mistake (the menu stays active). Returns them so a
  // failed send can give them back.
  function retireOptions(tapped) {
    var retired = Array.prototype.filter.call(
      log.querySelectorAll("button.option"), function (b) { return !b.disabled; });
    retired.forEach(function (b) { b.disabled = true; });
    if (tapped && log.contains(tapped)) { tapped.classList.add("chosen"); }
    return retired;
  }

  // Waiting for typed text (an ID, a date): the last reply that offers buttons
  // offers only back/menu, or no reply offers any.
  function waitsForText(replies) {
    for (var i = replies.length - 1; i >= 0; i--) {
      var opts = replies[i].options || [];
      if (opts.length) {
        return replies[i].keyboard !== "menu" && opts.every(function (o) { return NAV[o.id]; });
      }
    }
    return true;
  }

  // An image is shown; any other file is offered to save. Only data: URLs.
  function attachment(a) {
    if (String(a.url).indexOf("data:") !== 0) { return null; }
    var div = document.createElement("div");
    div.className = "msg bot attachment";
    if (a.kind === "image") {
      var img = document.createElement("img");
      img.src = a.url;
      img.alt = a.filename;
      div.appendChild(img);
    } else {
      var link = document.createElement("a");
      link.href = a.url;
      link.download = a.filename;
      link.textContent = "📎 " + a.filename;
      div.appendChild(link);
    }
    log.appendChild(div);
    return div;
  }

  // The element shown for a message with this ref (a broadcast's progress).
  function withRef(selector, ref) {
    var found = null;
    log.querySelectorAll(selector).forEach(function (el) {
      if (el.dataset.ref === ref) { found = el; }
    });
    return found;
  }

  function optionsBox(r) {
    var box = document.createElement("div");
    box.className = "options";
    if (r.ref) { box.dataset.ref = r.ref; }
    r.options.forEach(function (o) { box.appendChild(optionButton(o)); });
    return box;
  }

  // A message that changed (sent again with the same ref): replaced where it
  // is, with its buttons, without moving the conversation.
  function replaceInPlace(old, r) {
    old.textContent = r.text;
    var oldBox = withRef(".options", r.ref);
    if (oldBox) { oldBox.remove(); }
    if (r.options && r.options.length) { old.after(optionsBox(r)); }
  }

  function render(replies) {
    var last = null;
    replies.forEach(function (r) {
      var old = r.ref ? withRef(".msg.bot", r.ref) : null;
      if (old) { replaceInPlace(old, r); return; }
      last = bubble(r.text, "bot");
      if (r.ref) { last.dataset.ref = r.ref; }
      (r.attachments || []).forEach(function (a) { last = attachment(a) || last; });
      if (!r.options || !r.options.length) { return; }
      if (r.keyboard === "menu") {
        menu.replaceChildren.apply(menu, r.options.map(optionButton));
        menu.scrollTop = 0;  // the first item (check my allowance) in sight
      } else {
        log.appendChild(optionsBox(r));
      }
    });
    if (!last) { return; }
    showLatest(last);
    // Only when typing is the next step: focusing pops up the phone's keyboard.
    if (waitsForText(replies) && document.activeElement !== input) {
      input.focus({ preventScroll: true });
    }
  }

  function send(body, shown, tapped) {
    var retired = retireOptions(tapped);
    if (shown) { bubble(shown, "me"); scrollToEnd(); }
    queue = queue.then(function () { return post(body, retired); });
  }

  function post(body, retired) {
    var request = body instanceof FormData
      ? { method: "POST", credentials: "same-origin", body: body }
      : {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body)
      };
    return fetch(body instanceof FormData ? "/api/upload" : "/api/chat", request).then(function (resp) {
      if (!resp.ok) { throw new Error("HTTP " + resp.status); }
      return resp.json();
    }).then(function (data) {
      render(data.replies || []);
    }).catch(function () {
      // Not delivered: the choices are still open.
      retired.forEach(function (b) { b.disabled = false; b.classList.remove("chosen"); });
      showLatest(bubble("Không gửi được. Xin thử lại. / Could not send. Please try again.", "bot"));
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send({ text: text }, text, null);
  });

  // A file (an officer's Excel or CSV list) goes as a document.
  var attach = document.getElementById("attach");
  var file = document.getElementById("file");
  if (attach && file) {
    attach.addEventListener("click", function () { file.click(); });
    file.addEventListener("change", function () {
      if (!file.files || !file.files.length) { return; }
      var data = new FormData();
      data.append("file", file.files[0]);
      send(data, "📎 " + file.files[0].name, null);
      file.value = "";
    });
  }

  // Messages the bot sends on its own (a payment has arrived, ...) wait in an
  // inbox; the page fetches them every little while, in turn with the chat.
  var INBOX_EVERY = 5000;
  function pollInbox() {
    queue = queue.then(function () {
      return fetch("/api/inbox", { credentials: "same-origin" }).then(function (resp) {
        return resp.ok ? resp.json() : { replies: [] };
      }).then(function (data) {
        if (data.replies && data.replies.length) { render(data.replies); }
      }).catch(function () { /* offline: try again next time */ });
    }).then(function () { setTimeout(pollInbox, INBOX_EVERY); });
  }

  send({ command: "start" }, null, null);
  setTimeout(pollInbox, INBOX_EVERY);
})();
