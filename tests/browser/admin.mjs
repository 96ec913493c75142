// Browser test of the admin page (issue 12, item 9), end to end: a wrong token is said to be
// wrong; create a draft, edit it (the settings the form does not show are kept), the schedule
// fields; delete another one (after a confirmation); open; a live results view; close only after
// a confirmation (Cancel leaves it open); recount with its progress and report, which stays on
// the page; open the audit report (HTML, fetched with the token, in a tab cut off from the page)
// and the results exports; archive the final election (gone from the list, back with "Show
// archived", still readable); every control has an accessible name; the page in pt-BR.
// Screenshots of the admin page (desktop and phone) go to the build directory.
// Usage: node admin.mjs --urna PATH --screenshot-dir DIR
import { adminToken, controlNames, desktop, phone, runBrowserTest, until, waitIn } from "./harness.mjs";

await runBrowserTest("browser_admin", async ({ url, browser, check, http, shot }) => {
  const ctx = await browser.newContext(desktop);
  const page = await ctx.newPage();
  const item = (id) => `#list li[data-election="${id}"]`;
  const status = async (id) => (await http("GET", `/v1/elections/${id}`)).body?.status;
  await page.goto(`${url}/admin`);
  await page.waitForSelector("#list li");

  const names = await controlNames(page);
  check(names.every((n) => n.name), `every control of the admin page has an accessible name: ${JSON.stringify(names)}`);

  // A wrong token says so; the right one is accepted.
  await page.fill("#admin-token", "not-the-token");
  await page.press("#admin-token", "Enter");
  check(await waitIn(page, () => /Wrong admin token/.test(document.querySelector("#token-state").textContent)),
        `a wrong token is said to be wrong: ${await page.textContent("#token-state")}`);
  await page.fill("#new-id", "nope");
  await page.fill("#new-title", "Not allowed");
  await page.fill("#new-options", "a: A");
  await page.click("#create");
  check(await waitIn(page, () => /Wrong admin token/.test(document.querySelector("#create-error").textContent)),
        `an action with a wrong token names the token as the cause: ${await page.textContent("#create-error")}`);
  check((await http("GET", "/v1/elections/nope")).status === 404, "... and changes nothing");
  await page.fill("#admin-token", adminToken);
  await page.click("#save-token");
  check(await waitIn(page, () => /Token accepted/.test(document.querySelector("#token-state").textContent)),
        "the right token is accepted");

  // Create a draft, then edit it.
  await page.fill("#new-id", "show");
  await page.fill("#new-title", "Song of the night");
  await page.fill("#new-options", "a: Aurora\nb: Basalt");
  await page.click("#create");
  await page.waitForSelector(`${item("show")} button[data-act=open]`);
  check((await page.inputValue("#new-id")) === "", "the form is cleared after a create");
  await page.click(`${item("show")} button[data-act=edit]`);
  check(await waitIn(page, () => document.querySelector("#form-title").textContent.includes("show") &&
                                 document.querySelector("#new-title").value === "Song of the night"),
        "Edit fills the form with the draft");
  await page.fill("#new-title", "Song of the year");
  await page.fill("#new-options", "a: Aurora\nb: Basalt\nc: Cirrus");
  await page.click("#create");
  check(await waitIn(page, (sel) => document.querySelector(sel)?.textContent.includes("Song of the year"), item("show")),
        "the edited title shows in the list");
  const edited = (await http("GET", "/v1/elections/show")).body;
  check(edited.title === "Song of the year" && edited.options.length === 3, `the edit is stored: ${JSON.stringify(edited)}`);

  // An edit keeps the settings the form does not show (PUT replaces the whole draft).
  const ahead = (ms) => new Date(Date.now() + ms).toISOString();  // with seconds and milliseconds
  const kept = { results_visibility: "hidden_until_closed", turnout_visibility: "public", bot_protection: "pow",
                 pow_max_number: 5000, gateway_voters: "shared", opens_at: ahead(86400e3), closes_at: ahead(2 * 86400e3) };
  await http("POST", "/v1/elections", { id: "keep", title: "Keep", options: [{ id: "x", label: "X" }], ...kept }, adminToken);
  await page.click("#show-archived");  // any refresh of the list shows it
  await page.click("#show-archived");
  await page.click(`${item("keep")} button[data-act=edit]`);
  await waitIn(page, () => document.querySelector("#new-title").value === "Keep");
  await page.fill("#new-title", "Keep v2");
  await page.click("#create");
  check(await waitIn(page, (sel) => document.querySelector(sel)?.textContent.includes("Keep v2"), item("keep")),
        "the edited title shows in the list");
  const keep = (await http("GET", "/v1/elections/keep")).body;
  const changed = Object.keys(kept).filter((k) => keep[k] !== kept[k]);
  check(keep.title === "Keep v2" && changed.length === 0,
        `an edit of the title keeps every other setting (changed: ${changed}): ${JSON.stringify(keep)}`);

  // The schedule from the form: local time in, RFC 3339 UTC stored, shown in the list and the form.
  // 200 days ahead (a schedule may be at most 366 days ahead), at 12:30 local time.
  const soon = new Date(Date.now() + 200 * 86400e3);
  const pad = (n) => String(n).padStart(2, "0");
  const closesLocal = `${soon.getFullYear()}-${pad(soon.getMonth() + 1)}-${pad(soon.getDate())}T12:30`;
  await page.fill("#new-id", "sched");
  await page.fill("#new-title", "Scheduled");
  await page.fill("#new-options", "a: A");
  await page.fill("#new-closes", closesLocal);
  await page.click("#create");
  await page.waitForSelector(`${item("sched")} button[data-act=edit]`);
  const sched = (await http("GET", "/v1/elections/sched")).body;
  const closesUtc = await page.evaluate((l) => new Date(l).toISOString(), closesLocal);
  check(sched.closes_at === closesUtc && sched.opens_at === null,
        `closes_at from the page is stored in UTC, opens_at not scheduled: ${JSON.stringify(sched)} want ${closesUtc}`);
  check(new RegExp(`closes .*${soon.getFullYear()}`).test(await page.textContent(item("sched"))),
        `the list shows when it closes: ${await page.textContent(item("sched"))}`);
  await page.click(`${item("sched")} button[data-act=edit]`);
  check(await waitIn(page, (l) => document.querySelector("#new-closes").value === l &&
                                  document.querySelector("#new-opens").value === "", closesLocal),
        `Edit shows the schedule in local time: ${await page.inputValue("#new-closes")}`);
  await page.fill("#new-closes", "");
  await page.click("#create");
  check(await until(async () => (await http("GET", "/v1/elections/sched")).body.closes_at === null),
        "an emptied field unschedules it");

  // Delete a draft, after a confirmation.
  await http("POST", "/v1/elections", { id: "scratch", title: "Scratch", options: [{ id: "x", label: "X" }] }, adminToken);
  await page.click("#show-archived");  // any refresh of the list shows it
  await page.click("#show-archived");
  await page.waitForSelector(`${item("scratch")} button[data-act=delete]`);
  await page.click(`${item("scratch")} button[data-act=delete]`);
  check(await page.isVisible("#confirm") && /Delete the draft/.test(await page.textContent("#confirm-text")),
        "Delete asks for a confirmation");
  await page.click("#confirm-ok");
  check(await waitIn(page, (sel) => !document.querySelector(sel), item("scratch")), "the deleted draft leaves the list");
  check((await http("GET", "/v1/elections/scratch")).status === 404, "... and the server");

  // Open; votes; the results view.
  await page.click(`${item("show")} button[data-act=open]`);
  await page.waitForSelector(`${item("show")} button[data-act=close]`);
  check((await status("show")) === "open", "Open opens the election");
  for (const [who, option] of [["v1", "a"], ["v2", "b"], ["v3", "b"]]) {
    const token = (await http("POST", "/v1/demo/token", { voter: who })).body.token;
    await http("POST", "/v1/elections/show/votes", { option }, token);
  }
  await page.click(`${item("show")} button[data-act=results]`);
  check(await waitIn(page, () => document.querySelector("#total-count")?.textContent === "3"),
        "the results view shows the 3 votes live");
  check(await page.evaluate(() => document.querySelectorAll("#bars .bar").length === 3), "... as a bar per option");

  // Close asks for a confirmation: Cancel leaves it open, Confirm closes it.
  await page.click(`${item("show")} button[data-act=close]`);
  check(await page.isVisible("#confirm") && /Close voting in “Song of the year”/.test(await page.textContent("#confirm-text")),
        `Close asks for a confirmation: ${await page.textContent("#confirm-text")}`);
  await shot(page, "admin-confirm-close-desktop");
  await page.click("#confirm-cancel");
  check(await page.isHidden("#confirm") && (await status("show")) === "open", "Cancel leaves the election open");
  await page.click(`${item("show")} button[data-act=close]`);
  await page.click("#confirm-ok");
  await page.waitForSelector(`${item("show")} button[data-act=recount]`);
  check((await status("show")) === "closed", "Confirm closes the election");

  // Recount: progress, then the report, which stays on the page.
  await page.click(`${item("show")} button[data-act=recount]`);
  check(await waitIn(page, () => !document.querySelector("#recount-card").hidden), "the recount shows its card");
  check(await waitIn(page, () => /agree/.test(document.querySelector("#recount-verdict")?.textContent), null, 30000),
        `the recount's report says the counts agree: ${await page.textContent("#recount-card")}`);
  check(await page.evaluate(() => document.querySelector("#recount-progress").value === 1 &&
                                  /Recount finished/.test(document.querySelector("#recount-phase").textContent)),
        "the progress is complete");
  const counted = await page.textContent("#recount-counts");
  check(/Votes counted\s*3/.test(counted) && /Ledger digest/.test(counted), `the report lists the counts and digest: ${counted}`);
  await page.waitForSelector(`${item("show")} button[data-act=archive]`);
  check(await page.isVisible("#recount-report"), "the report stays visible after the list refreshed (final)");
  check((await status("show")) === "final", "the election is final");

  // The audit report opens in a new tab (fetched with the token).
  const [report] = await Promise.all([ctx.waitForEvent("page"), page.click("#recount-links .audit-link")]);
  check(await waitIn(report, () => /Audit report/.test(document.querySelector("h1")?.textContent ?? "")),
        "the audit report opens");
  check(await report.evaluate(() => window.opener === null && sessionStorage.getItem("urna.admin") === null),
        "... with no opener and without the admin token (noopener)");
  check(/Song of the year/.test(await report.textContent("body")), "... for this election");
  await report.close();
  // The ledger CSV is downloaded with the token.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#recount-links .ledger-link")]);
  check(download.suggestedFilename() === "show-ledger.csv", `the ledger downloads: ${download.suggestedFilename()}`);
  // The export links point at the export routes, which answer.
  const links = await page.evaluate((sel) => [...document.querySelectorAll(`${sel} .links a[download]`)].map((a) => a.getAttribute("href")), item("show"));
  check(links.join() === "/v1/elections/show/results/export.csv,/v1/elections/show/results/export.json",
        `the list links the results exports: ${links}`);
  const csv = await http("GET", links[0]);
  check(csv.status === 200 && /show,final,true,b,Basalt,2,3/.test(csv.text), `the CSV export has the final counts: ${csv.text}`);
  const json = await http("GET", links[1]);
  check(json.status === 200 && json.body.results.total === 3, "the JSON export answers");
  await shot(page, "admin-page-recount-desktop");

  // Archive: leaves the default list, comes back with Show archived, stays readable.
  await page.click(`${item("show")} button[data-act=archive]`);
  check(/Archive “Song of the year”/.test(await page.textContent("#confirm-text")), "Archive asks for a confirmation");
  await page.click("#confirm-ok");
  check(await waitIn(page, (sel) => !document.querySelector(sel), item("show")), "an archived election leaves the list");
  check(await page.isVisible("#recount-card"), "the recount report is still on the page");
  await page.check("#show-archived");
  check(await waitIn(page, (sel) => /archived/.test(document.querySelector(sel)?.textContent ?? ""), item("show")),
        "Show archived lists it, marked archived");
  check((await http("GET", "/v1/elections/show")).body.archived_at !== null, "the server keeps it, archived");
  check(!(await http("GET", "/v1/elections")).body.elections.some((e) => e.id === "show"),
        "the public list leaves it out");

  // The page in Portuguese.
  await page.selectOption("#lang-switch", "pt-BR");
  check(await waitIn(page, () => document.querySelector("#admin-title").textContent === "Administração" &&
                                 /Recontagem/.test(document.querySelector("#recount-title").textContent)),
        "the admin page switches to Portuguese");
  await shot(page, "admin-page-pt-BR-desktop");
  await page.selectOption("#lang-switch", "en");

  // Phone.
  const phonePage = await (await browser.newContext(phone)).newPage();
  await phonePage.goto(`${url}/admin`);
  await phonePage.evaluate((tok) => sessionStorage.setItem("urna.admin", tok), adminToken);
  await phonePage.reload();
  check(await waitIn(phonePage, () => /Token accepted/.test(document.querySelector("#token-state").textContent)),
        "a kept token is checked on load");
  await http("POST", "/v1/elections", { id: "next", title: "Next week", options: [{ id: "p", label: "Pampa" }] }, adminToken);
  await phonePage.reload();
  await phonePage.waitForSelector(item("next"));
  await shot(phonePage, "admin-page-phone");
  check(await until(async () => (await phonePage.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth))),
        "the admin page fits a phone's width");
});
