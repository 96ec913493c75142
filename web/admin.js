// The admin page (docs/api.md "Admin"): the admin token (checked at once: a wrong one says so),
// create and edit drafts (an edit starts from the stored election, so the settings the form does
// not show are kept; opens_at / closes_at in local time), delete a draft, open, close (after a confirmation), recount (its
// progress and report stay on the page), archive a final election, the audit report, ledger CSV
// and results exports, and a live results view. The audit report and the ledger need the token:
// they are fetched with it and handed to the browser as a file.
import { api, esc, statusBadge } from "/static/common.js";
import { t, translatePage, onLanguageChange, mountLanguageSwitch, formatNumber, formatPercent, formatTime } from "/static/i18n.js";
import { renderResults } from "/static/results.js";

const $ = (id) => document.getElementById(id);
const key = "urna.admin";
const token = () => sessionStorage.getItem(key) || "";
const path = (id) => `/v1/elections/${encodeURIComponent(id)}`;
let elections = [];
let editing = null;      // the id of the draft in the form, or null for a new election
let stored = null;       // that draft as GET /v1/elections/{id} returned it, or null
let tokenState = null;   // "ok" | "wrong" | "missing" | "error"
let recount = null;      // {id, title, job} of the recount on show
let results = null;      // {id, title, source, snapshot} of the results on show

mountLanguageSwitch($("lang-slot"));
$("admin-token").value = token();

// --- the token -----------------------------------------------------------------------------

async function checkToken() {
  if (!token()) { tokenState = "missing"; return renderToken(); }
  try {
    await api("/v1/admin/check", { token: token() });
    tokenState = "ok";
  } catch (e) {
    tokenState = e.status === 401 || e.status === 403 ? "wrong" : "error";
  }
  renderToken();
}

function renderToken() {
  const el = $("token-state");
  el.textContent = tokenState ? t(`admin.token.${tokenState}`) : "";
  el.className = tokenState === "ok" ? "ok" : tokenState ? "error" : "";
}

$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(key, $("admin-token").value.trim());
  checkToken();
  refresh();
});

// An error of an admin call, in words: a wrong token is named as such.
function failure(e) {
  if (e.status === 401 || e.status === 403) {
    tokenState = token() ? "wrong" : "missing";
    renderToken();
    return t(`admin.token.${tokenState}`);
  }
  return e.message;
}

// --- confirmation --------------------------------------------------------------------------

function confirmAction(text, button) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = button;
  dialog.returnValue = "";
  dialog.showModal();
  $("confirm-cancel").focus();
  return new Promise((ok) => dialog.addEventListener("close", () => ok(dialog.returnValue === "ok"), { once: true }));
}

// --- create and edit -----------------------------------------------------------------------

// The fields of an election the server sets: a create or edit body may not carry them. (A new
// one added to the server makes a save fail with "unknown field", never a setting silently lost.)
const serverSet = ["status", "created_at", "opened_at", "closed_at", "finalized_at", "archived_at"];

// An RFC 3339 time as a datetime-local input's value (the browser's time zone, to the minute),
// "" for null; and back (UTC), null for "" (not scheduled).
function localInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null);

// A schedule input's time: the stored one as it is while the input still shows it (the input
// drops seconds), else the input's.
function scheduleTime(input, field) {
  const value = $(input).value;
  if (stored && value === localInput(stored[field])) return stored[field];
  return fromLocalInput(value);
}

// The body of a create or edit. PUT replaces the whole draft, so an edit starts from the stored
// election and overlays only what the form shows: turnout_visibility, pow_max_number,
// gateway_voters (and any setting added later) stay as they were.
function formSpec() {
  const options = $("new-options").value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const i = l.indexOf(":");
    return i < 0 ? { id: l, label: l } : { id: l.slice(0, i).trim(), label: l.slice(i + 1).trim() };
  });
  const spec = stored ? Object.fromEntries(Object.entries(stored).filter(([k]) => !serverSet.includes(k))) : {};
  const resultsVisibility = $("new-hidden").checked ? "hidden_until_closed" : "live";
  const botProtection = $("new-pow").checked ? "pow" : "none";
  // The turnout's default follows the results' visibility: changing that takes the new default.
  if (spec.results_visibility !== resultsVisibility) delete spec.turnout_visibility;
  // pow_max_number only with proof of work (the server's default when it is turned on).
  if (botProtection === "none") delete spec.pow_max_number;
  return Object.assign(spec, {
    id: $("new-id").value.trim(), title: $("new-title").value.trim(), options,
    results_visibility: resultsVisibility, bot_protection: botProtection,
    opens_at: scheduleTime("new-opens", "opens_at"), closes_at: scheduleTime("new-closes", "closes_at"),
  });
}

function fillForm(e) {
  editing = e ? e.id : null;
  stored = e;
  $("new-id").value = e ? e.id : "";
  $("new-id").readOnly = !!e;
  $("new-title").value = e ? e.title : "";
  $("new-options").value = e ? e.options.map((o) => `${o.id}: ${o.label}`).join("\n") : "";
  $("new-hidden").checked = !!e && e.results_visibility === "hidden_until_closed";
  $("new-pow").checked = !!e && e.bot_protection === "pow";
  $("new-opens").value = localInput(e?.opens_at);
  $("new-closes").value = localInput(e?.closes_at);
  $("cancel-edit").hidden = !e;
  $("create-error").textContent = "";
  renderForm();
}

// Edit: the draft as stored now (the list may be older), into the form.
async function edit(id) {
  $("list-error").textContent = "";
  try {
    fillForm(await api(path(id)));
  } catch (err) { $("list-error").textContent = failure(err); }
}

function renderForm() {
  $("form-title").textContent = editing ? t("admin.edit", { id: editing }) : t("admin.new");
  $("create").textContent = editing ? t("admin.save") : t("admin.create");
}

$("election-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("create-error").textContent = "";
  const spec = formSpec();
  try {
    if (editing) {
      await api(path(editing), { method: "PUT", token: token(), body: spec });
    } else {
      await api("/v1/elections", { method: "POST", token: token(), body: spec });
    }
    fillForm(null);
    refresh();
  } catch (e) { $("create-error").textContent = failure(e); }
});
$("cancel-edit").addEventListener("click", () => fillForm(null));

// --- actions on an election ----------------------------------------------------------------

const confirmations = {
  close: ["admin.confirm.close", "admin.act.close"],
  delete: ["admin.confirm.delete", "admin.act.delete"],
  archive: ["admin.confirm.archive", "admin.act.archive"],
};

async function act(id, what) {
  const e = elections.find((x) => x.id === id) || { id, title: id };
  $("list-error").textContent = "";
  if (what === "edit") return edit(id);
  if (what === "results") return showResults(e);
  if (what === "audit" || what === "ledger") return download(e, what);
  if (confirmations[what]) {
    const [text, button] = confirmations[what];
    if (!(await confirmAction(t(text, { title: e.title }), t(button)))) return;
  }
  try {
    if (what === "delete") {
      await api(path(id), { method: "DELETE", token: token() });
      if (editing === id) fillForm(null);
    } else if (what === "recount") {
      const job = await api(`${path(id)}/recount`, { method: "POST", token: token() });
      followRecount(e, job);
    } else {
      await api(`${path(id)}/${what}`, { method: "POST", token: token() });
    }
  } catch (err) { $("list-error").textContent = failure(err); }
  refresh();
}

// The audit report (HTML, opened in a new tab) or the ledger (CSV, saved): both need the token,
// so the page fetches them and hands the browser a blob. The tab is opened at the click (later,
// after the fetch, a popup blocker would refuse it), so it cannot be opened "noopener" (that
// returns no window to send the report to): it is cut off by hand instead - no opener, and
// without the copy of this page's sessionStorage a new tab gets, which holds the admin token.
async function download(e, what) {
  const win = what === "audit" ? window.open("", "_blank") : null;
  if (win) {
    win.opener = null;
    win.sessionStorage.removeItem(key);
  }
  try {
    const res = await fetch(`${path(e.id)}/audit/${what === "audit" ? "report.html" : "ledger.csv"}`,
                            { headers: { Authorization: `Bearer ${token()}` } });
    if (!res.ok) {
      let data = null;
      try { data = await res.json(); } catch { /* not JSON */ }
      throw Object.assign(new Error(data?.error ? `${data.error.message} (${data.error.code})` : `HTTP ${res.status}`),
                          { status: res.status });
    }
    const url = URL.createObjectURL(await res.blob());
    if (win) {
      win.location.href = url;
    } else {
      const a = Object.assign(document.createElement("a"), { href: url, download: `${e.id}-ledger.csv` });
      document.body.appendChild(a);
      a.click();
      a.remove();
    }
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (err) {
    if (win) win.close();
    $("list-error").textContent = failure(err);
  }
}

// --- recount -------------------------------------------------------------------------------

async function followRecount(e, job) {
  recount = { id: e.id, title: e.title, job };
  renderRecount();
  while (recount && recount.id === e.id && recount.job.state === "running") {
    await new Promise((ok) => setTimeout(ok, 300));
    try {
      const next = await api(`${path(e.id)}/recount`, { token: token() });
      if (recount && recount.id === e.id) recount.job = next;
    } catch (err) {
      if (recount && recount.id === e.id) recount.job = { state: "failed", error: failure(err) };
    }
    renderRecount();
  }
  refresh();
}

function renderRecount() {
  $("recount-card").hidden = !recount;
  if (!recount) return;
  const { job } = recount;
  $("recount-title").textContent = t("admin.recount.title", { title: recount.title });
  const p = job.progress || { phase: job.state, fraction: job.state === "done" ? 1 : 0 };
  $("recount-progress").value = job.state === "running" ? p.fraction : 1;
  $("recount-phase").textContent = job.state === "running"
    ? t("admin.recount.running", { phase: t(`admin.phase.${p.phase}`), pct: formatPercent(p.fraction) })
    : job.state === "done" ? t("admin.recount.done") : t("admin.recount.failed", { error: job.error || "" });
  const report = job.state === "done" ? job.report : null;
  $("recount-report").hidden = !report;
  if (!report) return;
  $("recount-verdict").textContent = report.agree ? t("admin.recount.agree") : t("admin.recount.disagree");
  $("recount-verdict").className = `verdict ${report.agree ? "ok" : "error"}`;
  const row = (label, value) => `<tr><th scope="row">${esc(label)}</th><td>${esc(value)}</td></tr>`;
  const sum = (counts) => Object.values(counts || {}).reduce((a, b) => a + b, 0);
  const c = report.counts || {};
  $("recount-counts").innerHTML = [
    row(t("admin.report.status"), t(`status.${report.status}`)),
    row(t("admin.report.entries"), formatNumber(report.votes?.log_entries ?? 0)),
    row(t("admin.report.counted"), formatNumber(report.votes?.counted ?? 0)),
    row(t("admin.report.duplicate"), formatNumber(report.votes?.duplicate ?? 0)),
    row(t("admin.report.live"), formatNumber(sum(c.live))),
    row(t("admin.report.ledger"), formatNumber(sum(c.ledger))),
    row(t("admin.report.replay"), formatNumber(sum(c.replay))),
    row(t("admin.report.digest"), report.ledger?.digest?.value ?? ""),
  ].join("");
  $("recount-links").innerHTML = auditLinks(recount.id);
  bindLinks($("recount-links"));
}

$("recount-dismiss").addEventListener("click", () => { recount = null; renderRecount(); });

// --- results view --------------------------------------------------------------------------

function showResults(e) {
  if (results) results.source.close();
  const source = new EventSource(`${path(e.id)}/results/stream`);
  results = { id: e.id, title: e.title, source, snapshot: null };
  source.addEventListener("results", (ev) => {
    if (results && results.source === source) { results.snapshot = JSON.parse(ev.data); renderResultsView(); }
  });
  renderResultsView();
  $("results-card").scrollIntoView({ block: "nearest" });
}

function renderResultsView() {
  $("results-card").hidden = !results;
  if (!results) return;
  $("results-view-title").textContent = t("admin.results.title", { title: results.title });
  if (results.snapshot) renderResults(results.snapshot, { bars: $("bars"), total: $("total"), winnerLine: $("winner-line") });
  $("results-links").innerHTML = exportLinks(results.id);
}

$("results-dismiss").addEventListener("click", () => {
  if (results) results.source.close();
  results = null;
  renderResultsView();
});

// --- the list ------------------------------------------------------------------------------

const button = (e, what, cls = "") =>
  `<button type="button" class="small ${cls}" data-id="${esc(e.id)}" data-act="${what}">${esc(t(`admin.act.${what}`))}</button>`;

function exportLinks(id) {
  return `<a href="${path(id)}/results/export.csv" download>${esc(t("admin.link.csv"))}</a>
    <a href="${path(id)}/results/export.json" download>${esc(t("admin.link.json"))}</a>`;
}

function auditLinks(id) {
  return `<a href="#" data-id="${esc(id)}" data-act="audit" class="audit-link">${esc(t("admin.link.audit"))}</a>
    <a href="#" data-id="${esc(id)}" data-act="ledger" class="ledger-link">${esc(t("admin.link.ledger"))}</a>`;
}

function actions(e) {
  switch (e.status) {
    case "draft": return button(e, "open") + button(e, "edit", "secondary") + button(e, "delete", "danger");
    case "open": return button(e, "close") + button(e, "results", "secondary");
    case "closed": return button(e, "recount") + button(e, "results", "secondary");
    default: return button(e, "recount", "secondary") + button(e, "results", "secondary") +
      (e.archived_at ? "" : button(e, "archive", "secondary"));
  }
}

function bindLinks(root) {
  root.querySelectorAll("[data-act]").forEach((b) => b.addEventListener("click", (ev) => {
    ev.preventDefault();
    act(b.dataset.id, b.dataset.act);
  }));
}

// When a draft opens / a draft or open election closes by itself, if scheduled.
function schedule(e) {
  const at = [];
  if (e.status === "draft" && e.opens_at) at.push(t("admin.schedule.opens", { at: formatTime(e.opens_at) }));
  if ((e.status === "draft" || e.status === "open") && e.closes_at) {
    at.push(t("admin.schedule.closes", { at: formatTime(e.closes_at) }));
  }
  return at.length ? `<span class="muted schedule">${esc(at.join(" · "))}</span>` : "";
}

function renderList() {
  $("list").innerHTML = elections.map((e) => `<li data-election="${esc(e.id)}"><span>
      <a href="/e/${encodeURIComponent(e.id)}">${esc(e.title)}</a> <span class="muted">${esc(e.id)}</span>
      ${statusBadge(e.status, t(`status.${e.status}`))}
      ${e.archived_at ? `<span class="status archived">${esc(t("admin.archived"))}</span>` : ""}
      ${schedule(e)}</span>
      <span class="row actions">${actions(e)}</span>
      ${e.status === "draft" ? "" : `<span class="row links">${exportLinks(e.id)}
        ${e.status === "final" || e.status === "closed" ? auditLinks(e.id) : ""}</span>`}</li>`).join("") ||
    `<li class="muted">${esc(t("admin.none"))}</li>`;
  bindLinks($("list"));
}

async function refresh() {
  try {
    const q = $("show-archived").checked ? "?archived=include" : "";
    ({ elections } = await api(`/v1/elections${q}`));
    renderList();
  } catch (e) { $("list-error").textContent = e.message; }
}
$("show-archived").addEventListener("change", refresh);

function render() {
  document.title = `${t("admin.title")} · ${t("title.suffix")}`;
  translatePage();
  renderToken();
  renderForm();
  renderList();
  renderRecount();
  renderResultsView();
}
onLanguageChange(render);
render();
checkToken();
refresh();
