// Browser test of the presenter screen /e/{id}/present (issue 12, item 7): live results that
// update without a reload, a QR code that a reader decodes to the join link (this server's, or
// the one given with ?join), a transparent background with ?transparent, the winner revealed at
// the final result; an unknown election gets the 404 page. The server takes one live viewer
// (--max-viewers 1): a screen refused the stream (503) follows the results by polling, and says
// so. Screenshots at 1920x1080.
// Usage: node present.mjs --urna PATH --screenshot-dir DIR
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { adminToken, openElection, runBrowserTest, waitIn } from "./harness.mjs";

const jsqr = join(dirname(fileURLToPath(import.meta.url)), "node_modules", "jsqr", "dist", "jsQR.js");
const studio = { viewport: { width: 1920, height: 1080 } };

// What a QR reader (jsQR) reads from the page's QR code, drawn as the browser draws it.
async function readQr(page) {
  await page.addScriptTag({ path: jsqr });
  return page.evaluate(async () => {
    const svg = document.querySelector("#qr svg");
    if (!svg) return null;
    const img = new Image();
    img.src = URL.createObjectURL(new Blob([svg.outerHTML], { type: "image/svg+xml" }));
    await img.decode();
    const canvas = Object.assign(document.createElement("canvas"), { width: 600, height: 600 });
    const g = canvas.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, 600, 600);
    g.drawImage(img, 0, 0, 600, 600);
    const code = window.jsQR(g.getImageData(0, 0, 600, 600).data, 600, 600);
    return code ? code.data : null;
  });
}

await runBrowserTest("browser_present", async ({ url, browser, check, http, shot }) => {
  await openElection(http, "show", "Who stays in the house?", [["ana", "Ana"], ["bia", "Bia"], ["caio", "Caio"]]);
  const screen = await (await browser.newContext(studio)).newPage();
  await screen.goto(`${url}/e/show/present`);
  check(await waitIn(screen, () => document.querySelector("#total-count")?.textContent === "0"),
        "the presenter screen shows the results at once");
  check((await screen.textContent("h1")) === "Who stays in the house?", "it shows the title");
  check(await waitIn(screen, () => document.querySelector("#live-text").textContent === "Live"), "it says it is live");
  const decoded = await readQr(screen);
  check(decoded === `${url}/e/show`, `the QR code reads as the join link: ${decoded}`);
  check((await screen.textContent("#join-link")) === `${new URL(url).host}/e/show`,
        `the short join link is shown: ${await screen.textContent("#join-link")}`);

  // A second screen over --max-viewers: refused the stream, it polls, and says so in words.
  const over = await (await browser.newContext(studio)).newPage();
  await over.goto(`${url}/e/show/present?qr=0`);
  check(await waitIn(over, () => document.querySelector("#live-text").textContent === "Updated every few seconds" &&
                                 document.querySelector("#total-count")?.textContent === "0"),
        `a screen over --max-viewers shows the results by polling: ${await over.textContent("#live-text")}`);
  check(await over.isHidden("#join"), "?qr=0 shows no QR code nor link");

  // Votes arrive: the screen follows without a reload.
  const votes = [["v1", "ana"], ["v2", "bia"], ["v3", "bia"], ["v4", "caio"], ["v5", "bia"]];
  for (const [who, option] of votes) {
    const token = (await http("POST", "/v1/demo/token", { voter: who })).body.token;
    const r = await http("POST", "/v1/elections/show/votes", { option }, token);
    check(r.status === 202, `vote ${who}: ${r.status}`);
  }
  check(await waitIn(screen, () => document.querySelector("#total-count")?.textContent === "5"),
        "the presenter screen updates live");
  check(await waitIn(over, () => document.querySelector("#total-count")?.textContent === "5"),
        "the polling screen follows the votes too");
  check((await screen.textContent("#live-text")) === "Live", "the first screen kept its stream");
  await over.close();
  check((await screen.textContent(".bar[data-option=bia] .votes")) === "3" &&
        (await screen.textContent(".bar[data-option=bia] .pct")) === "60.0%", "with each option's votes and share");
  check(await screen.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1 &&
                                    document.documentElement.scrollWidth <= window.innerWidth + 1),
        "it fits a 1920x1080 screen without scrolling");
  await shot(screen, "present-live-1920x1080");

  // ?join and ?transparent, for an OBS browser source on a studio machine.
  const overlay = await (await browser.newContext(studio)).newPage();
  await overlay.goto(`${url}/e/show/present?transparent&join=${encodeURIComponent("https://vote.example.tv/e/show")}`);
  await overlay.waitForSelector("#qr svg");
  check((await readQr(overlay)) === "https://vote.example.tv/e/show", "?join puts the public link into the QR code");
  check((await overlay.textContent("#join-link")) === "vote.example.tv/e/show", "... and under it");
  check(await overlay.evaluate(() => getComputedStyle(document.body).backgroundColor) === "rgba(0, 0, 0, 0)",
        "?transparent leaves the background transparent");
  const bad = await (await browser.newContext(studio)).newPage();
  await bad.goto(`${url}/e/show/present?join=${encodeURIComponent("javascript:alert(1)")}`);
  await bad.waitForSelector("#qr svg");
  check((await readQr(bad)) === `${url}/e/show`, "a ?join that is not an http(s) URL is not used");

  // Close and recount: the winner is revealed, the live indicator goes.
  await http("POST", "/v1/elections/show/close", undefined, adminToken);
  check(await waitIn(screen, () => document.querySelector("#live").hidden && document.querySelector("#join").hidden),
        "no live indicator nor join link once closed");
  await http("POST", "/v1/elections/show/recount", undefined, adminToken);
  check(await waitIn(screen, () => document.querySelector("#winner-line").textContent === "Winner: Bia" &&
                                   document.body.classList.contains("revealed"), null, 30000),
        `the final result reveals the winner: ${await screen.textContent("#winner-line")}`);
  check(await screen.evaluate(() => [...document.querySelectorAll(".bar.winner")].map((b) => b.dataset.option).join()) === "bia",
        "the winner's bar is highlighted");
  await waitIn(screen, () => document.getAnimations().length === 0);  // the reveal, before the picture
  await shot(screen, "present-final-1920x1080");

  // In Portuguese, by ?lang.
  const pt = await (await browser.newContext(studio)).newPage();
  await pt.goto(`${url}/e/show/present?lang=pt-BR`);
  check(await waitIn(pt, () => document.querySelector("#winner-line").textContent === "Vencedor: Bia"),
        "?lang=pt-BR shows the screen in Portuguese");
  const r = await http("GET", "/e/nothing-here/present");
  check(r.status === 404, `an unknown election's presenter screen is a 404 page: ${r.status}`);
}, { serverArgs: ["--max-viewers", "1"] });
