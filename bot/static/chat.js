// The web chat: sends what the person types or taps, shows the bot's replies.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var menu = document.getElementById("menu");
  var form = document.getElementById("send");
  var input = document.getElementById("text");
  var queue = Promise.resolve();  // one request at a time, none dropped

  function bubble(text, who) {
    var div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;  // never HTML: text from the bot or the user
    log.appendChild(div);
    div.scrollIntoView({ block: "end" });
    return div;
  }

  function optionButton(opt) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "option";
    b.textContent = opt.label;
    b.dataset.option = opt.id;
    b.addEventListener("click", function () { send({ option: opt.id }, opt.label); });
    return b;
  }

  function render(replies) {
    replies.forEach(function (r) {
      bubble(r.text, "bot");
      if (!r.options || !r.options.length) { return; }
      if (r.keyboard === "menu") {
        menu.replaceChildren.apply(menu, r.options.map(optionButton));
      } else {
        var box = document.createElement("div");
        box.className = "options";
        r.options.forEach(function (o) { box.appendChild(optionButton(o)); });
        log.appendChild(box);
        box.scrollIntoView({ block: "end" });
      }
    });
  }

  function send(body, shown) {
    if (shown) { bubble(shown, "me"); }
    queue = queue.then(function () { return post(body); });
  }

  function post(body) {
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body)
    }).then(function (resp) {
      if (!resp.ok) { throw new Error("HTTP " + resp.status); }
      return resp.json();
    }).then(function (data) {
      render(data.replies || []);
    }).catch(function () {
      bubble("Không gửi được. Xin thử lại. / Could not send. Please try again.", "bot");
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send({ text: text }, text);
  });

  send({ command: "start" }, null);
})();
