// Runs bot/web/static/widget.js in Node against a small stand-in for the browser, for test_web.py.
//
// The stand-in DOM keeps text only as text nodes. Every way of turning a string into markup or code
// (innerHTML, outerHTML, insertAdjacentHTML, document.write, DOMParser, eval, Function) and every browser
// store (cookies, localStorage, sessionStorage, indexedDB, caches) is a trap that records its use. The
// fake relay answers with markup in its texts and button titles. The widget opens, greets, then the
// parent types a message with markup in it. Prints one JSON report on stdout.
"use strict";

const fs = require("fs");
const vm = require("vm");

// The config's help text: "none" gives a config without one (no valid content), "down" no config at all.
// The config's words (JSON), if any: what content/web.yml `widget:` says.
const [widgetPath, replyText, parentText, configHelp = "Call 999 <b>now</b>", configWords = ""] = process.argv.slice(2);
const trapped = [];
const fetches = [];

function trap(name) {
  return function () {
    trapped.push(name);
    throw new Error(name + " is not allowed in the widget");
  };
}

class FakeNode {
  constructor(tag, text) {
    this.tagName = tag ? tag.toUpperCase() : "#text";
    this.children = [];
    this.parent = null;
    this.attributes = {};
    this.listeners = {};
    this.dataset = {};
    this.hidden = false;
    this.style = { setProperty() {}, removeProperty() {} };
    this._classes = new Set();
    this._text = text === undefined ? null : String(text);
    this.value = "";
    this.activeElement = null;
    const node = this;
    this.classList = {
      add: (...names) => names.forEach((n) => node._classes.add(n)),
      remove: (...names) => names.forEach((n) => node._classes.delete(n)),
      contains: (name) => node._classes.has(name),
    };
  }
  get className() { return Array.from(this._classes).join(" "); }
  set className(value) { this._classes = new Set(String(value).split(/\s+/).filter(Boolean)); }
  get textContent() {
    return this._text !== null ? this._text : this.children.map((c) => c.textContent).join("");
  }
  set textContent(value) {
    this.children = [];
    if (value !== "" && value !== null && value !== undefined) this.appendChild(new FakeNode(null, value));
  }
  set innerHTML(value) { trap("innerHTML")(); }
  get innerHTML() { trap("innerHTML")(); }
  set outerHTML(value) { trap("outerHTML")(); }
  insertAdjacentHTML() { trap("insertAdjacentHTML")(); }
  setAttribute(name, value) { this.attributes[name] = String(value); }
  getAttribute(name) { return name in this.attributes ? this.attributes[name] : null; }
  appendChild(child) {
    if (child.parent) child.remove();
    child.parent = this;
    this.children.push(child);
    return child;
  }
  insertBefore(child, before) {
    if (child.parent) child.remove();
    const at = this.children.indexOf(before);
    child.parent = this;
    if (at < 0) this.children.push(child);
    else this.children.splice(at, 0, child);
    return child;
  }
  replaceChildren(...nodes) {
    this.children.forEach((c) => { c.parent = null; });
    this.children = [];
    nodes.forEach((n) => this.appendChild(n));
  }
  remove() {
    if (this.parent) this.parent.children = this.parent.children.filter((c) => c !== this);
    this.parent = null;
  }
  contains(node) {
    for (let n = node; n; n = n.parent) if (n === this) return true;
    return false;
  }
  all() { return this.children.flatMap((c) => [c, ...c.all()]); }
  querySelectorAll(selector) {
    const wanted = selector.replace(/^\./, "");
    return this.all().filter((n) => (selector.startsWith(".") ? n._classes.has(wanted) : n.tagName === selector.toUpperCase()));
  }
  querySelector(selector) { return this.querySelectorAll(selector)[0] || null; }
  addEventListener(type, handler) { (this.listeners[type] = this.listeners[type] || []).push(handler); }
  dispatch(type, event) { (this.listeners[type] || []).forEach((h) => h(Object.assign({ preventDefault() {} }, event))); }
  attachShadow() { this.shadow = new FakeNode("#shadow-root"); return this.shadow; }
  focus() {}
  scrollIntoView() {}
  requestSubmit() { this.dispatch("submit", {}); }
  getContext() { return null; }
  get offsetHeight() { return 40; }
}

const body = new FakeNode("body");
const documentElement = new FakeNode("html");
const document = {
  currentScript: { src: "http://assistant.test/widget/widget.js", dataset: { open: "true" } },
  body,
  documentElement,
  title: "Host page",
  createElement: (tag) => new FakeNode(tag),
  createTextNode: (text) => new FakeNode(null, text),
  addEventListener() {},
  write: trap("document.write"),
  writeln: trap("document.writeln"),
};
for (const name of ["cookie"]) {
  Object.defineProperty(document, name, { get: trap("document." + name), set: trap("document." + name) });
}

function reply(url, options) {
  fetches.push({ url, credentials: options && options.credentials, body: options && options.body });
  let data = {};
  if (url.endsWith("/widget/config.json")) {
    if (configHelp === "down") return Promise.reject(new TypeError("Failed to fetch"));
    const help = configHelp === "none" ? { text: "", calls: [] } : { text: configHelp, calls: [{ label: "<i>999</i>", tel: "999" }] };
    data = { help_now: help, max_message_chars: 700 };
    if (configWords) data.words = JSON.parse(configWords);
  } else if (url.endsWith("/api/chat")) {
    data = { messages: [{ text: replyText, buttons: [{ title: replyText, payload: "/topic_next" }] }] };
  }
  return Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(data) });
}

const window = {
  location: { href: "http://host.test/page", origin: "http://host.test", replace() {} },
  matchMedia: () => ({ matches: false, addEventListener() {} }),
  addEventListener() {},
};
const context = {
  window, document, location: window.location, fetch: reply, console, URL, AbortController,
  setTimeout, clearTimeout, Uint8Array, crypto: require("crypto").webcrypto, Promise, JSON, Object, Array,
  String, Number, Math, Error, RegExp, Set,
  DOMParser: function () { trap("DOMParser")(); },
  eval: trap("eval"),
  Function: trap("Function"),
};
for (const name of ["localStorage", "sessionStorage", "indexedDB", "caches"]) {
  Object.defineProperty(window, name, { get: trap(name) });
  Object.defineProperty(context, name, { get: trap(name) });
}
Object.assign(window, { document });
vm.createContext(context);

function shown(node) {
  // What a parent would read in each bubble and on each reply button, as text nodes only.
  return node.querySelectorAll(".psa-msg").concat(node.querySelectorAll(".psa-reply")).map((n) => ({
    kind: n._classes.has("psa-reply") ? "button" : n._classes.has("psa-msg--me") ? "parent" : "assistant",
    text: n.textContent,
    only_text: n.all().every((c) => c.tagName === "#text" || c.tagName === "SPAN" || c.tagName === "A"),
  }));
}

function everyText(node) {
  // Every text node's text and every aria-label in the widget, as a screen reader could reach them.
  return node.all().flatMap((n) => [n.tagName === "#text" ? n.textContent : null, n.attributes["aria-label"] || null])
    .filter((text) => text);
}

async function settle() {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

(async function main() {
  let error = null;
  try {
    vm.runInContext(fs.readFileSync(widgetPath, "utf8"), context, { filename: "widget.js" });
    await settle();
    const root = body.children[0].shadow;
    const input = root.querySelector("TEXTAREA");
    input.value = parentText;
    root.querySelector(".psa-composer").dispatch("submit", {});
    await settle();
    const help = root.querySelector(".psa-help__text");
    const calls = root.querySelector(".psa-calls").querySelectorAll("A").map((a) => [a.textContent, a.getAttribute("href")]);
    process.stdout.write(JSON.stringify({ trapped, fetches, shown: shown(root), help: help.textContent, calls, texts: everyText(root), error }));
  } catch (exc) {
    error = String(exc && exc.stack || exc);
    process.stdout.write(JSON.stringify({ trapped, fetches, shown: [], help: "", texts: [], error }));
  }
})();
