// Browser test of the voting page's states (issue 12, items 1-4): the vote is remembered per
// election and voter (after a reload the receipt and its fate show, not an open ballot), tokens
// are kept per election, Sign out; a name with spaces and accents signs in (Enter submits); a
// closed election shows no ballot, no sign-in and no live indicator, and its final result names
// the winner, or every tied winner; an unknown election gets a 404 not-found page; every
// control has an accessible name, options sit in a fieldset with a legend, receipt and results
// are live regions, the live state is said in words; "stale": true in a snapshot is shown.
// Usage: node vote_states.mjs --urna PATH --screenshot-dir DIR
import { adminToken, controlNames, desktop, openElection, phone, runBrowserTest, until, waitIn }
  from "./harness.mjs";

await runBrowserTest("browser_vote_states", async ({ url, browser, check, http, shot }) => {
  await openElection(http, "song", "Song of the year", [["a", "Aurora"], ["b", "Basalt"], ["c", "Cirrus"]]);
  await openElection(http, "other", "Another vote", [["x", "Xis"], ["y", "Ypsilon"]]);
  await openElection(http, "tie", "A tied final", [["p", "Pampa"], ["q", "Quarup"], ["r", "Rio"]]);

  // Sign in by a name with spaces and accents, pressing Enter; vote.
  const ctx = await browser.newContext(phone);
  const page = await ctx.newPage();
  await page.goto(`${url}/e/song`);
  await page.waitForSelector("#signin:not([hidden])");
  const names = await controlNames(page);
  check(names.length >= 3 && names.every((n) => n.name),
        `every control of the sign-in has an accessible name: ${JSON.stringify(names)}`);
  check(await page.evaluate(() => document.querySelector("link[rel=icon]")?.getAttribute("href") === "/static/favicon.svg"),
        "the page names a favicon");
  const icon = await http("GET", "/favicon.ico");
  check(icon.status === 200 && icon.headers.get("content-type") === "image/svg+xml", `/favicon.ico is served: ${icon.status}`);
  await page.fill("#voter-name", "  José da Silva Araújo ");
  await page.press("#voter-name", "Enter");
  await page.waitForSelector("#ballot:not([hidden])");
  check((await page.textContent("#who")).includes("José da Silva Araújo"), `the name is shown: ${await page.textContent("#who")}`);
  const voter = await page.evaluate(() => JSON.parse(atob(localStorage.getItem("urna.token.song").split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub);
  check(/^jose-da-silva-araujo-[0-9a-f]{8}$/.test(voter), `the voter id is derived from the name: ${voter}`);
  check(await page.evaluate(() => !!document.querySelector("fieldset > legend") &&
                              document.querySelectorAll("fieldset input[type=radio]").length === 3),
        "the options are radio buttons in a fieldset with a legend");
  const ballotNames = await controlNames(page);
  check(ballotNames.filter((n) => n.role === "radio").map((n) => n.name).join() === "Aurora,Basalt,Cirrus",
        `each option's radio button is named by its label: ${JSON.stringify(ballotNames)}`);
  check(ballotNames.every((n) => n.name), `every control of the ballot has an accessible name: ${JSON.stringify(ballotNames)}`);
  check(await page.evaluate(() => document.querySelector("#receipt").getAttribute("aria-live") === "polite" &&
                              document.querySelector("#results").getAttribute("aria-live") === "polite"),
        "receipt and results are aria-live regions");
  check(await waitIn(page, () => document.querySelector("#live-text")?.textContent === "Live"),
        "the live state is said in words, not only by the dot's colour");
  await page.check("#options input[value=b]");
  await page.press("#options input[value=b]", "Enter");  // Enter submits the ballot too
  await page.waitForSelector("#confirm:not([hidden])");
  await page.click("#confirm-button");
  await page.waitForSelector("#receipt:not([hidden])");
  const voteId = await page.textContent("#receipt-id");
  check(await waitIn(page, () => document.querySelector("#receipt-status").dataset.status === "counted"),
        "the receipt becomes counted");

  // A reload shows the receipt and its fate, not an open ballot.
  await page.reload();
  await page.waitForSelector("#receipt:not([hidden])");
  check((await page.textContent("#receipt-id")) === voteId, "after a reload the page shows the same receipt");
  check((await page.textContent("#receipt-option")) === "Basalt", "... for the option voted for");
  check(await waitIn(page, () => document.querySelector("#receipt-status").dataset.status === "counted" &&
                                 /counted/.test(document.querySelector("#receipt-explain").textContent)),
        "... with its fate");
  check(await page.isHidden("#vote-form") && await page.isHidden("#signin"), "... and no open ballot nor sign-in");
  await shot(page, "vote-page-remembered-phone");

  // Tokens are per election: the same browser is not signed in to another election.
  const other = await ctx.newPage();
  await other.goto(`${url}/e/other`);
  await other.waitForSelector("#signin:not([hidden])");
  check(await other.isHidden("#ballot"), "another election asks to sign in again (tokens per election)");
  await other.close();

  // Sign out: the sign-in is back; signing in again as the same person shows the same receipt.
  await page.click("#signout-button");
  await page.waitForSelector("#signin:not([hidden])");
  check(await page.evaluate(() => localStorage.getItem("urna.token.song") === null), "Sign out forgets the token");
  check(await page.isHidden("#ballot"), "after Sign out no ballot nor receipt shows");
  await page.fill("#voter-name", "Ana Paula");
  await page.click("#demo-button");
  await page.waitForSelector("#vote-form:not([hidden])");
  check(await page.isHidden("#receipt"), "another voter on the same device gets an open ballot");
  await page.click("#signout-button");
  await page.fill("#voter-name", "José da Silva Araújo");
  await page.press("#voter-name", "Enter");
  await page.waitForSelector("#receipt:not([hidden])");
  check((await page.textContent("#receipt-id")) === voteId, "signing in again as the same voter shows the remembered vote");

  // A vote this device did not know of: the page shows the vote that counts.
  const fresh = await browser.newContext(desktop);
  const second = await fresh.newPage();
  await second.goto(`${url}/e/song`);
  await second.fill("#voter-name", "José da Silva Araújo");
  await second.press("#voter-name", "Enter");
  await second.waitForSelector("#vote-form:not([hidden])");
  await shot(second, "vote-page-ballot-desktop");
  await second.check("#options input[value=c]");
  await second.click("#vote-button");
  await second.click("#confirm-button");
  check(await waitIn(second, (id) => document.querySelector("#receipt-id").textContent === id &&
                                     document.querySelector("#receipt-status").dataset.status === "counted", voteId),
        "a second vote from another device ends on the receipt of the vote that counts");
  check((await second.textContent("#receipt-option")) === "Basalt" &&
        /already voted/.test(await second.textContent("#receipt-explain")),
        `... naming its option and saying the voter had voted: ${await second.textContent("#receipt-explain")}`);
  await fresh.close();

  // More votes, then close: the open page loses its ballot, sign-in and live indicator.
  for (const [who, option] of [["v1", "a"], ["v2", "b"], ["v3", "b"]]) {
    const token = (await http("POST", "/v1/demo/token", { voter: who })).body.token;
    await http("POST", "/v1/elections/song/votes", { option }, token);
  }
  const viewer = await (await browser.newContext(desktop)).newPage();
  await viewer.goto(`${url}/e/song`);
  await viewer.waitForSelector("#signin:not([hidden])");
  check(await waitIn(viewer, () => document.querySelector("#total-count")?.textContent === "4"), "the viewer sees 4 votes");
  let r = await http("POST", "/v1/elections/song/close", undefined, adminToken);
  check(r.status === 200, `close: ${r.status}`);
  for (const p of [viewer, page]) {
    check(await waitIn(p, () => document.querySelector("#state-message")?.textContent.includes("closed")),
          "an open page learns of the close by itself");
    check(await p.isHidden("#signin") && await p.isHidden("#vote-form") && await p.isHidden("#live"),
          "a closed election shows no ballot, no sign-in and no live indicator");
  }
  check(await page.isVisible("#receipt"), "the voter still sees the receipt after the close");
  const closedPage = await (await browser.newContext(phone)).newPage();
  await closedPage.goto(`${url}/e/song`);
  await closedPage.waitForSelector("#state-message:not([hidden])");
  check(await closedPage.isHidden("#signin") && await closedPage.isHidden("#ballot") && await closedPage.isHidden("#live"),
        "a closed election, loaded anew: no ballot, no sign-in, no live indicator");
  await shot(closedPage, "vote-page-closed-phone");

  // Final: the winner is highlighted, in words as well.
  r = await http("POST", "/v1/elections/song/recount", undefined, adminToken);
  check(r.status === 202 || r.status === 200, `recount: ${r.status} ${r.text}`);
  check(await waitIn(viewer, () => document.querySelector("#winner-line")?.textContent === "Winner: Basalt", null, 30000),
        `the final result names the winner: ${await viewer.textContent("#winner-line")}`);
  check(await viewer.evaluate(() => [...document.querySelectorAll(".bar.winner")].map((b) => b.dataset.option).join()) === "b",
        "only the winner's bar is highlighted");
  check((await viewer.textContent(".bar[data-option=b] .badge")) === "Winner" &&
        await viewer.isHidden(".bar[data-option=a] .badge"), "the winner carries a Winner badge");
  check((await viewer.textContent("#results-title")) === "Final result" && await viewer.isHidden("#live"),
        "the final page says Final result, without a live indicator");
  await shot(viewer, "vote-page-final-desktop");

  // A tie: every tied option is a winner.
  for (const [who, option] of [["t1", "p"], ["t2", "q"], ["t3", "r"], ["t4", "q"], ["t5", "p"]]) {
    const token = (await http("POST", "/v1/demo/token", { voter: who })).body.token;
    await http("POST", "/v1/elections/tie/votes", { option }, token);
  }
  await until(async () => (await http("GET", "/v1/elections/tie/results")).body.total === 5);
  await http("POST", "/v1/elections/tie/close", undefined, adminToken);
  await http("POST", "/v1/elections/tie/recount", undefined, adminToken);
  await until(async () => (await http("GET", "/v1/elections/tie/results")).body.final === true, 30000);
  const tie = await (await browser.newContext(phone)).newPage();
  await tie.goto(`${url}/e/tie`);
  check(await waitIn(tie, () => document.querySelectorAll(".bar.winner").length > 0),
        "the tied final shows its winners");
  check(await tie.evaluate(() => [...document.querySelectorAll(".bar.winner")].map((b) => b.dataset.option).join()) === "p,q",
        "a tie highlights every tied option and only them");
  check((await tie.textContent("#winner-line")) === "Tie between Pampa and Quarup" &&
        (await tie.textContent(".bar[data-option=q] .badge")) === "Tied",
        `the tie is said in words: ${await tie.textContent("#winner-line")}`);
  await shot(tie, "vote-page-tie-phone");

  // Results hidden until the final count: said in words, no bars.
  await openElection(http, "secret", "Hidden until final", [["s", "Sol"], ["l", "Lua"]],
                     { results_visibility: "hidden_until_closed" });
  const hidden = await (await browser.newContext(phone)).newPage();
  await hidden.goto(`${url}/e/secret`);
  check(await waitIn(hidden, () => document.querySelector("#results-hidden")?.textContent === "Results are hidden until the final count." &&
                                   /Turnout is hidden/.test(document.querySelector("#total").textContent)),
        "hidden results and turnout are said in words");
  check(await hidden.evaluate(() => document.querySelectorAll(".bar").length === 0), "... with no bars");

  // A draft: its state instead of the sign-in; the page opens the sign-in when the election opens.
  r = await http("POST", "/v1/elections", { id: "later", title: "Not yet", options: [{ id: "m", label: "Mar" }] }, adminToken);
  check(r.status === 201, `create a draft: ${r.status}`);
  const draft = await (await browser.newContext(phone)).newPage();
  await draft.goto(`${url}/e/later`);
  check(await waitIn(draft, () => /not opened yet/.test(document.querySelector("#state-message").textContent)),
        "a draft says voting has not opened yet");
  check(await draft.isHidden("#signin") && await draft.isHidden("#live"), "... without sign-in nor live indicator");
  await http("POST", "/v1/elections/later/open", undefined, adminToken);
  check(await waitIn(draft, () => !document.querySelector("#signin").hidden && document.querySelector("#state-message").hidden),
        "when it opens, the page offers the sign-in by itself");

  // An unknown election: a 404 not-found page.
  r = await http("GET", "/e/no-such-vote");
  check(r.status === 404 && r.headers.get("content-type").startsWith("text/html"), `an unknown election answers 404 HTML: ${r.status}`);
  const missing = await (await browser.newContext(phone)).newPage();
  const response = await missing.goto(`${url}/e/no-such-vote`);
  check(response.status() === 404, "the browser gets the 404");
  check(await waitIn(missing, () => document.querySelector("h1")?.textContent === "Election not found"),
        "the not-found page says so");
  check((await missing.textContent("main")).includes("no-such-vote") &&
        (await missing.getAttribute("#notfound-link", "href")) === "/", "it names the id and links to the list");
  await shot(missing, "not-found-phone");

  // "stale": true in a snapshot (the read side cannot vouch for the numbers) is shown with the
  // time of the last update; absent or false shows nothing. The snapshot here is served by the
  // test in place of the server's stream: what is checked is the page's rendering of the field.
  const stalePage = await (await browser.newContext(desktop)).newPage();
  const updated = "2026-11-29T20:15:02.350Z";
  let stale = true;
  await stalePage.route("**/v1/elections/other/results/stream", (route) => route.fulfill({
    status: 200, contentType: "text/event-stream",
    body: `retry: 200\nevent: results\ndata: ${JSON.stringify({ election: "other", status: "open", seq: 7, total: 3,
      options: [{ id: "x", label: "Xis", votes: 2 }, { id: "y", label: "Ypsilon", votes: 1 }],
      updated_at: updated, final: false, ...(stale ? { stale: true } : {}) })}\n\n` }));
  await stalePage.goto(`${url}/e/other`);
  check(await waitIn(stalePage, () => !document.querySelector("#stale").hidden),
        "a stale snapshot shows the warning");
  const warning = await stalePage.textContent("#stale");
  check(/may be out of date/.test(warning) && /2026/.test(warning), `... with the last update's time: ${warning}`);
  await shot(stalePage, "vote-page-stale-desktop");
  stale = false;  // the stream reconnects (retry: 200) and now omits the field
  check(await waitIn(stalePage, () => document.querySelector("#stale").hidden),
        "a snapshot without stale (absent = false) clears the warning");
});
