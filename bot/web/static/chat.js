// A plain chat page for trying the assistant. Nothing is stored in the browser: the
// conversation id lives only in this tab's memory. The real website widget is a later piece of work.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const status = document.getElementById("status");
  const helpButton = document.getElementById("help-now");
  const helpText = document.getElementById("help-now-text");
  const sender = (self.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now();

  function bubble(text, who) {
    const div = document.createElement("div");
    div.className = "bubble bubble--" + who;
    div.textContent = text;   // never innerHTML: bot and user text are shown as plain text
    log.appendChild(div);
    div.scrollIntoView({ block: "end" });
  }

  function buttons(list) {
    if (!list.length) return;
    const row = document.createElement("div");
    row.className = "buttons";
    list.forEach(function (b) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.addEventListener("click", function () { send(b.payload, b.title); });
      row.appendChild(btn);
    });
    log.appendChild(row);
  }

  async function send(message, shown) {
    if (shown) bubble(shown, "me");
    status.textContent = "The assistant is typing…";
    try {
      const response = await fetch("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: sender, message: message }),
      });
      const data = await response.json();
      if (!response.ok) {
        status.textContent = data.error || "Something went wrong.";
        if (data.help_now) { helpText.hidden = false; helpButton.setAttribute("aria-expanded", "true"); }
        return false;
      }
      status.textContent = "";
      data.messages.forEach(function (m) { if (m.text) bubble(m.text, "bot"); buttons(m.buttons); });
      return true;
    } catch (err) {
      status.textContent = "The connection dropped. Your message is still in the box: try again. In danger, use Help now.";
      return false;
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const ok = await send(text, text);
    if (ok) input.value = "";   // keep the text if it was not delivered
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });

  helpButton.addEventListener("click", function () {
    const open = helpText.hidden;
    helpText.hidden = !open;
    helpButton.setAttribute("aria-expanded", String(open));
  });

  send("/greet");
})();
