// The pages' languages: the strings live in one file per language (lang-en.js, lang-pt-BR.js).
// The server serves each page with <html lang> chosen from Accept-Language (app/web_pages.h); a
// choice made with the page's switch is kept in localStorage and wins over it.
import en from "/static/lang-en.js";
import ptBR from "/static/lang-pt-BR.js";

const catalogs = { en, "pt-BR": ptBR };
const storageKey = "urna.lang";
const listeners = [];
let current = pick();

function pick() {
  const saved = localStorage.getItem(storageKey);
  if (catalogs[saved]) return saved;
  return catalogs[document.documentElement.lang] ? document.documentElement.lang : "en";
}

export function language() { return current; }

// The string `key` in the current language with its {placeholders} filled from `vars`.
export function t(key, vars = {}) {
  const s = catalogs[current][key] ?? en[key] ?? key;
  if (typeof s === "function") return s(vars);
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] === undefined ? "" : String(vars[k])));
}

// Whether the current language (or English) has a string `key`.
export function has(key) { return key in catalogs[current] || key in en; }

export function formatNumber(n) { return Number(n).toLocaleString(current); }

export function formatPercent(fraction) {
  return new Intl.NumberFormat(current, { style: "percent", minimumFractionDigits: 1,
                                          maximumFractionDigits: 1 }).format(fraction);
}

export function formatTime(iso) {
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "medium" })
    .format(new Date(iso));
}

// Fills the elements marked data-i18n (text), data-i18n-placeholder and data-i18n-aria-label.
export function translatePage(root = document) {
  document.documentElement.lang = current;
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
  root.querySelectorAll("[data-i18n-aria-label]").forEach((el) => {
    el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  });
}

// Calls `fn` after every switch of language (the page re-renders what it built from strings).
export function onLanguageChange(fn) { listeners.push(fn); }

// Switches to `lang`; `persist` keeps the choice for the next pages of this browser.
export function setLanguage(lang, persist = true) {
  if (!catalogs[lang]) return;
  current = lang;
  if (persist) localStorage.setItem(storageKey, lang);
  translatePage();
  listeners.forEach((fn) => fn());
}

// The language switch: a labelled <select> put into `slot`.
export function mountLanguageSwitch(slot) {
  slot.innerHTML = "";
  const label = document.createElement("label");
  label.htmlFor = "lang-switch";
  label.className = "lang-label";
  label.dataset.i18n = "lang.label";
  const select = document.createElement("select");
  select.id = "lang-switch";
  for (const [code, catalog] of Object.entries(catalogs)) {
    const option = document.createElement("option");
    option.value = code;
    option.lang = code;
    option.textContent = catalog["lang.name"];
    select.appendChild(option);
  }
  select.value = current;
  select.addEventListener("change", () => setLanguage(select.value));
  slot.append(label, select);
}
