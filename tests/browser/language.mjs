// Browser test of the pages' languages (issue 12, item 5): English and Brazilian Portuguese,
// chosen from Accept-Language (served as <html lang>, with Vary), switched on the page (kept
// across reloads), the strings in one file per language with the same keys.
// Usage: node language.mjs --urna PATH --screenshot-dir DIR
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { desktop, openElection, phone, runBrowserTest, waitIn } from "./harness.mjs";

const web = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "web");

await runBrowserTest("browser_language", async ({ url, browser, check, http, shot }) => {
  // One file per language, the same keys in both.
  const en = (await import(pathToFileURL(join(web, "lang-en.js")))).default;
  const pt = (await import(pathToFileURL(join(web, "lang-pt-BR.js")))).default;
  const missing = Object.keys(en).filter((k) => !(k in pt)).concat(Object.keys(pt).filter((k) => !(k in en)));
  check(missing.length === 0, `lang-en.js and lang-pt-BR.js have the same keys: ${missing}`);

  await openElection(http, "paredao", "Paredão da semana", [["a", "Ana"], ["b", "Bruno"]]);

  // The server picks the language from Accept-Language.
  let r = await http("GET", "/e/paredao", undefined, undefined, { "Accept-Language": "pt-BR,pt;q=0.9,en;q=0.8" });
  check(r.status === 200 && r.text.includes('<html lang="pt-BR"') && r.headers.get("content-language") === "pt-BR" &&
        r.headers.get("vary") === "Accept-Language", `pt-BR from Accept-Language: ${r.headers.get("content-language")}`);
  r = await http("GET", "/e/paredao", undefined, undefined, { "Accept-Language": "en-US,en;q=0.9,pt;q=0.5" });
  check(r.text.includes('<html lang="en"'), "en from Accept-Language");

  // A Brazilian browser (Accept-Language: pt-BR) gets the page in Portuguese, numbers included.
  const br = await browser.newContext({ ...phone, locale: "pt-BR" });
  const page = await br.newPage();
  await page.goto(`${url}/e/paredao`);
  check(await waitIn(page, () => document.querySelector("#signin-title").textContent === "Entre para votar"),
        `the page speaks Portuguese: ${await page.textContent("#signin-title")}`);
  check((await page.getAttribute("html", "lang")) === "pt-BR" && (await page.inputValue("#lang-switch")) === "pt-BR",
        "html lang and the switch say pt-BR");
  await page.fill("#voter-name", "Maria Conceição");
  await page.press("#voter-name", "Enter");
  await page.check("#options input[value=a]");
  await page.click("#vote-button");
  check((await page.textContent("#confirm-text")).startsWith("Você está votando em Ana"), "the confirmation in Portuguese");
  // An API error with a known code is said in the page's language (the first try is answered
  // 429 by the test, as the server's rate limit would), and the voter can try again.
  await page.route("**/v1/elections/paredao/votes", (route) => route.fulfill({
    status: 429, contentType: "application/json", headers: { "Retry-After": "1" },
    body: JSON.stringify({ error: { code: "rate_limited", message: "too many requests" } }) }), { times: 1 });
  await page.click("#confirm-button");
  check(await waitIn(page, () => document.querySelector("#vote-error").textContent.startsWith("Muitas tentativas")),
        `a rate-limit error in Portuguese: ${await page.textContent("#vote-error")}`);
  await page.click("#confirm-button");
  check(await waitIn(page, () => document.querySelector("#receipt-status").textContent === "contado"),
        "the receipt's fate in Portuguese");
  check(await waitIn(page, () => document.querySelector(".bar[data-option=a] .pct")?.textContent === "100,0%"),
        "percentages formatted for pt-BR (decimal comma)");
  check((await page.textContent("#live-text")) === "Ao vivo" && (await page.textContent("#results-title")) === "Resultados ao vivo",
        "the results heading and live state in Portuguese");
  await shot(page, "vote-page-pt-BR-phone");

  // The switch changes the page on the spot, and the choice survives a reload.
  await page.selectOption("#lang-switch", "en");
  check(await waitIn(page, () => document.querySelector("#receipt-status").textContent === "counted" &&
                                 document.querySelector("#ballot-title").textContent === "Your vote"),
        "switching to English re-renders the page in English");
  check((await page.getAttribute("html", "lang")) === "en" &&
        (await page.textContent(".bar[data-option=a] .pct")) === "100.0%", "html lang and numbers follow the switch");
  await page.reload();
  check(await waitIn(page, () => document.querySelector("#receipt-status")?.textContent === "counted"),
        "the chosen language is kept across a reload, over Accept-Language");
  check((await page.inputValue("#lang-switch")) === "en", "the switch shows the kept choice");

  // An English browser switches to Portuguese; the not-found page speaks it too.
  const us = await browser.newContext({ ...desktop, locale: "en-US" });
  const en2 = await us.newPage();
  await en2.goto(`${url}/e/paredao`);
  check(await waitIn(en2, () => document.querySelector("#signin-title").textContent === "Sign in to vote"),
        "an English browser gets English");
  await en2.selectOption("#lang-switch", "pt-BR");
  check(await waitIn(en2, () => document.querySelector("#signin-title").textContent === "Entre para votar" &&
                                document.querySelector("label[for=voter-name]").textContent === "Seu nome"),
        "the switch turns the page into Portuguese");
  await shot(en2, "vote-page-pt-BR-desktop");
  await en2.goto(`${url}/e/nao-existe`);
  check(await waitIn(en2, () => document.querySelector("h1")?.textContent === "Votação não encontrada"),
        "the not-found page in the chosen language");
  const index = await (await browser.newContext({ ...phone, locale: "pt-BR" })).newPage();
  await index.goto(`${url}/`);
  check(await waitIn(index, () => document.querySelector("h1").textContent === "Votações" &&
                                  /aberta/.test(document.querySelector("#list").textContent)),
        "the election list in Portuguese");
});
