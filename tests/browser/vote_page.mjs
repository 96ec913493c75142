// Browser test: headless Debian Chromium driven by playwright-core. A viewer page is opened on
// /e/demo before anyone votes; a voter page signs in (demo), votes, confirms, sees its receipt
// become `counted` and the chart update; the viewer's chart changes without a reload.
// Usage: node vote_page.mjs --urna PATH --screenshot-dir DIR
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
const urna = arg("--urna");
const shots = arg("--screenshot-dir");
mkdirSync(shots, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), "urna-browser-"));
let passed = 0, failed = 0;
const check = (cond, what) => {
  if (cond) passed++; else { failed++; console.log(`FAIL: ${what}`); }
};

const server = spawn(urna, ["serve", "--demo", "--data-dir", dataDir, "--listen", "127.0.0.1:0"],
                     { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve, reject) => {
  let out = "";
  server.stdout.on("data", (d) => {
    out += d;
    const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    if (m) resolve(m[1]);
  });
  server.on("exit", (code) => reject(new Error(`urna exited ${code}: ${out}`)));
});

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
  const viewer = await (await browser.newContext(phone)).newPage();
  await viewer.goto(`${url}/e/demo`);
  await viewer.waitForSelector("#total-count");
  check((await viewer.textContent("#total-count")) === "0", "the viewer starts at 0 votes");

  const voter = await (await browser.newContext(phone)).newPage();
  await voter.goto(`${url}/e/demo`);
  await voter.fill("#voter-name", "alice");
  await voter.click("#demo-button");
  await voter.check("input[name=option][value=aurora]");
  await voter.click("#vote-button");
  await voter.waitForSelector("#confirm:not([hidden])");
  check((await voter.textContent("#confirm-label")).includes("Aurora"), "the confirmation names the choice");
  await voter.click("#confirm-button");
  await voter.waitForSelector("#receipt:not([hidden])");
  const voteId = await voter.textContent("#receipt-id");
  check(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/.test(voteId), `the receipt shows a UUIDv7 vote_id: ${voteId}`);
  await voter.waitForFunction(() => document.querySelector("#receipt-status").textContent === "counted",
                              null, { timeout: 15000 });
  check(true, "the receipt becomes counted");
  await voter.waitForFunction(() => document.querySelector("#total-count")?.textContent === "1", null, { timeout: 15000 });
  check((await voter.textContent(".bar[data-option=aurora] .pct")) === "100.0%", "the voter's chart shows 100% for Aurora");

  await viewer.waitForFunction(() => document.querySelector("#total-count")?.textContent === "1", null, { timeout: 15000 });
  check((await viewer.textContent(".bar[data-option=aurora] .votes")) === "1", "the viewer's chart changed without a reload");
  check(await viewer.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
        "the page fits a phone-sized screen");

  // The confirmation box and the cast vote must agree (issue 7, item 8): the choice is locked
  // while the box shows, Cancel unlocks it, and a change forced through the DOM (as a script or
  // an extension could) does not change what Confirm sends.
  const bob = await (await browser.newContext(phone)).newPage();
  await bob.goto(`${url}/e/demo`);
  await bob.fill("#voter-name", "bob");
  await bob.click("#demo-button");
  await bob.check("input[name=option][value=cirrus]");
  await bob.click("#vote-button");
  await bob.waitForSelector("#confirm:not([hidden])");
  await bob.click("#cancel-button");
  check(!(await bob.isDisabled("input[name=option][value=basalt]")), "Cancel unlocks the options");
  await bob.check("input[name=option][value=basalt]");
  await bob.click("#vote-button");
  await bob.waitForSelector("#confirm:not([hidden])");
  check((await bob.textContent("#confirm-label")).includes("Basalt"), "the confirmation names the new choice");
  check(await bob.isDisabled("input[name=option][value=cirrus]"), "the options are locked while confirming");
  await bob.evaluate(() => {
    const c = document.querySelector("input[name=option][value=cirrus]");
    c.disabled = false;
    c.checked = true;
    c.dispatchEvent(new Event("change", { bubbles: true }));
  });
  await bob.click("#confirm-button");
  await bob.waitForSelector("#receipt:not([hidden])");
  const bobVote = await bob.textContent("#receipt-id");
  const bobReceipt = await bob.evaluate(async (id) => {
    const r = await fetch(`/v1/elections/demo/votes/${id}`,
                          { headers: { Authorization: `Bearer ${localStorage.getItem("urna.token")}` } });
    return r.json();
  }, bobVote);
  check(bobReceipt.option === "basalt", `the vote went to the confirmed option (basalt): ${bobReceipt.option}`);

  await voter.screenshot({ path: join(shots, "vote-page.png"), fullPage: true });
  await viewer.screenshot({ path: join(shots, "viewer-page.png"), fullPage: true });
  const admin = await browser.newPage();
  await admin.goto(`${url}/admin`);
  await admin.waitForSelector("#list li");
  await admin.screenshot({ path: join(shots, "admin-page.png"), fullPage: true });
} catch (e) {
  failed++;
  console.log(`FAIL: ${e.stack || e}`);
} finally {
  await browser.close();
  server.kill("SIGTERM");
  await new Promise((ok) => server.on("exit", ok));
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(`browser_vote: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
