// Browser test of the voting page with votes_per_voter above 1 (policy): in an election counting
// 3 votes per voter the page lets the voter vote again while under the limit, shows each receipt
// and how many of the 3 were cast from this device, hides the ballot at the limit and keeps that
// state across a reload; a 4th vote from another device is a duplicate whose receipt names the
// limit (not "you had already voted"). With "unlimited" (needs proof of work) the ballot stays
// open and every vote carries a freshly solved challenge.
// Usage: node vote_limit.mjs --urna PATH --screenshot-dir DIR
import { desktop, openElection, phone, runBrowserTest, waitIn } from "./harness.mjs";

// Votes `option` on `page` (signed in, ballot open) and waits for its receipt to leave pending;
// returns the receipt id shown.
async function castVote(page, option) {
  await page.waitForSelector("#vote-form:not([hidden])", { timeout: 15000 });
  await page.check(`#options input[value=${option}]`);
  await page.click("#vote-button");
  await page.waitForSelector("#confirm:not([hidden])");
  const before = await page.textContent("#receipt-id");
  await page.click("#confirm-button");
  await page.waitForFunction((old) => document.querySelector("#receipt-id").textContent !== old &&
                                      document.querySelector("#receipt-status").dataset.status !== "pending",
                             before, { timeout: 60000 });
  return page.textContent("#receipt-id");
}

const text = (page, sel) => page.evaluate((s) => document.querySelector(s)?.textContent.trim() ?? "", sel);

await runBrowserTest("browser_vote_limit", async ({ url, browser, check, http, shot }) => {
  await openElection(http, "three", "Up to three", [["a", "Aurora"], ["b", "Basalt"], ["c", "Cirrus"]],
                     { votes_per_voter: 3 });

  const ctx = await browser.newContext(phone);
  const page = await ctx.newPage();
  await page.goto(`${url}/e/three`);
  await page.fill("#voter-name", "Maria Limite");
  await page.press("#voter-name", "Enter");
  await page.waitForSelector("#vote-form:not([hidden])");
  check(/0 of 3/.test(await text(page, "#vote-count")), `the page says how many of 3 were cast: ${await text(page, "#vote-count")}`);

  // Three votes from the page: the ballot stays open after the first and second.
  const ids = [];
  for (const [i, option] of ["a", "b", "a"].entries()) {
    ids.push(await castVote(page, option));
    check((await page.getAttribute("#receipt-status", "data-status")) === "counted",
          `vote ${i + 1} is counted: ${await text(page, "#receipt-status")}`);
    check(await waitIn(page, (n) => new RegExp(`${n} of 3`).test(document.querySelector("#vote-count").textContent), i + 1),
          `the count says ${i + 1} of 3: ${await text(page, "#vote-count")}`);
    check(await page.evaluate(() => document.querySelectorAll("#earlier-list li").length) === i,
          `the ${i} earlier receipts are listed`);
    if (i < 2) {
      check(await page.isVisible("#vote-form") &&
            await page.evaluate(() => !document.querySelector("input[name=option]:checked")),
            `after vote ${i + 1} of 3 the ballot is open again, with no option chosen`);
    }
  }
  check(new Set(ids).size === 3, `three distinct receipts: ${ids}`);
  check(await page.isHidden("#vote-form"), "after the 3rd vote the ballot is closed");
  check(/used all 3/.test(await text(page, "#vote-count")), `... and the page says the limit is used: ${await text(page, "#vote-count")}`);
  check(await page.evaluate(() => [...document.querySelectorAll("#earlier-list li")]
          .map((li) => `${li.dataset.voteId}:${li.querySelector(".pill").dataset.status}`).join()) ===
          `${ids[1]}:counted,${ids[0]}:counted`, "the earlier receipts show, newest first, each counted");
  let r = await http("GET", "/v1/elections/three/results");
  check(r.body.total === 3 && r.body.options[0].votes === 2 && r.body.options[1].votes === 1,
        `the server counted the three: ${JSON.stringify(r.body)}`);
  await shot(page, "vote-page-limit-reached-phone");

  // A reload keeps the state: the latest receipt, the earlier ones, the count, no ballot.
  await page.reload();
  await page.waitForSelector("#receipt:not([hidden])");
  check(await waitIn(page, (id) => document.querySelector("#receipt-id").textContent === id &&
                                   document.querySelector("#receipt-status").dataset.status === "counted", ids[2]),
        "after a reload the latest receipt shows, counted");
  check(await page.evaluate(() => document.querySelectorAll("#earlier-list li").length) === 2 &&
        /3 of 3/.test(await text(page, "#vote-count")) && await page.isHidden("#vote-form"),
        `... with the two earlier ones, 3 of 3 and no ballot: ${await text(page, "#vote-count")}`);

  // A 4th vote, from another device that knows none of them: a duplicate naming the limit.
  const other = await (await browser.newContext(desktop)).newPage();
  await other.goto(`${url}/e/three`);
  await other.fill("#voter-name", "Maria Limite");
  await other.press("#voter-name", "Enter");
  const fourth = await castVote(other, "c");
  check(!ids.includes(fourth), "the 4th vote has its own receipt");
  check((await other.getAttribute("#receipt-status", "data-status")) === "duplicate" &&
        (await text(other, "#receipt-status")) === "not counted: limit reached" &&
        (await text(other, "#receipt-reason")) === "(vote_limit_reached)",
        `the 4th is a duplicate, limit reached: ${await text(other, "#receipt-status")} ${await text(other, "#receipt-reason")}`);
  const explain = await text(other, "#receipt-explain");
  check(/up to 3 votes per voter/.test(explain) && !/already voted/.test(explain),
        `its explanation names the limit: ${explain}`);
  check(await waitIn(other, () => document.querySelector("#vote-form").hidden) &&
        /used all 3/.test(await text(other, "#vote-count")),
        `that device's ballot closes, saying the limit is used: ${await text(other, "#vote-count")}`);
  await other.reload();
  check(await waitIn(other, (id) => document.querySelector("#receipt-id").textContent === id &&
                                    document.querySelector("#receipt-status").dataset.status === "duplicate", fourth) &&
        await other.isHidden("#vote-form"), "after a reload that device still shows the duplicate and no ballot");
  await shot(other, "vote-page-limit-duplicate-desktop");
  r = await http("GET", "/v1/elections/three/results");
  check(r.body.total === 3, `the 4th did not count: ${r.body.total}`);

  // Unlimited (with proof of work): the ballot stays open; each vote solves a fresh challenge.
  await openElection(http, "many", "As many as you like", [["x", "Xis"], ["y", "Ypsilon"]],
                     { votes_per_voter: "unlimited", bot_protection: "pow", pow_max_number: 1000 });
  const free = await (await browser.newContext(phone)).newPage();
  const posted = [];
  free.on("request", (q) => {
    if (q.method() === "POST" && q.url().endsWith("/v1/elections/many/votes")) posted.push(JSON.parse(q.postData()).altcha);
  });
  await free.goto(`${url}/e/many`);
  await free.fill("#voter-name", "Sem Limite");
  await free.press("#voter-name", "Enter");
  for (const option of ["x", "y", "x"]) {
    await castVote(free, option);
    check((await free.getAttribute("#receipt-status", "data-status")) === "counted", "an unlimited vote is counted");
  }
  check(posted.length === 3 && posted.every((a) => typeof a === "string") && new Set(posted).size === 3,
        `each vote carried its own solution (${posted.length} posted)`);
  const challenges = posted.map((a) => JSON.parse(Buffer.from(a, "base64").toString()).challenge);
  check(new Set(challenges).size === 3, "... of a fresh challenge each");
  check(await free.isVisible("#vote-form") && /3 \(no limit/.test(await text(free, "#vote-count")),
        `the ballot stays open: ${await text(free, "#vote-count")}`);
  r = await http("GET", "/v1/elections/many/results");
  check(r.body.total === 3, `three counted: ${r.body.total}`);
});
