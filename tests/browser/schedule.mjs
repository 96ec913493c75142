// Browser test of scheduled voting on the voting page (issue 12, item 6): an election created
// with opens_at / closes_at a few seconds ahead shows a live countdown ("opens in", then
// "closes in"), in English and, after the language switch, in Brazilian Portuguese; the page
// follows the server's scheduled open and close by itself (no reload): the ballot appears at
// opens_at and goes away at closes_at. A second page runs on a device whose clock is 60 s fast
// (finding S2): it counts on the server's clock (its Date header), so it never says "opening" /
// "closing" before the server's time has come, and it does not poll the election every 2 s.
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
  // The device 60 s ahead: Date.now() is shifted, the real time kept for the checks (the browser
  // and the server share this machine's clock). Every text the countdown shows is recorded.
  const skewedContext = await browser.newContext({ ...phone, locale: "en-US" });
  await skewedContext.addInitScript(() => {
    const realNow = Date.now.bind(Date);
    Date.now = () => realNow() + 60000;
    window.__countdowns = [];
    document.addEventListener("DOMContentLoaded", () => {
      const el = document.querySelector("#countdown");
      new MutationObserver(() => window.__countdowns.push({ text: el.textContent, at: realNow() }))
        .observe(el, { childList: true, characterData: true, subtree: true });
    });
  });
  const skewed = await skewedContext.newPage();
  let electionReads = 0;
  skewed.on("request", (r) => {
    if (r.method() === "GET" && new URL(r.url()).pathname === "/v1/elections/show") electionReads++;
  });
  await skewed.goto(`${url}/e/show`);
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

  // The page on the fast device followed the server's clock.
  check(await waitIn(skewed, () => document.querySelector("#countdown").hidden, null, 30000),
        "the fast device's page saw the close too");
  const seen = await skewed.evaluate(() => window.__countdowns);
  const early = seen.filter((c) => (/opening/.test(c.text) && c.at < Date.parse(opensAt)) ||
                                   (/closing/.test(c.text) && c.at < Date.parse(closesAt)));
  check(seen.length > 0 && early.length === 0,
        `a device 60 s fast never says "opening"/"closing" before the server's time: ` +
        `${JSON.stringify(early.slice(0, 3).map((c) => ({ ...c, at: new Date(c.at).toISOString() })))}`);
  check(seen.some((c) => /^Voting closes in \d+:\d\d/.test(c.text)),
        `while open it counted down to the close: ${JSON.stringify(seen.map((c) => c.text).slice(-5))}`);
  // One read at load; the opens and closes arrive on the results stream (no poll every 2 s).
  check(electionReads <= 3, `the fast device's page read the election ${electionReads} times (<= 3)`);
  console.log(`fast device: ${electionReads} election reads, ${seen.length} countdown texts`);
});
