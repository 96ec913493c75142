// Browser test of scheduled voting on the voting page (issue 12, item 6): an election created
// with opens_at / closes_at a few seconds ahead shows a live countdown ("opens in", then
// "closes in"), in English and, after the language switch, in Brazilian Portuguese; the page
// follows the server's scheduled open and close by itself (no reload): the ballot appears at
// opens_at and goes away at closes_at.
// Usage: node schedule.mjs --urna PATH --screenshot-dir DIR
import { adminToken, phone, runBrowserTest, waitIn } from "./harness.mjs";

await runBrowserTest("browser_schedule", async ({ url, browser, check, http, shot }) => {
  // The browser page first (slow on a loaded machine), then the election, its times ahead by a
  // margin a page load cannot eat (the checks wait on the page, never on a fixed time).
  const page = await (await browser.newContext({ ...phone, locale: "en-US" })).newPage();
  await page.goto(`${url}/`);
  const now = Date.now();
  const opensAt = new Date(now + 10000).toISOString(), closesAt = new Date(now + 20000).toISOString();
  const c = await http("POST", "/v1/elections", {
    id: "show", title: "Scheduled show", options: [{ id: "a", label: "Ana" }, { id: "b", label: "Bruno" }],
    opens_at: opensAt, closes_at: closesAt }, adminToken);
  check(c.status === 201 && c.body.opens_at === opensAt && c.body.closes_at === closesAt,
        `create with a schedule: ${c.status} ${c.text}`);

  await page.goto(`${url}/e/show`);
  check(await waitIn(page, () => /^Voting opens in 0:\d\d \(/.test(document.querySelector("#countdown").textContent)),
        `the countdown says when voting opens: ${await page.textContent("#countdown")}`);
  check(await page.isHidden("#signin"), "no sign-in before the election opens");
  const first = await page.textContent("#countdown");
  check(await waitIn(page, (t) => document.querySelector("#countdown").textContent !== t, first, 5000),
        "the countdown is live (it changes without a reload)");
  await shot(page, "vote-countdown-phone");

  // The server opens it at opens_at; the page follows.
  check(await waitIn(page, () => !document.querySelector("#signin").hidden &&
                                 /^Voting closes in/.test(document.querySelector("#countdown").textContent), null, 30000),
        `at opens_at the ballot appears and the countdown turns to the close: ${await page.textContent("#countdown")}`);
  await page.selectOption("#lang-switch", "pt-BR");
  check(await waitIn(page, () => /^A votação encerra em \d+:\d\d/.test(document.querySelector("#countdown").textContent)),
        `the countdown in Portuguese: ${await page.textContent("#countdown")}`);

  // And closes it at closes_at.
  check(await waitIn(page, () => document.querySelector("#signin").hidden && document.querySelector("#countdown").hidden,
                     null, 30000),
        `at closes_at the ballot and the countdown go away: ${await page.textContent("#countdown")}`);
  const e = await http("GET", "/v1/elections/show");
  check(e.body.status === "closed" && e.body.closed_at >= closesAt, `the server closed it at closes_at: ${e.text}`);
});
