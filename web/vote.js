// The voting page (/e/{id}): sign in, pick, confirm, follow the receipt, watch live results.
// What it keeps in localStorage, per election: the voter token and the name shown
// (urna.token.<id>, urna.name.<id>) until Sign out, and each voter's vote (urna.vote.<id>.<voter>),
// so that after a reload the page shows the receipt and its fate instead of an open ballot.
import { api, esc, statusBadge } from "/static/common.js";
import { has, t, translatePage, onLanguageChange, mountLanguageSwitch, formatTime } from "/static/i18n.js";
import { showNotFound } from "/static/notfound.js";
import { followResults } from "/static/live.js";
import { renderResults } from "/static/results.js";

const electionId = decodeURIComponent(location.pathname.split("/")[2] || "");
const $ = (id) => document.getElementById(id);
const electionPath = `/v1/elections/${encodeURIComponent(electionId)}`;
const tokenKey = `urna.token.${electionId}`;
const nameKey = `urna.name.${electionId}`;
const voteKey = (voter) => `urna.vote.${electionId}.${voter}`;

let election = null;  // GET /v1/elections/{id}
let snapshot = null;  // the newest results snapshot
let session = null;   // {token, voter, name} while signed in
let vote = null;      // {vote_id, option, already} of the signed-in voter, once cast
let receipt = null;   // the newest receipt of `vote`
let live = "offline";  // how results arrive: "live" (stream), "polling" or "offline"
let followGeneration = 0;  // bumped to stop a receipt being followed

// The newer of the two views: the results snapshot (stream or poll) and the election as last
// read. A status only moves forward (draft, open, closed, final), so the later one is current.
const statusOrder = ["draft", "open", "closed", "final"];
const status = () => {
  const a = snapshot?.status ?? "", b = election?.status ?? "";
  return statusOrder.indexOf(a) >= statusOrder.indexOf(b) ? a : b;
};
const optionLabel = (id) => election?.options.find((o) => o.id === id)?.label ?? id ?? "";

function claims(token) {
  try {
    return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  } catch { return {}; }
}

// An error in the page's language when its code has a string (error.<code>), else the server's
// message; a fetch that never reached the server is a network error.
function showError(el, e) {
  const code = e?.data?.error?.code;
  let text = "";
  if (e && code && has(`error.${code}`)) text = t(`error.${code}`);
  else if (e instanceof TypeError) text = t("error.network");
  else if (e) text = e.message || String(e);
  $(el).textContent = text;
}

// --- sign-in, per election ---------------------------------------------------------------

function restoreSession() {
  const token = localStorage.getItem(tokenKey);
  if (!token) return;
  const c = claims(token);
  if (!c.sub || (c.exp && c.exp * 1000 <= Date.now())) {
    signOut(t("signin.expired"));
    return;
  }
  signIn(token, localStorage.getItem(nameKey) || c.sub, c.sub);
}

function signIn(token, name, voter) {
  localStorage.setItem(tokenKey, token);
  localStorage.setItem(nameKey, name);
  session = { token, voter, name };
  const saved = localStorage.getItem(voteKey(voter));
  vote = saved ? JSON.parse(saved) : null;
  receipt = null;
  renderPanels();
  if (vote) followReceipt();
}

function signOut(message) {
  followGeneration++;
  localStorage.removeItem(tokenKey);
  localStorage.removeItem(nameKey);
  session = vote = receipt = null;
  cancelConfirm();
  $("voter-name").value = "";
  $("token-input").value = "";
  showError("vote-error");
  renderPanels();
  $("signin-error").textContent = message || "";
}

function rememberVote(v) {
  vote = v;
  localStorage.setItem(voteKey(session.voter), JSON.stringify(v));
}

$("demo-signin").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError("signin-error");
  const name = $("voter-name").value.trim().normalize("NFC");
  if (!name) return showError("signin-error", t("signin.nameMissing"));
  try {
    const r = await api("/v1/demo/token", { method: "POST", body: { name } });
    signIn(r.token, name, r.voter);
  } catch (e) { showError("signin-error", e); }
});

$("token-signin").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const token = $("token-input").value.trim();
  const voter = claims(token).sub;
  if (!voter) return;
  signIn(token, voter, voter);
});

$("signout-button").addEventListener("click", () => signOut());

// --- ballot --------------------------------------------------------------------------------

// Bot defence (bot_protection "pow"): each vote carries a solved ALTCHA challenge. The widget
// (web/package.json, served as /static/altcha.js, loaded only for such elections) fetches a
// challenge from /v1/elections/{id}/challenge and solves it in Web Workers; it shows its progress
// in the confirmation box. Solving starts when Vote is pressed, so it runs while the voter reads
// the confirmation; each solution is used once, a failed vote gets a fresh one.
let powWidget = null;
let powSolution = null;  // Promise of the widget's verify() result, started by Vote

async function setupProofOfWork() {
  await import("/static/altcha.js");
  const w = document.createElement("altcha-widget");
  w.setAttribute("challenge", `${electionPath}/challenge`);
  w.setAttribute("auto", "off");
  // No interaction data is collected or sent: the proof of work alone is the check.
  w.setAttribute("configuration", JSON.stringify({ humanInteractionSignature: false }));
  const loaded = new Promise((ok) => w.addEventListener("load", ok, { once: true }));
  $("pow").appendChild(w);
  await customElements.whenDefined("altcha-widget");
  if (typeof w.verify !== "function") await loaded;
  powWidget = w;
  $("pow").hidden = false;
}

async function solvedChallenge() {
  if (!powWidget) return undefined;
  const pending = powSolution || powWidget.verify();
  powSolution = null;  // used (or failed) once: the next vote solves a new one
  const r = await pending;
  if (!r || !r.payload) throw new Error(t("pow.failed"));
  return r.payload;
}

function chosen() {
  const input = document.querySelector("input[name=option]:checked");
  return input ? election.options.find((o) => o.id === input.value) : null;
}

// The option shown in the confirmation box, fixed when Vote is pressed: Confirm sends exactly
// this one, whatever the radio buttons say afterwards (they are disabled while confirming).
let confirming = null;

function lockOptions(locked) {
  $("options").querySelectorAll("input").forEach((i) => { i.disabled = locked; });
}

function cancelConfirm() {
  confirming = null;
  lockOptions(false);
  $("confirm").hidden = true;
  $("vote-button").disabled = !chosen();
}

$("options").addEventListener("change", () => { $("vote-button").disabled = confirming !== null; });

$("vote-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const o = chosen();
  if (!o || confirming) return;
  confirming = o;
  lockOptions(true);
  $("confirm-text").textContent = t("confirm.text", { option: o.label });
  $("confirm").hidden = false;
  if (powWidget && !powSolution) powSolution = powWidget.verify();
  $("vote-button").disabled = true;
  $("confirm-button").focus();
});

$("cancel-button").addEventListener("click", cancelConfirm);

$("confirm-button").addEventListener("click", async () => {
  if (!confirming || !session) return;
  const option = confirming;
  showError("vote-error");
  $("confirm-button").disabled = true;
  $("cancel-button").disabled = true;
  try {
    const altcha = await solvedChallenge();
    const r = await api(`${electionPath}/votes`,
                        { method: "POST", body: { option: option.id, altcha }, token: session.token });
    confirming = null;
    $("confirm").hidden = true;
    rememberVote({ vote_id: r.vote_id, option: option.id });
    receipt = null;
    renderPanels();
    followReceipt();
  } catch (e) {
    if (e.status === 401) return signOut(t("signin.expired"));
    showError("vote-error", e);
    if (e.data?.error?.code === "election_not_open") refreshElection();
  } finally {
    $("confirm-button").disabled = false;
    $("cancel-button").disabled = false;
  }
});

// Follows the remembered vote's receipt until it leaves `pending`. A `duplicate` (this device
// did not know of an earlier vote) is replaced by the vote that counts.
async function followReceipt() {
  const generation = ++followGeneration;
  for (let delay = 300; generation === followGeneration; delay = Math.min(delay * 1.5, 3000)) {
    try {
      const r = await api(`${electionPath}/votes/${encodeURIComponent(vote.vote_id)}`,
                          { token: session.token });
      if (generation !== followGeneration) return;
      if (r.status === "duplicate" && r.counted_vote_id && r.counted_vote_id !== vote.vote_id) {
        rememberVote({ vote_id: r.counted_vote_id, option: undefined, already: true });
        continue;
      }
      receipt = r;
      if (r.option && vote.option !== r.option) rememberVote({ ...vote, option: r.option });
      renderReceipt();
      if (r.status !== "pending") return;
    } catch (e) {
      if (generation !== followGeneration) return;
      if (e.status === 401) return signOut(t("signin.expired"));
      if (e.status === 404) {  // not this voter's vote (another server's data): forget it
        localStorage.removeItem(voteKey(session.voter));
        vote = receipt = null;
        return renderPanels();
      }
      showError("vote-error", e);
    }
    await new Promise((ok) => setTimeout(ok, delay));
  }
}

// --- rendering -----------------------------------------------------------------------------

function renderReceipt() {
  $("receipt").hidden = !vote;
  if (!vote) return;
  const fate = receipt ? receipt.status : "pending";
  $("receipt-option").textContent = optionLabel(vote.option);
  $("receipt-id").textContent = vote.vote_id;
  $("receipt-status").textContent = t(`fate.${fate}`);
  $("receipt-status").dataset.status = fate;
  $("receipt-status").className = `pill ${fate}`;
  $("receipt-reason").textContent = receipt?.reason ? `(${receipt.reason})` : "";
  let explain = t(`explain.${fate}`, { reason: receipt?.reason ?? "" });
  if (fate === "rejected" && receipt?.reason === "election_closed") {
    explain = t("explain.rejected.election_closed");
  }
  if (vote.already && fate !== "rejected") explain = t("explain.already");
  $("receipt-explain").textContent = explain;
}

// Which cards show, from the election's state, the sign-in and the remembered vote.
function renderPanels() {
  if (!election) return;
  const s = status();
  const open = s === "open";
  $("status").innerHTML = statusBadge(s, t(`status.${s}`));
  $("state-message").hidden = open;
  $("state-message").textContent = open ? "" : t(`state.${s}`);
  $("signin").hidden = !open || session !== null;
  $("ballot").hidden = session === null || (!open && !vote);
  $("vote-form").hidden = !open || vote !== null;
  if (!open || vote) cancelConfirm();
  $("who").textContent = session ? t("ballot.who", { name: session.name }) : "";
  renderReceipt();
  $("results-title").textContent = t(s === "final" ? "results.final" : open ? "results.live" : "results.closed");
  $("live").hidden = !open;  // closed and final results no longer move
  $("live-dot").classList.toggle("on", live === "live");
  $("live-dot").classList.toggle("polling", live === "polling");
  $("live-text").textContent = t(`live.${live}`);
  renderCountdown();
}

// schedule: "opens in" / "closes in" from the election's opens_at / closes_at, redrawn every
// second, on the SERVER's clock: a device whose clock is off would otherwise count to the wrong
// moment (and say "closing" while voting is open). Each answer's Date header (whole seconds) is
// a lower bound of the server's time when the answer arrived, kept against the monotonic
// performance.now(): serverNow() never runs ahead of the server (the tightest bound seen wins),
// so the page says "opening" / "closing" only once the server's time has come. Until a Date is
// seen the device's clock stands in.
let serverOffset = null;  // server ms - performance.now(), the largest lower bound seen
function noteServerDate(res) {
  const date = Date.parse(res.headers.get("Date") || "");
  if (Number.isNaN(date)) return;
  const offset = date - performance.now();
  if (serverOffset === null || offset > serverOffset) serverOffset = offset;
}
const serverNow = () => (serverOffset === null ? Date.now() : performance.now() + serverOffset);

function duration(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  const clock = h > 0 || d > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
  return d > 0 ? t("countdown.days", { n: d, clock }) : clock;
}

// At the time itself the server opens or closes the election, and every open page learns it at
// the same moment, the busiest one. The results stream carries the new status: while it is live
// the page re-reads the election only as a late fallback (10-20 s after); otherwise it re-reads
// it after a random 1-4 s, then backs off (to 30 s), each page at its own moment.
let recheckAt = null;  // performance.now() of the next re-read once the time has come
let rechecks = 0;
function recheckDelay() {
  if (live === "live") return 10000 + Math.random() * 10000;
  const base = Math.min(1000 * 2 ** rechecks, 30000);
  return base + Math.random() * 3 * base;
}

function renderCountdown() {
  const el = $("countdown");
  const s = status();
  const at = s === "draft" ? election?.opens_at : s === "open" ? election?.closes_at : null;
  el.hidden = !at;
  const left = at ? Date.parse(at) - serverNow() : 1;
  if (left > 0) {
    recheckAt = null;
    rechecks = 0;
  }
  if (!at) return;
  const kind = s === "draft" ? "opens" : "closes";
  el.dataset.kind = kind;
  el.textContent = left > 0
    ? t(`countdown.${kind}`, { time: duration(left), at: formatTime(at) })
    : t(`countdown.${kind}Now`);
  if (left > 0) return;
  if (recheckAt === null) recheckAt = performance.now() + recheckDelay();
  if (performance.now() >= recheckAt) {
    rechecks++;
    recheckAt = performance.now() + recheckDelay();
    refreshElection();
  }
}
setInterval(renderCountdown, 1000);

function renderAll() {
  if (!election) return;
  document.title = `${election.title} · ${t("title.suffix")}`;
  if (confirming) $("confirm-text").textContent = t("confirm.text", { option: confirming.label });
  renderPanels();
  if (snapshot) renderResults(snapshot, resultEls);
}

const resultEls = { bars: $("bars"), total: $("total"), winnerLine: $("winner-line"), stale: $("stale") };

// GET /v1/elections/{id}, noting the server's Date (schedule); errors as common.js api() has them.
async function getElection() {
  const res = await fetch(electionPath, { cache: "no-cache" });
  noteServerDate(res);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    const msg = data && data.error ? `${data.error.message} (${data.error.code})` : `HTTP ${res.status}`;
    throw Object.assign(new Error(msg), { status: res.status, data });
  }
  return data;
}

async function refreshElection() {
  try {
    election = await getElection();
    renderPanels();
  } catch { /* the stream keeps the status current */ }
}

async function load() {
  try {
    election = await getElection();
  } catch (e) {
    if (e.status === 404) {
      showNotFound(document.querySelector("main"), electionId);
      return false;
    }
    throw e;
  }
  $("title").removeAttribute("data-i18n");
  $("title").textContent = election.title;
  $("options").innerHTML = election.options.map((o, i) =>
    `<div class="option"><input type="radio" name="option" id="option-${i}" value="${esc(o.id)}">
     <label for="option-${i}">${esc(o.label)}</label></div>`).join("");
  const info = await api("/v1/info");
  $(info.demo ? "demo-signin" : "token-signin").hidden = false;
  restoreSession();
  renderAll();
  if (election.bot_protection === "pow") await setupProofOfWork();
  return true;
}

function watch() {
  followResults(electionPath, {
    onState: (state) => { live = state; renderPanels(); },
    onSnapshot: (s) => {
      const changed = !snapshot || snapshot.status !== s.status;
      snapshot = s;
      if (changed) renderPanels();
      renderResults(s, resultEls);
    },
  });
}

mountLanguageSwitch($("lang-slot"));
translatePage();
onLanguageChange(renderAll);
load().then((found) => found && watch(), (e) => showError("signin-error", e));
