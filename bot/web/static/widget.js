/*
 * Parent Support Assistant: the website chat widget. Plain JavaScript, no dependencies, no build step.
 *
 * Embed with one tag (every data attribute is optional; see bot/web/widget/__init__.py):
 *   <script src="https://ASSISTANT/widget/widget.js" defer data-exit-url="https://www.bbc.co.uk/weather"></script>
 *
 * Privacy: nothing is written to cookies, localStorage, sessionStorage or any other browser store. The
 * conversation and the parent's notes live in this tab's memory only; Clear chat, Exit this page and
 * closing the tab wipe them. The notes go to the server only when the parent saves, emails or shares them.
 * Safety: every text (the assistant's, the parent's, the server's) is shown with textContent; links are
 * built as elements, and only from http(s) addresses. Nothing is ever parsed as HTML.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script || window.__parentSupportWidget) return;   // one widget per page
  window.__parentSupportWidget = true;

  const data = script.dataset;
  const DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather";
  const DEFAULT_PRIMARY = "#1d4f91";
  const DEFAULT_EXIT_COLOUR = "#b10e1e";
  // The only help text in this file, used when even /widget/config.json could not be fetched. 999 is the
  // one number allowed as a literal here: every other number comes from the content files via the config.
  const FALLBACK_HELP = {
    text: "If anyone is in danger right now, call 999.",
    calls: [{ label: "Emergency services: call 999", tel: "999" }],
  };
  // The widget's words come from content/web.yml (`widget:`) with /widget/config.json. These are the same
  // words as shipped, used until the config arrives and if it never does, so that Help now, Exit this page
  // and the chat always have their labels.
  const FALLBACK_WORDS = {
    title: "Parent support assistant",
    exit: "Exit this page",
    help_now: "Help now",
    launch: "Chat with us",
    close: "Close",
    close_label: "Close chat",
    notice: "An automated assistant: not a person, and not an emergency service.",
    hide_note: "Hide this note",
    safety_title: "Staying safe online",
    safety_1: "This chat and your notes are not saved on this device. They are gone when you close the tab, or straight away with Clear chat or Exit this page.",
    safety_2: "Exit this page, or pressing the Shift key 3 times, hides this page at once and opens an everyday website instead.",
    safety_3: "A private or incognito window keeps this website out of your browsing history.",
    safety_4: "If someone checks this device, you can delete this website from your history. Deleting all of your history can be noticed, so you may prefer to remove only these pages.",
    safety_5: "If someone may be watching your phone or computer, use a device they cannot get to, such as a friend's phone or a library computer.",
    conversation_label: "Conversation",
    retry: "Try again",
    send: "Send",
    message_label: "Your message",
    message_hint: "Press Enter to send, Shift and Enter for a new line.",
    clear: "Clear chat",
    safety_toggle: "Staying safe online",
    you: "You:",
    assistant: "Assistant:",
    replies_label: "Replies you can choose",
    typing: "The assistant is typing…",
    not_sent_error: "Sorry, that message could not be sent.",
    not_sent_yet: "Not sent yet",
    unreachable: "Sorry, we can't reach the assistant just now.",
    unreachable_kept: "Your message has not been lost: you can send it again in a moment.",
    unreachable_help: "If you need help now:",
    reconnected: "You're connected again. Your message has not been sent yet.",
    send_now: "Send it now",
    wait_for_reply: "Please wait for the reply. Your message is still in the box.",
    cleared: "Chat cleared, and your notes too. Nothing from them is kept on this device.",
    exit_done: "Exit this page activated.",
    exit_presses_one: "Shift, press {count} more time to exit.",
    exit_presses_many: "Shift, press {count} more times to exit.",
    opens_new_tab: "(opens in a new tab)",
  };
  const SHIFT_PRESSES = 3;
  const SHIFT_WINDOW_MS = 5000;
  const REQUEST_TIMEOUT_MS = 30000;
  const RECONNECT_MAX_MS = 30000;

  function httpUrl(value, base) {
    if (!value) return null;
    try {
      const url = new URL(value, base);
      return url.protocol === "https:" || url.protocol === "http:" ? url : null;
    } catch (err) {
      return null;
    }
  }

  const scriptUrl = httpUrl(script.src, location.href);
  const serverUrl = httpUrl(data.server, location.href) || scriptUrl || httpUrl(location.origin);
  const server = serverUrl ? (serverUrl.origin + serverUrl.pathname.replace(/\/widget\/widget\.js$/, "")).replace(/\/+$/, "") : "";
  const exitUrl = (httpUrl(data.exitUrl, location.href) || new URL(DEFAULT_EXIT_URL)).href;

  // ---- colours from the host page, kept only when white text on them stays readable (4.5:1) ----------
  function luminance(rgb) {
    const [r, g, b] = rgb.map(function (v) {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  function usableColour(value, fallback, name) {
    if (!value) return fallback;
    const ctx = document.createElement("canvas").getContext("2d");
    if (!ctx || !(window.CSS && CSS.supports("color", value))) return fallback;
    ctx.fillStyle = "#000";
    ctx.fillStyle = value;
    const hex = /^#([0-9a-f]{6})$/i.exec(ctx.fillStyle);   // canvas normalises opaque colours to #rrggbb
    if (hex) {
      const n = parseInt(hex[1], 16);
      const contrast = 1.05 / (luminance([n >> 16, (n >> 8) & 255, n & 255]) + 0.05);
      if (contrast >= 4.5) return ctx.fillStyle;
    }
    console.warn("Parent support widget: " + name + " is not dark enough for white text; using the default.");
    return fallback;
  }

  // ---- state: memory only ------------------------------------------------------------------------------
  function newSender() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  const state = {
    sender: newSender(),
    words: FALLBACK_WORDS,
    help: FALLBACK_HELP,
    helpFromServer: false,
    started: false,
    busy: false,
    pending: null,        // {message, bubble, typed, auto, sender}: a message the assistant has not received
    controller: null,
    exited: false,
    reconnectTimer: null,
    reconnectDelay: 2000,
    inerted: [],
  };

  // ---- words: `word` (the text) and `wordLabel` (aria-label) name a key of the words, set again when the
  // config's words arrive; `t` fills in {placeholders} ------------------------------------------------------
  const worded = [];

  function t(key, values) {
    const words = state.words[key] === undefined ? FALLBACK_WORDS[key] : state.words[key];
    return String(words === undefined ? "" : words).replace(/\{([a-z_]+)\}/g, function (whole, name) {
      return values && values[name] !== undefined ? String(values[name]) : whole;
    });
  }

  function applyWords() {
    worded.forEach(function (item) {
      if (item[2]) item[0].setAttribute(item[2], t(item[1]));
      else item[0].textContent = t(item[1]);
    });
  }

  function validWords(words) {
    if (!words || typeof words !== "object") return null;
    const valid = {};
    Object.keys(FALLBACK_WORDS).forEach(function (key) {
      if (typeof words[key] === "string" && words[key].trim()) valid[key] = words[key];
    });
    return valid;
  }

  // ---- tiny DOM helpers: attributes are set one by one; nothing is ever parsed as HTML ------------------
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      const value = attrs[key];
      if (key === "word") {
        worded.push([node, value, null]);
        node.textContent = t(value);
      } else if (key === "wordLabel") {
        worded.push([node, value, "aria-label"]);
        node.setAttribute("aria-label", t(value));
      } else if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (value === true) node.setAttribute(key, "");
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, String(value));
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function hiddenText(text) {
    return el("span", { class: "psa-vh", text: text });
  }

  const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+|\bwww\.[^\s<>"]+/gi;

  // Plain text with web addresses turned into links (opening in a new tab, so the chat is not lost).
  function richText(parent, text) {
    let last = 0;
    for (const match of String(text).matchAll(URL_PATTERN)) {
      const shown = match[0].replace(/[.,;:!?)\]'"]+$/, "");
      const url = httpUrl(/^www\./i.test(shown) ? "https://" + shown : shown);
      if (!url) continue;
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer" },
        [document.createTextNode(shown), hiddenText(" " + t("opens_new_tab"))]));
      last = match.index + shown.length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }

  function callList(calls) {
    return el("ul", { class: "psa-calls" }, calls.map(function (call) {
      return el("li", {}, [el("a", { href: "tel:" + call.tel, class: "psa-call", text: call.label })]);
    }));
  }

  // ---- the widget's DOM, inside a shadow root so the host page's styles neither leak in nor out ---------
  const host = el("div", { id: "parent-support-widget" });
  host.style.setProperty("display", "none");   // until the stylesheet has loaded
  const root = host.attachShadow({ mode: "open" });
  const stylesheet = el("link", { rel: "stylesheet", href: server + "/widget/widget.css" });
  stylesheet.addEventListener("load", function () { host.style.removeProperty("display"); });
  stylesheet.addEventListener("error", function () { host.style.removeProperty("display"); });

  const title = data.title || null;   // the host page's own heading, if it gives one
  const ui = {};
  ui.floatingExit = el("button", { type: "button", class: "psa-exit psa-exit--floating", word: "exit" });
  ui.launchHelp = el("button", { type: "button", class: "psa-help-button", word: "help_now" });
  ui.launch = el("button", { type: "button", class: "psa-launch", "aria-expanded": "false", "aria-controls": "psa-panel", word: "launch" });
  ui.launcher = el("div", { class: "psa-launcher" }, [ui.launchHelp, ui.launch]);

  ui.heading = el("h2", title ? { id: "psa-title", class: "psa-title", tabindex: "-1", text: title } : { id: "psa-title", class: "psa-title", tabindex: "-1", word: "title" });
  ui.close = el("button", { type: "button", class: "psa-close", wordLabel: "close_label", word: "close" });
  ui.helpToggle = el("button", { type: "button", class: "psa-help-button", "aria-expanded": "false", "aria-controls": "psa-help", word: "help_now" });
  ui.exit = el("button", { type: "button", class: "psa-exit", word: "exit" });
  // The header (with Help now and Exit) stays at the top even when a small or zoomed screen scrolls the panel.
  ui.header = el("header", { class: "psa-header" }, [
    el("div", { class: "psa-titlebar" }, [ui.heading, ui.close]),
    el("div", { class: "psa-actions" }, [ui.helpToggle, ui.exit]),
  ]);
  ui.notice = el("p", { class: "psa-notice", word: "notice" });

  ui.helpText = el("p", { class: "psa-help__text" });
  ui.helpCalls = el("div");
  ui.help = el("section", { id: "psa-help", class: "psa-help", "aria-labelledby": "psa-help-title", hidden: true }, [
    el("h3", { id: "psa-help-title", word: "help_now" }), ui.helpText, ui.helpCalls,
  ]);

  ui.safetyClose = el("button", { type: "button", class: "psa-link-button", word: "hide_note" });
  ui.safety = el("section", { id: "psa-safety", class: "psa-safety", "aria-labelledby": "psa-safety-title", hidden: true }, [
    el("h3", { id: "psa-safety-title", word: "safety_title" }),
    el("ul", {}, ["safety_1", "safety_2", "safety_3", "safety_4", "safety_5"].map(function (key) { return el("li", { word: key }); })),
    ui.safetyClose,
  ]);

  ui.log = el("div", { class: "psa-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", wordLabel: "conversation_label", tabindex: "0" });
  ui.typing = el("p", { class: "psa-typing", role: "status" });
  ui.alertMessage = el("p", { class: "psa-alert__message" });
  ui.alertHelp = el("div", { class: "psa-alert__help" });
  ui.retry = el("button", { type: "button", class: "psa-retry", text: t("retry") });
  ui.alert = el("div", { class: "psa-alert", role: "alert" });
  ui.alertBox = el("div", { class: "psa-alert__box", hidden: true }, [ui.alertMessage, ui.alertHelp, ui.retry]);
  ui.alert.appendChild(ui.alertBox);

  ui.input = el("textarea", { id: "psa-input", name: "message", rows: "2", maxlength: "1000", autocomplete: "off", "aria-describedby": "psa-input-hint" });
  ui.send = el("button", { type: "submit", class: "psa-send", word: "send" });
  ui.form = el("form", { class: "psa-composer", novalidate: true }, [
    el("label", { for: "psa-input", class: "psa-label", word: "message_label" }),
    el("p", { id: "psa-input-hint", class: "psa-hint", word: "message_hint" }),
    ui.input, ui.send,
  ]);
  ui.clear = el("button", { type: "button", class: "psa-link-button", word: "clear" });
  ui.safetyToggle = el("button", { type: "button", class: "psa-link-button", "aria-expanded": "false", "aria-controls": "psa-safety", word: "safety_toggle" });
  ui.footer = el("div", { class: "psa-footer" }, [ui.clear, ui.safetyToggle]);
  ui.note = el("p", { class: "psa-note", role: "status" });

  ui.panel = el("section", { id: "psa-panel", class: "psa-panel", "aria-labelledby": "psa-title", hidden: true }, [
    ui.header, ui.notice, ui.help, ui.safety, ui.log, ui.typing, ui.alert, ui.form, ui.footer, ui.note,
  ]);
  ui.exitStatus = el("p", { class: "psa-vh", role: "status" });
  ui.wrapper = el("div", { class: "psa" }, [ui.floatingExit, ui.launcher, ui.panel, ui.exitStatus]);
  ui.wrapper.style.setProperty("--psa-primary", usableColour(data.primaryColour, DEFAULT_PRIMARY, "data-primary-colour"));
  ui.wrapper.style.setProperty("--psa-exit", usableColour(data.exitColour, DEFAULT_EXIT_COLOUR, "data-exit-colour"));
  root.appendChild(stylesheet);
  root.appendChild(ui.wrapper);
  // Keep whatever gets focus or is scrolled to from hiding under the sticky header.
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      ui.panel.style.setProperty("scroll-padding-top", ui.header.offsetHeight + "px");
    }).observe(ui.header);
  }

  // ---- help now: from the content files via the config endpoint, kept in memory ------------------------
  function renderHelp() {
    ui.helpText.textContent = "";
    richText(ui.helpText, state.help.text);
    ui.helpCalls.replaceChildren(callList(state.help.calls));
  }

  function validCalls(calls) {
    return (Array.isArray(calls) ? calls : []).filter(function (call) {
      return call && typeof call.label === "string" && typeof call.tel === "string" && /^\+?[0-9]{2,15}$/.test(call.tel);
    }).map(function (call) { return { label: call.label, tel: call.tel }; });
  }

  async function loadConfig() {
    try {
      const response = await fetch(server + "/widget/config.json", requestOptions({ method: "GET" }));
      if (!response.ok) return false;
      const config = await response.json();
      const words = validWords(config && config.words);
      if (words) {
        state.words = Object.assign({}, FALLBACK_WORDS, words);
        applyWords();
      }
      const help = config && config.help_now;
      if (help && typeof help.text === "string" && help.text.trim()) {
        state.help = { text: help.text, calls: validCalls(help.calls) };
        state.helpFromServer = true;
        renderHelp();
      }
      if (Number.isInteger(config.max_message_chars) && config.max_message_chars > 0) {
        ui.input.maxLength = config.max_message_chars;
      }
      if (validNotesConfig(config.notes) && !state.notesConfig) buildNotes(config.notes);
      return true;
    } catch (err) {
      return false;
    }
  }

  function validNotesConfig(notes) {
    const section = function (s) {
      return s && typeof s.title === "string" && Array.isArray(s.fields) && s.fields.every(function (f) {
        return f && typeof f.key === "string" && /^[a-z_]{1,40}$/.test(f.key) && typeof f.label === "string";
      });
    };
    return !!notes && typeof notes.title === "string" && section(notes.log) && section(notes.sheet) &&
      notes.messages && typeof notes.messages === "object" && !!notes.words && typeof notes.words === "object";
  }

  function setHelpOpen(open) {
    ui.help.hidden = !open;
    ui.helpToggle.setAttribute("aria-expanded", String(open));
    if (open) ui.help.scrollIntoView({ block: "nearest" });
  }

  // ---- opening and closing the panel -----------------------------------------------------------------
  const fullScreen = window.matchMedia("(max-width: 40em)");

  // When the panel covers the whole screen, the page behind it is taken out of reach of Tab and screen
  // readers (inert), as a modal would be; on a wide screen the page stays usable beside the chat.
  function updateInert() {
    const shouldInert = !ui.panel.hidden && fullScreen.matches;
    if (shouldInert && !state.inerted.length) {
      Array.from(document.body.children).forEach(function (child) {
        if (child !== host && !child.inert && child.tagName !== "SCRIPT") {
          child.inert = true;
          state.inerted.push(child);
        }
      });
    } else if (!shouldInert && state.inerted.length) {
      state.inerted.forEach(function (child) { child.inert = false; });
      state.inerted = [];
    }
  }

  function openPanel(options) {
    ui.panel.hidden = false;
    ui.launcher.hidden = true;
    ui.floatingExit.hidden = true;
    ui.launch.setAttribute("aria-expanded", "true");
    ui.wrapper.classList.add("psa--open");
    updateInert();
    if (options.help) setHelpOpen(true);
    if (options.focus) (options.help ? ui.helpToggle : ui.heading).focus();
    if (!state.started) {
      state.started = true;
      deliver({ message: "/greet", auto: true });
    }
  }

  function closePanel() {
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.floatingExit.hidden = false;
    ui.launch.setAttribute("aria-expanded", "false");
    ui.wrapper.classList.remove("psa--open");
    updateInert();
    ui.launch.focus();
  }

  // ---- messages ----------------------------------------------------------------------------------------
  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function addBubble(text, who) {
    const bubble = el("div", { class: "psa-msg psa-msg--" + who }, [hiddenText(t(who === "bot" ? "assistant" : "you") + " ")]);
    if (who === "bot") richText(bubble, text);
    else bubble.appendChild(document.createTextNode(text));
    ui.log.appendChild(bubble);
    scrollToEnd();
    return bubble;
  }

  // Quick replies from the assistant's last message stay usable; older ones are removed when the parent
  // answers, except a row that holds the keyboard focus, whose buttons are switched off instead (so focus
  // is never lost).
  function retireReplies() {
    const focused = root.activeElement;
    ui.log.querySelectorAll(".psa-replies").forEach(function (row) {
      if (focused && row.contains(focused)) {
        row.classList.add("psa-replies--used");
        row.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
      } else {
        row.remove();
      }
    });
  }

  function addReplies(buttons) {
    const valid = buttons.filter(function (b) { return b && typeof b.title === "string" && typeof b.payload === "string" && b.payload; });
    if (!valid.length) return;
    const row = el("div", { class: "psa-replies", role: "group", "aria-label": t("replies_label") });
    valid.forEach(function (reply) {
      const button = el("button", { type: "button", class: "psa-reply", text: reply.title || reply.payload });
      button.addEventListener("click", function () {
        if (button.getAttribute("aria-disabled") === "true") return;
        const notes = NOTES_PAYLOAD.exec(reply.payload);
        send(reply.payload, reply.title || reply.payload);
        if (notes) openNotes(notes[1] === "missing_sheet" ? "sheet" : "log");   // the chat's reply waits behind
      });
      row.appendChild(button);
    });
    ui.log.appendChild(row);
    scrollToEnd();
  }

  function showMessages(messages) {
    (Array.isArray(messages) ? messages : []).forEach(function (m) {
      if (m && typeof m.text === "string" && m.text) addBubble(m.text, "bot");
      if (m && Array.isArray(m.buttons)) addReplies(m.buttons);
    });
  }

  function setTyping(on) {
    ui.typing.replaceChildren();
    if (on) {
      ui.typing.appendChild(el("span", { class: "psa-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]));
      ui.typing.appendChild(document.createTextNode(t("typing")));
    }
  }

  // A short note to the parent (announced politely), such as "Chat cleared".
  function say(text) {
    ui.note.textContent = text;
  }

  // ---- talking to the relay ------------------------------------------------------------------------
  function requestOptions(extra) {
    return Object.assign({ credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer", mode: "cors" }, extra);
  }

  function send(message, shown) {
    if (state.busy || state.exited) return false;
    retireReplies();
    hideAlert();
    say("");
    const bubble = addBubble(shown, "me");
    deliver({ message: message, bubble: bubble, typed: shown === message ? message : null });
    return true;
  }

  async function deliver(pending) {
    if (state.busy || state.exited) return;
    pending.sender = state.sender;
    state.busy = true;
    setTyping(true);
    const controller = new AbortController();
    state.controller = controller;
    const timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    let response = null;
    let body = {};
    try {
      response = await fetch(server + "/api/chat", requestOptions({
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: pending.sender, message: pending.message }),
        signal: controller.signal,
      }));
      body = await response.json().catch(function () { return {}; });
    } catch (err) {
      response = null;
    } finally {
      clearTimeout(timer);
      if (state.controller === controller) state.controller = null;
    }
    if (pending.sender !== state.sender || state.exited) return;   // the chat was cleared meanwhile
    state.busy = false;
    setTyping(false);
    if (response && response.ok) {
      delivered(pending);
      showMessages(body.messages);
    } else if (response && response.status === 429) {
      refused(pending, body.error, state.help);   // slowed down: the help numbers stay in view
    } else if (response && response.status >= 400 && response.status < 500) {
      refused(pending, body.error);
    } else {
      connectionLost(pending, body && body.help_now);
    }
  }

  function delivered(pending) {
    state.pending = null;
    if (pending.bubble) pending.bubble.classList.remove("psa-msg--unsent");
    const note = pending.bubble && pending.bubble.querySelector(".psa-unsent");
    if (note) note.remove();
    stopReconnect();
    hideAlert();
  }

  // The message itself was turned down (too long, empty...): it goes back in the box to be changed.
  function refused(pending, error, help) {
    if (pending.bubble) pending.bubble.remove();
    if (pending.typed && !ui.input.value) ui.input.value = pending.typed;
    showAlert(typeof error === "string" && error ? error : t("not_sent_error"), help || null, null);
  }

  function connectionLost(pending, helpText) {
    state.pending = pending;
    if (pending.bubble && !pending.bubble.querySelector(".psa-unsent")) {
      pending.bubble.classList.add("psa-msg--unsent");
      pending.bubble.appendChild(el("span", { class: "psa-unsent", "aria-hidden": "true", text: t("not_sent_yet") }));
    }
    const help = typeof helpText === "string" && helpText.trim() ? { text: helpText, calls: state.help.calls } : state.help;
    showAlert(
      t("unreachable") + " " + (pending.bubble ? t("unreachable_kept") + " " : "") + t("unreachable_help"),
      help,
      state.pending.auto ? null : t("retry")
    );
    scheduleReconnect();
  }

  // `retryLabel`: the text of the button that sends the waiting message again; null for no button.
  function showAlert(message, help, retryLabel) {
    const hadFocus = ui.alertBox.contains(root.activeElement);
    ui.alertMessage.textContent = message;
    ui.alertHelp.replaceChildren();
    if (help) {
      ui.alertHelp.appendChild(richText(el("p", { class: "psa-help__text" }), help.text));
      ui.alertHelp.appendChild(callList(help.calls));
    }
    ui.retry.hidden = !retryLabel;
    if (retryLabel) ui.retry.textContent = retryLabel;
    ui.alertBox.hidden = false;
    ui.alertBox.scrollIntoView({ block: "nearest" });
    if (hadFocus && ui.retry.hidden) ui.input.focus({ preventScroll: true });
  }

  function hideAlert() {
    const hadFocus = ui.alertBox.contains(root.activeElement);
    ui.alertBox.hidden = true;
    ui.alertMessage.textContent = "";
    ui.alertHelp.replaceChildren();
    if (hadFocus) ui.input.focus({ preventScroll: true });
  }

  function retry() {
    if (!state.pending || state.busy) return;
    stopReconnect();
    deliver(state.pending);
  }

  // While the assistant cannot be reached, ask (without re-sending anything) whether it is back,
  // waiting a little longer each time.
  function scheduleReconnect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(probe, state.reconnectDelay);
    state.reconnectDelay = Math.min(state.reconnectDelay * 2, RECONNECT_MAX_MS);
  }

  function stopReconnect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    state.reconnectDelay = 2000;
  }

  async function probe() {
    state.reconnectTimer = null;
    if (state.exited || !state.pending) return;
    let up = false;
    try {
      up = (await fetch(server + "/api/status", requestOptions({ method: "GET" }))).ok;
    } catch (err) {
      up = false;
    }
    if (state.exited || !state.pending) return;
    if (!up) {
      scheduleReconnect();
      return;
    }
    stopReconnect();
    if (!state.helpFromServer) loadConfig();
    if (state.pending.auto) {
      deliver(state.pending);   // our own greeting: nothing the parent wrote is sent twice
    } else {
      showAlert(t("reconnected"), null, t("send_now"));
    }
  }

  // ---- my notes: notes for the police and the "if my child goes missing" sheet, in this tab's memory only ----
  // Nothing here is stored anywhere: the notes are sent to the server only when the parent chooses to save
  // them as a file, email them or add them to their referral, and Clear chat and Exit this page wipe them.
  const NOTES_PAYLOAD = /^\/open_topic\{"topic":"notes(?:\/(start|missing_sheet))?"\}$/;

  function emptyNotes() {
    return { entries: [], sheet: {}, nextId: 1, editing: null, view: "log" };
  }
  state.notes = emptyNotes();
  state.notesConfig = null;

  function pad(n) { return String(n).padStart(2, "0"); }

  function today() {
    const now = new Date();
    return { date: now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()), time: pad(now.getHours()) + ":" + pad(now.getMinutes()) };
  }

  // The names of the days and months are words of content/web.yml `widget_notes:` (day_sunday, month_january ...).
  const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
  const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

  function parsedDate(text) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    if (!m) return null;
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    return d.getMonth() === Number(m[2]) - 1 ? d : null;
  }

  // The notes panel's own words (content/web.yml `widget_notes:`), sent with the rest of its config.
  function nt(key, values) {
    const words = (state.notesConfig && state.notesConfig.words) || {};
    return String(typeof words[key] === "string" ? words[key] : "").replace(/\{([a-z_]+)\}/g, function (whole, name) {
      return values && values[name] !== undefined ? String(values[name]) : whole;
    });
  }

  function entryHeading(values) {
    const d = parsedDate(values.date);
    const day = d
      ? nt("entry_date", { weekday: nt("day_" + DAYS[d.getDay()]), day: d.getDate(), month: nt("month_" + MONTHS[d.getMonth()]), year: d.getFullYear() })
      : (values.date || nt("no_date"));
    return values.time ? nt("entry_date_time", { date: day, time: values.time }) : day;
  }

  // Time order, as on the documents: dated entries by date and time, then undated ones as written.
  function orderedEntries() {
    return state.notes.entries.slice().sort(function (a, b) {
      const da = parsedDate(a.values.date), db = parsedDate(b.values.date);
      if (!da || !db) return (da ? 0 : 1) - (db ? 0 : 1) || a.id - b.id;
      return a.values.date.localeCompare(b.values.date) || (a.values.time || "").localeCompare(b.values.time || "") || a.id - b.id;
    });
  }

  function notesPayload(extra) {
    return Object.assign({
      sender: state.sender,
      entries: orderedEntries().map(function (entry) { return Object.assign({}, entry.values); }),
      sheet: Object.assign({}, state.notes.sheet),
    }, extra || {});
  }

  function hasNotes() {
    return state.notes.entries.length > 0 || Object.keys(state.notes.sheet).length > 0;
  }

  // Worded by buildNotes, from the notes config.
  ui.notesHeading = el("h3", { id: "psa-notes-title", class: "psa-notes__title", tabindex: "-1" });
  ui.notesBack = el("button", { type: "button", class: "psa-link-button" });
  ui.notesPrivacy = el("p", { class: "psa-notes__privacy" });
  ui.logTab = el("button", { type: "button", class: "psa-tab", "aria-pressed": "true", "aria-controls": "psa-notes-log" });
  ui.sheetTab = el("button", { type: "button", class: "psa-tab", "aria-pressed": "false", "aria-controls": "psa-notes-sheet" });
  ui.logIntro = el("p", { class: "psa-notes__intro" });
  ui.addEntry = el("button", { type: "button", class: "psa-primary" });
  ui.entries = el("ol", { class: "psa-entries" });
  ui.entriesEmpty = el("p", { class: "psa-notes__empty" });
  ui.entryForm = el("form", { class: "psa-entry-form", novalidate: true, hidden: true, "aria-labelledby": "psa-entry-title" });
  ui.logView = el("div", { id: "psa-notes-log", class: "psa-notes__view" }, [ui.logIntro, ui.addEntry, ui.entryForm, ui.entriesEmpty, ui.entries]);
  ui.sheetIntro = el("p", { class: "psa-notes__intro" });
  ui.sheetForm = el("form", { class: "psa-sheet", novalidate: true });
  ui.sheetView = el("div", { id: "psa-notes-sheet", class: "psa-notes__view", hidden: true }, [ui.sheetIntro, ui.sheetForm]);
  ui.keepStatus = el("p", { class: "psa-keep__status", role: "status" });
  ui.keepButtons = el("div", { class: "psa-keep__buttons" });
  ui.keepPanel = el("div", { class: "psa-keep__panel", hidden: true });
  ui.keep = el("section", { class: "psa-keep", "aria-labelledby": "psa-keep-title" }, [
    ui.keepTitle = el("h4", { id: "psa-keep-title" }), ui.keepButtons, ui.keepPanel, ui.keepStatus,
  ]);
  ui.notes = el("section", { id: "psa-notes", class: "psa-notes", "aria-labelledby": "psa-notes-title", hidden: true }, [
    el("div", { class: "psa-notes__top" }, [ui.notesHeading, ui.notesBack]),
    ui.notesPrivacy,
    ui.tabs = el("div", { class: "psa-tabs", role: "group" }, [ui.logTab, ui.sheetTab]),
    ui.logView, ui.sheetView, ui.keep,
  ]);
  ui.notesToggle = el("button", { type: "button", class: "psa-link-button", "aria-controls": "psa-notes", "aria-expanded": "false", hidden: true });
  ui.footer.insertBefore(ui.notesToggle, ui.safetyToggle);
  ui.panel.insertBefore(ui.notes, ui.footer);
  const CHAT_PARTS = [ui.notice, ui.log, ui.typing, ui.alert, ui.form];

  function field(prefix, spec, multiline) {
    const id = "psa-" + prefix + "-" + spec.key;
    const attrs = { id: id, name: spec.key, autocomplete: "off" };
    if (spec.hint) attrs["aria-describedby"] = id + "-hint";
    let input;
    if (spec.key === "date") input = el("input", Object.assign(attrs, { type: "date" }));
    else if (spec.key === "time") input = el("input", Object.assign(attrs, { type: "time" }));
    else if (multiline) input = el("textarea", Object.assign(attrs, { rows: spec.key === "what" || spec.key === "child_said" ? "3" : "2", maxlength: spec.key === "what" || spec.key === "child_said" ? "4000" : "1000" }));
    else input = el("input", Object.assign(attrs, { type: "text", maxlength: "1000" }));
    return el("div", { class: "psa-field psa-field--" + spec.key }, [
      el("label", { for: id, class: "psa-field__label", text: spec.label }),
      spec.hint ? el("p", { id: id + "-hint", class: "psa-hint", text: spec.hint }) : null,
      input,
    ]);
  }

  function buildNotes(config) {
    state.notesConfig = config;
    ui.notesHeading.textContent = config.title;
    ui.notesToggle.textContent = config.title;
    ui.notesPrivacy.textContent = config.privacy;
    ui.sheetTab.textContent = config.sheet.title;
    ui.logIntro.textContent = config.log.intro;
    ui.sheetIntro.textContent = config.sheet.intro;
    ui.entriesEmpty.textContent = config.messages.empty || "";
    ui.notesBack.textContent = nt("back");
    ui.addEntry.textContent = nt("add_entry");
    ui.entries.setAttribute("aria-label", nt("entries_label"));
    ui.keepTitle.textContent = nt("keep_title");
    ui.tabs.setAttribute("aria-label", nt("which_notes"));
    const byKey = {};
    config.log.fields.forEach(function (f) { byKey[f.key] = f; });
    const when = el("div", { class: "psa-when" }, [field("entry", byKey.date), field("entry", byKey.time)]);
    const more = config.log.fields.filter(function (f) { return ["date", "time", "what"].indexOf(f.key) < 0; });
    ui.entryTitle = el("h4", { id: "psa-entry-title", text: nt("new_entry") });
    ui.entrySave = el("button", { type: "submit", class: "psa-primary", text: nt("save_entry") });
    ui.entryCancel = el("button", { type: "button", class: "psa-secondary", text: nt("cancel") });
    ui.entryMore = el("details", { class: "psa-more" }, [
      el("summary", { text: nt("more_fields", { fields: more.map(function (f) { return f.label.toLowerCase(); }).slice(0, 3).join(", ") }) }),
    ].concat(more.map(function (f) { return field("entry", f, true); })));
    ui.entryForm.replaceChildren(ui.entryTitle, when, field("entry", byKey.what, true), ui.entryMore,
      el("div", { class: "psa-form-actions" }, [ui.entrySave, ui.entryCancel]));
    ui.sheetForm.replaceChildren.apply(ui.sheetForm, config.sheet.fields.map(function (f) { return field("sheet", f, true); }));
    ui.entryCancel.addEventListener("click", closeEntryForm);
    renderKeepButtons();
    renderEntries();
    ui.notesToggle.hidden = false;
  }

  function renderTabs() {
    const count = state.notes.entries.length;
    ui.logTab.textContent = state.notesConfig.log.title + (count ? " (" + count + ")" : "");
    const onLog = state.notes.view === "log";
    ui.logTab.setAttribute("aria-pressed", String(onLog));
    ui.sheetTab.setAttribute("aria-pressed", String(!onLog));
    ui.logView.hidden = !onLog;
    ui.sheetView.hidden = onLog;
  }

  function renderEntries() {
    if (!state.notesConfig) return;
    renderTabs();
    const labels = {};
    state.notesConfig.log.fields.forEach(function (f) { labels[f.key] = f.label; });
    ui.entriesEmpty.hidden = state.notes.entries.length > 0;
    ui.entries.replaceChildren.apply(ui.entries, orderedEntries().map(function (entry) {
      const details = el("dl", { class: "psa-entry__details" });
      state.notesConfig.log.fields.forEach(function (f) {
        if (f.key === "date" || f.key === "time" || !entry.values[f.key]) return;
        details.appendChild(el("dt", { text: labels[f.key] }));
        details.appendChild(el("dd", { text: entry.values[f.key] }));
      });
      const edit = el("button", { type: "button", class: "psa-secondary", text: nt("edit"), "aria-label": nt("edit_label", { when: entryHeading(entry.values) }) });
      const remove = el("button", { type: "button", class: "psa-secondary", text: nt("delete"), "aria-label": nt("delete_label", { when: entryHeading(entry.values) }) });
      const item = el("li", { class: "psa-entry", "data-entry": String(entry.id) }, [
        el("h5", { class: "psa-entry__heading", tabindex: "-1", text: entryHeading(entry.values) }), details,
        el("div", { class: "psa-form-actions" }, [edit, remove]),
      ]);
      edit.addEventListener("click", function () { openEntryForm(entry); });
      remove.addEventListener("click", function () { confirmDelete(item, entry); });
      return item;
    }));
  }

  function confirmDelete(item, entry) {
    const yes = el("button", { type: "button", class: "psa-danger", text: nt("delete_yes") });
    const no = el("button", { type: "button", class: "psa-secondary", text: nt("delete_no") });
    const question = el("div", { class: "psa-confirm", role: "group", "aria-label": nt("delete_question") }, [
      el("p", { text: nt("delete_question") }), el("div", { class: "psa-form-actions" }, [yes, no]),
    ]);
    item.querySelector(".psa-form-actions").replaceWith(question);
    no.focus();
    yes.addEventListener("click", function () {
      state.notes.entries = state.notes.entries.filter(function (e) { return e.id !== entry.id; });
      renderEntries();
      keepSay(nt("entry_deleted"));
      ui.addEntry.focus();
    });
    no.addEventListener("click", function () {
      renderEntries();
      focusEntry(entry.id);
    });
  }

  function focusEntry(id) {
    const heading = ui.entries.querySelector('[data-entry="' + id + '"] .psa-entry__heading');
    if (heading) heading.focus();
  }

  function openEntryForm(entry) {
    state.notes.editing = entry ? entry.id : null;
    const values = entry ? entry.values : today();
    ui.entryTitle.textContent = nt(entry ? "edit_entry" : "new_entry");
    Array.from(ui.entryForm.elements).forEach(function (input) {
      if (input.name) input.value = values[input.name] || "";
    });
    ui.entryMore.open = !!entry && Object.keys(values).some(function (k) { return ["date", "time", "what"].indexOf(k) < 0; });
    ui.entryForm.hidden = false;
    ui.addEntry.hidden = true;
    ui.entryForm.scrollIntoView({ block: "nearest" });
    ui.entryForm.elements.what.focus({ preventScroll: true });
  }

  function closeEntryForm() {
    const editing = state.notes.editing;
    ui.entryForm.hidden = true;
    ui.entryForm.reset();
    ui.addEntry.hidden = false;
    state.notes.editing = null;
    if (editing) focusEntry(editing);
    else ui.addEntry.focus();
  }

  function saveEntry(event) {
    event.preventDefault();
    const values = {};
    Array.from(ui.entryForm.elements).forEach(function (input) {
      const value = input.name ? input.value.trim() : "";
      if (value) values[input.name] = value;
    });
    const onlyWhen = Object.keys(values).every(function (k) { return k === "date" || k === "time"; });
    if (onlyWhen) {
      keepSay(nt("entry_empty"));
      ui.entryForm.elements.what.focus();
      return;
    }
    let id = state.notes.editing;
    if (id) {
      state.notes.entries.forEach(function (e) { if (e.id === id) e.values = values; });
    } else {
      id = state.notes.nextId++;
      state.notes.entries.push({ id: id, values: values });
    }
    state.notes.editing = null;
    ui.entryForm.hidden = true;
    ui.entryForm.reset();
    ui.addEntry.hidden = false;
    renderEntries();
    keepSay(nt("entry_saved"));
    focusEntry(id);
  }

  function showView(view) {
    state.notes.view = view;
    renderTabs();
  }

  function openNotes(view) {
    if (!state.notesConfig) return false;
    CHAT_PARTS.forEach(function (part) { part.hidden = true; });
    ui.notes.hidden = false;
    ui.notesToggle.setAttribute("aria-expanded", "true");
    showView(view || state.notes.view);
    ui.panel.scrollTop = 0;
    ui.notesHeading.focus({ preventScroll: true });
    return true;
  }

  function closeNotes() {
    ui.notes.hidden = true;
    CHAT_PARTS.forEach(function (part) { part.hidden = false; });
    ui.notesToggle.setAttribute("aria-expanded", "false");
    scrollToEnd();
    ui.input.focus({ preventScroll: true });
  }

  function wipeNotes() {
    state.notes = emptyNotes();
    ui.entryForm.reset();
    ui.sheetForm.reset();
    ui.entryForm.hidden = true;
    ui.addEntry.hidden = false;
    ui.keepPanel.hidden = true;
    ui.keepPanel.replaceChildren();
    ui.keepStatus.textContent = "";
    renderEntries();
  }

  function keepSay(text) {
    ui.keepStatus.textContent = text;
  }

  // ---- keeping the notes: a file (after a warning), an email, or the referral (with consent) --------
  function renderKeepButtons() {
    const config = state.notesConfig;
    const buttons = [];
    if (config.pdf) buttons.push([nt("save_pdf"), function () { warnBeforeDownload("pdf"); }]);
    buttons.push([nt("save_page"), function () { warnBeforeDownload("page"); }]);
    if (config.email) buttons.push([nt("email_me"), showEmailForm]);
    buttons.push([nt("add_to_referral"), showReferralConsent]);
    ui.keepButtons.replaceChildren.apply(ui.keepButtons, buttons.map(function (b) {
      const button = el("button", { type: "button", class: "psa-secondary", text: b[0] });
      button.addEventListener("click", function () {
        if (!hasNotes()) {
          keepSay(config.messages.empty || nt("add_first"));
          return;
        }
        b[1]();
      });
      return button;
    }));
  }

  function openKeepPanel(children, focusTarget) {
    ui.keepPanel.replaceChildren.apply(ui.keepPanel, children);
    ui.keepPanel.hidden = false;
    keepSay("");
    ui.keepPanel.scrollIntoView({ block: "nearest" });
    if (focusTarget) focusTarget.focus({ preventScroll: true });
  }

  function closeKeepPanel() {
    ui.keepPanel.hidden = true;
    ui.keepPanel.replaceChildren();
  }

  function warnBeforeDownload(kind) {
    const config = state.notesConfig;
    const go = el("button", { type: "button", class: "psa-primary", text: nt("save_on_device") });
    const safer = [];
    if (config.email) {
      const email = el("button", { type: "button", class: "psa-secondary", text: nt("email_instead") });
      email.addEventListener("click", showEmailForm);
      safer.push(email);
    }
    const referral = el("button", { type: "button", class: "psa-secondary", text: nt("referral_instead") });
    referral.addEventListener("click", showReferralConsent);
    safer.push(referral);
    const cancel = el("button", { type: "button", class: "psa-link-button", text: nt("cancel") });
    cancel.addEventListener("click", closeKeepPanel);
    go.addEventListener("click", function () { download(kind); });
    const warning = el("p", { id: "psa-download-warning", class: "psa-warning", text: config.messages.download_warning || "" });
    openKeepPanel([el("div", { class: "psa-confirm", role: "group", "aria-labelledby": "psa-download-warning" }, [
      warning, el("div", { class: "psa-form-actions" }, [go].concat(safer, [cancel])),
    ])], go);
  }

  function showEmailForm() {
    const config = state.notesConfig;
    const input = el("input", { id: "psa-notes-email", type: "email", name: "to", autocomplete: "email", maxlength: "254", required: true, "aria-describedby": "psa-notes-email-hint" });
    const form = el("form", { class: "psa-email", novalidate: true }, [
      el("p", { id: "psa-notes-email-hint", class: "psa-hint", text: config.messages.email_intro || "" }),
      el("label", { for: "psa-notes-email", class: "psa-field__label", text: nt("email_label") }), input,
      el("div", { class: "psa-form-actions" }, [
        el("button", { type: "submit", class: "psa-primary", text: nt("email_send") }),
        el("button", { type: "button", class: "psa-link-button", text: nt("cancel") }),
      ]),
    ]);
    form.querySelector(".psa-link-button").addEventListener("click", closeKeepPanel);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const to = input.value.trim();
      if (!to) {
        keepSay(nt("email_missing"));
        input.focus();
        return;
      }
      postNotes("email", notesPayload({ to: to }), function (body) {
        closeKeepPanel();
        keepSay(body.message || nt("sent"));
      });
    });
    openKeepPanel([form], input);
  }

  function showReferralConsent() {
    const config = state.notesConfig;
    const yes = el("button", { type: "button", class: "psa-primary", text: nt("referral_yes") });
    const no = el("button", { type: "button", class: "psa-link-button", text: nt("cancel") });
    no.addEventListener("click", closeKeepPanel);
    yes.addEventListener("click", function () {
      postNotes("referral", notesPayload({ consent: true }), function (body) {
        closeKeepPanel();
        keepSay(body.message || nt("added"));
      });
    });
    openKeepPanel([el("div", { class: "psa-confirm", role: "group", "aria-labelledby": "psa-referral-consent" }, [
      el("p", { id: "psa-referral-consent", text: config.messages.referral_consent || "" }),
      el("div", { class: "psa-form-actions" }, [yes, no]),
    ])], yes);
  }

  async function postNotes(kind, payload, done) {
    if (state.notesBusy) return;
    state.notesBusy = true;
    keepSay(nt("please_wait"));
    const sender = state.sender;
    let response = null;
    let body = {};
    try {
      response = await fetch(server + "/notes/" + kind, requestOptions({
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
      }));
      if (kind === "pdf" || kind === "page") {
        body = response.ok ? await response.blob() : await response.json().catch(function () { return {}; });
      } else {
        body = await response.json().catch(function () { return {}; });
      }
    } catch (err) {
      response = null;
    }
    state.notesBusy = false;
    if (state.exited || sender !== state.sender) return;   // wiped meanwhile: show nothing of it
    if (response && response.ok) {
      done(body);
    } else {
      keepSay((body && typeof body.error === "string" && body.error) ||
        nt("failed"));
    }
  }

  function download(kind) {
    postNotes(kind, notesPayload(), function (blob) {
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: kind === "pdf" ? "document.pdf" : "document.html", hidden: true });
      root.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
      closeKeepPanel();
      keepSay(nt("saved_as", { file: kind === "pdf" ? "document.pdf" : "document.html" }));
    });
  }

  ui.entryForm.addEventListener("submit", saveEntry);
  ui.sheetForm.addEventListener("input", function (event) {
    const input = event.target;
    if (!input.name) return;
    const value = input.value.trim();
    if (value) state.notes.sheet[input.name] = value;
    else delete state.notes.sheet[input.name];
  });
  ui.addEntry.addEventListener("click", function () { openEntryForm(null); });
  ui.logTab.addEventListener("click", function () { showView("log"); });
  ui.sheetTab.addEventListener("click", function () { showView("sheet"); });
  ui.notesBack.addEventListener("click", closeNotes);
  ui.notesToggle.addEventListener("click", function () { openNotes(null); });

  // ---- clear chat and quick exit -------------------------------------------------------------------
  function forget() {
    if (state.controller) state.controller.abort();
    state.controller = null;
    state.pending = null;
    state.busy = false;
    stopReconnect();
    ui.log.replaceChildren();
    ui.input.value = "";
    hideAlert();
    setTyping(false);
    wipeNotes();
    if (!ui.notes.hidden) closeNotes();
    state.sender = newSender();   // the old conversation can no longer be reached from this tab
  }

  function clearChat() {
    forget();
    say(t("cleared"));
    deliver({ message: "/greet", auto: true });
  }

  // GOV.UK "Exit this page": blank the page at once, wipe the chat, then replace this page in the
  // tab's history with the neutral site, so that Back does not return here.
  function quickExit() {
    if (state.exited) return;
    state.exited = true;
    document.documentElement.style.setProperty("display", "none", "important");
    try { document.title = ""; } catch (err) { /* some pages make the title read-only */ }
    forget();
    host.remove();
    window.location.replace(exitUrl);
  }

  // Three presses of Shift on its own (not as part of a capital letter) within 5 seconds.
  const shift = { count: 0, timer: null, withOtherKey: false };

  function resetShift() {
    shift.count = 0;
    clearTimeout(shift.timer);
    shift.timer = null;
    ui.exitStatus.textContent = "";
  }

  window.addEventListener("keydown", function (event) {
    if (event.key === "Shift") return;
    if (event.shiftKey) shift.withOtherKey = true;
    if (shift.count) resetShift();
  }, true);

  window.addEventListener("keyup", function (event) {
    if (event.key !== "Shift" || state.exited) return;
    if (shift.withOtherKey) {
      shift.withOtherKey = false;
      return;
    }
    shift.count += 1;
    clearTimeout(shift.timer);
    if (shift.count >= SHIFT_PRESSES) {
      ui.exitStatus.textContent = t("exit_done");
      quickExit();
      return;
    }
    const left = SHIFT_PRESSES - shift.count;
    ui.exitStatus.textContent = t(left === 1 ? "exit_presses_one" : "exit_presses_many", { count: left });
    shift.timer = setTimeout(resetShift, SHIFT_WINDOW_MS);
  }, true);

  // If the browser ever shows this page again from its back-forward cache after an exit, leave again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && state.exited) window.location.replace(exitUrl);
  });

  // ---- wiring ------------------------------------------------------------------------------------------
  ui.floatingExit.addEventListener("click", quickExit);
  ui.exit.addEventListener("click", quickExit);
  ui.launch.addEventListener("click", function () { openPanel({ focus: true }); });
  ui.launchHelp.addEventListener("click", function () { openPanel({ focus: true, help: true }); });
  ui.close.addEventListener("click", closePanel);
  ui.helpToggle.addEventListener("click", function () { setHelpOpen(ui.help.hidden); });
  ui.safetyToggle.addEventListener("click", function () {
    const open = ui.safety.hidden;
    ui.safety.hidden = !open;
    ui.safetyToggle.setAttribute("aria-expanded", String(open));
    if (open) ui.safety.scrollIntoView({ block: "nearest" });
  });
  ui.safetyClose.addEventListener("click", function () {
    ui.safety.hidden = true;
    ui.safetyToggle.setAttribute("aria-expanded", "false");
    ui.safetyToggle.focus();
  });
  ui.clear.addEventListener("click", clearChat);
  ui.retry.addEventListener("click", retry);
  ui.panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closePanel();
  });
  ui.form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = ui.input.value.trim();
    if (!text) return;
    if (state.busy) {
      say(t("wait_for_reply"));
      return;
    }
    if (send(text, text)) ui.input.value = "";
  });
  ui.input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.form.requestSubmit();
    }
  });
  if (fullScreen.addEventListener) fullScreen.addEventListener("change", updateInert);

  function start() {
    renderHelp();
    document.body.appendChild(host);
    loadConfig();
    if (data.open === "true") openPanel({ focus: false });
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
