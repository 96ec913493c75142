// Browser test: headless Debian Chromium driven by playwright-core. A viewer page is opened on
// /e/demo before anyone votes; a voter page signs in (demo), votes, confirms, sees its receipt
// become `counted` and the chart update; the viewer's chart changes without a reload. A second
// voter cannot confirm one option and cast another. In an election with bot_protection "pow"
// the page's ALTCHA widget solves the challenge and the vote is counted, while plain HTTP
// clients without a solution, with a forged one or with a replayed one are refused.
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

const adminToken = "browser-test-admin";
const server = spawn(urna, ["serve", "--demo", "--data-dir", dataDir, "--listen", "127.0.0.1:0"],
                     { stdio: ["ignore", "pipe", "inherit"],
                       env: { ...process.env, URNA_ADMIN_TOKEN: adminToken } });
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
  check((await voter.textContent("#confirm-text")).includes("Aurora"), "the confirmation names the choice");
  await voter.click("#confirm-button");
  await voter.waitForSelector("#receipt:not([hidden])");
  const voteId = await voter.textContent("#receipt-id");
  check(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/.test(voteId), `the receipt shows a UUIDv7 vote_id: ${voteId}`);
  // The page shows `counted` (a timeout is a failed check, not an abort), and the server agrees.
  const shownCounted = await voter
    .waitForFunction(() => document.querySelector("#receipt-status").textContent === "counted",
                     null, { timeout: 15000 })
    .then(() => true, () => false);
  check(shownCounted, `the receipt becomes counted: ${await voter.textContent("#receipt-status")}`);
  const aliceReceipt = await voter.evaluate(async (id) => {
    const r = await fetch(`/v1/elections/demo/votes/${id}`,
                          { headers: { Authorization: `Bearer ${localStorage.getItem("urna.token.demo")}` } });
    return r.json();
  }, voteId);
  check(aliceReceipt.status === "counted" && aliceReceipt.option === "aurora",
        `the server's receipt says counted for aurora: ${JSON.stringify(aliceReceipt)}`);
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
  check((await bob.textContent("#confirm-text")).includes("Basalt"), "the confirmation names the new choice");
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
                          { headers: { Authorization: `Bearer ${localStorage.getItem("urna.token.demo")}` } });
    return r.json();
  }, bobVote);
  check(bobReceipt.option === "basalt", `the vote went to the confirmed option (basalt): ${bobReceipt.option}`);

  // Proof of work (issue 7, item 11).
  const http = async (method, path, body, bearer) => {
    const headers = { "Content-Type": "application/json" };
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    const r = await fetch(`${url}${path}`, { method, headers, body: body && JSON.stringify(body) });
    return { status: r.status, body: await r.json().catch(() => null) };
  };
  // Created on the admin page with its bot protection box ticked.
  const adminPage = await browser.newPage();
  await adminPage.goto(`${url}/admin`);
  await adminPage.fill("#admin-token", adminToken);
  await adminPage.click("#save-token");
  await adminPage.fill("#new-id", "pow");
  await adminPage.fill("#new-title", "Bots need not apply");
  await adminPage.fill("#new-options", "yes: Yes\nno: No");
  await adminPage.check("#new-pow");
  await adminPage.click("#create");
  let r;
  for (const deadline = Date.now() + 15000; Date.now() < deadline;) {
    r = await http("GET", "/v1/elections/pow");
    if (r.status === 200) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  check(r.status === 200 && r.body.bot_protection === "pow" && r.body.pow_max_number === 100000,
        `the admin page creates a pow election: ${JSON.stringify(r)}`);
  await adminPage.close();
  r = await http("POST", "/v1/elections/pow/open", undefined, adminToken);
  check(r.status === 200, "open the pow election");

  const carol = await (await browser.newContext(phone)).newPage();
  const widgetLoads = [];
  const votes = [];
  carol.on("request", (q) => {
    if (q.url().endsWith("/static/altcha.js")) widgetLoads.push(q.url());
    if (q.method() === "POST" && q.url().endsWith("/v1/elections/pow/votes")) votes.push(q.postData());
  });
  await carol.goto(`${url}/e/pow`);
  await carol.fill("#voter-name", "carol");
  await carol.click("#demo-button");
  await carol.check("input[name=option][value=no]");
  await carol.click("#vote-button");
  await carol.waitForSelector("#confirm:not([hidden])");
  check(await carol.isVisible("#pow altcha-widget"), "the widget shows in the confirmation box");
  await carol.screenshot({ path: join(shots, "vote-page-pow-confirm.png"), fullPage: true });
  const started = Date.now();
  await carol.click("#confirm-button");
  await carol.waitForSelector("#receipt:not([hidden])", { timeout: 60000 });
  console.log(`pow: Vote to receipt with maxnumber 100000 took ${Date.now() - started} ms ` +
              `(headless Chromium on this machine, solving started at Vote)`);
  const carolVote = await carol.textContent("#receipt-id");
  await carol.waitForFunction(() => document.querySelector("#receipt-status").textContent === "counted",
                              null, { timeout: 15000 });
  const carolReceipt = await carol.evaluate(async (id) => {
    const r = await fetch(`/v1/elections/pow/votes/${id}`,
                          { headers: { Authorization: `Bearer ${localStorage.getItem("urna.token.pow")}` } });
    return r.json();
  }, carolVote);
  check(carolReceipt.status === "counted" && carolReceipt.option === "no",
        `the page's vote passed the proof of work and was counted: ${JSON.stringify(carolReceipt)}`);
  check(widgetLoads.length === 1, "the widget is served by urna itself (/static/altcha.js)");
  check(votes.length === 1 && typeof JSON.parse(votes[0]).altcha === "string",
        "the page's vote carried an altcha solution");

  // Scripts over plain HTTP.
  const dave = (await http("POST", "/v1/demo/token", { voter: "dave" })).body.token;
  r = await http("POST", "/v1/elections/pow/votes", { option: "yes" }, dave);
  check(r.status === 400 && r.body.error.code === "challenge_required",
        `a script without a solution is refused: ${JSON.stringify(r)}`);
  const ch = (await http("GET", "/v1/elections/pow/challenge")).body;
  const forged = Buffer.from(JSON.stringify({ algorithm: "SHA-256", challenge: ch.challenge, number: 42,
                                              salt: ch.salt, signature: "0".repeat(64) })).toString("base64");
  r = await http("POST", "/v1/elections/pow/votes", { option: "yes", altcha: forged }, dave);
  check(r.status === 400 && r.body.error.code === "challenge_invalid",
        `a forged solution is refused: ${JSON.stringify(r)}`);
  r = await http("POST", "/v1/elections/pow/votes", { option: "yes", altcha: JSON.parse(votes[0]).altcha }, dave);
  check(r.status === 400 && r.body.error.code === "challenge_invalid" && /already used/.test(r.body.error.message),
        `the page's solution replayed by a script is refused: ${JSON.stringify(r)}`);
  const results = (await http("GET", "/v1/elections/pow/results")).body;
  check(results.total === 1, `only the page's vote counts: ${JSON.stringify(results)}`);
  check(!(await voter.evaluate(() => !!document.querySelector("altcha-widget"))),
        "an election without pow does not load the widget");
  await carol.screenshot({ path: join(shots, "vote-page-pow.png"), fullPage: true });

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
