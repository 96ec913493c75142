// The voting page (/e/{id}): sign in, pick, confirm, follow the receipt, watch live results.
// What it keeps in localStorage, per election: the voter token and the name shown
// (urna.token.<id>, urna.name.<id>) until Sign out, and the votes each voter cast from this device
// (urna.vote.<id>.<voter>: a list, oldest first, each with the fate its receipt last said), so
// that after a reload the page shows the receipts and their fates. The ballot stays open while
// the voter is under the election's votes_per_voter (1, N or "unlimited"; docs/api.md): the
// votes of this device that count or may still count (counted, pending) are fewer than N and no
// receipt said the limit was reached (votes from another device are known only that way).
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
// The signed-in voter's votes from this device, oldest first: {vote_id, option, already,
// receipt: {status, reason, votes_per_voter} once read}.
let votes = [];
let live = "offline";  // how results arrive: "live" (stream), "polling" or "offline"
let followGeneration = 0;  // bumped to stop every receipt being followed (sign in / out)

// The newer of the two views: the results snapshot (stream or poll) and the election as last
// read. A status only moves forward (draft, open, closed, final), so the later one is current.
const statusOrder = ["draft", "open", "closed", "final"];
const status = () => {
  const a = snapshot?.status ?? "", b = election?.status ?? "";
  return statusOrder.indexOf(a) >= statusOrder.indexOf(b) ? a : b;
};
const optionLabel = (id) => election?.options.find((o) => o.id === id)?.label ?? id ?? "";
// The election's votes_per_voter as a number: 1, N, or Infinity for "unlimited".
const voteLimit = () => (election?.votes_per_voter === "unlimited" ? Infinity
                                                                   : Number(election?.votes_per_voter) || 1);
// A vote that counts or may still count (its receipt is not read yet, pending or counted).
const mayCount = (v) => !v.receipt || v.receipt.status === "pending" || v.receipt.status === "counted";
// Whether this voter may vote again: under the limit on this device, and no receipt said that the
// limit was reached (a duplicate: other votes, from another device, came first).
const limitReached = () => votes.filter(mayCount).length >= voteLimit() ||
                           votes.some((v) => v.receipt?.status === "duplicate");

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
  votes = loadVotes(voter);
  followGeneration++;
  renderPanels();
  // Re-read the latest receipt (a vote the server does not know is forgotten) and every one whose
  // fate was not final when last read.
  votes.forEach((v, i) => {
    if (i === votes.length - 1 || !v.receipt || v.receipt.status === "pending") followReceipt(v);
  });
}

function signOut(message) {
  followGeneration++;
  localStorage.removeItem(tokenKey);
  localStorage.removeItem(nameKey);
  session = null;
  votes = [];
  cancelConfirm();
  $("voter-name").value = "";
  $("token-input").value = "";
  showError("vote-error");
  renderPanels();
  $("signin-error").textContent = message || "";
}

// The votes remembered for `voter` (a page of an earlier version kept one vote, not a list).
function loadVotes(voter) {
  try {
    const saved = JSON.parse(localStorage.getItem(voteKey(voter)));
    return Array.isArray(saved) ? saved : saved?.vote_id ? [saved] : [];
  } catch { return []; }
}

function saveVotes() {
  if (session) localStorage.setItem(voteKey(session.voter), JSON.stringify(votes));
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
    const v = { vote_id: r.vote_id, option: option.id };
    votes.push(v);
    saveVotes();
    // The next vote (votes_per_voter above 1) starts from an empty choice.
    document.querySelectorAll("input[name=option]").forEach((i) => { i.checked = false; });
    cancelConfirm();
    renderPanels();
    followReceipt(v);
  } catch (e) {
    if (e.status === 401) return signOut(t("signin.expired"));
    showError("vote-error", e);
    if (e.data?.error?.code === "election_not_open") refreshElection();
  } finally {
    $("confirm-button").disabled = false;
    $("cancel-button").disabled = false;
  }
});

// Follows vote `v`'s receipt until it leaves `pending`. A duplicate with reason already_voted
// (one vote per voter; this device did not know of an earlier vote) is replaced by the vote that
// counts; a duplicate with reason vote_limit_reached (votes_per_voter N) stays as it is: the voter
// had N votes counted before it.
async function followReceipt(v) {
  const generation = followGeneration;
  for (let delay = 300; generation === followGeneration; delay = Math.min(delay * 1.5, 3000)) {
    try {
      const r = await api(`${electionPath}/votes/${encodeURIComponent(v.vote_id)}`,
                          { token: session.token });
      if (generation !== followGeneration || !votes.includes(v)) return;
      if (r.status === "duplicate" && r.reason !== "vote_limit_reached" && r.counted_vote_id &&
          r.counted_vote_id !== v.vote_id) {
        const counted = { vote_id: r.counted_vote_id, option: undefined, already: true };
        const known = votes.some((x) => x.vote_id === counted.vote_id);
        votes = known ? votes.filter((x) => x !== v) : votes.map((x) => (x === v ? counted : x));
        saveVotes();
        renderPanels();
        if (known) return;
        v = counted;
        continue;
      }
      v.receipt = { status: r.status, reason: r.reason, votes_per_voter: r.votes_per_voter };
      if (r.option) v.option = r.option;
      saveVotes();
      renderPanels();
      if (r.status !== "pending") return;
    } catch (e) {
      if (generation !== followGeneration) return;
      if (e.status === 401) return signOut(t("signin.expired"));
      // The server cannot tell yet (a long backlog of votes to count): still pending, ask again.
      const unknownYet = e.status === 503 && e.data?.error?.code === "receipt_unavailable";
      if (unknownYet) {
        await new Promise((ok) => setTimeout(ok, delay));
        continue;
      }
      if (e.status === 404) {  // not this voter's vote (another server's data): forget it
        votes = votes.filter((x) => x !== v);
        saveVotes();
        return renderPanels();
      }
      showError("vote-error", e);
    }
    await new Promise((ok) => setTimeout(ok, delay));
  }
}

// --- rendering -----------------------------------------------------------------------------

// A receipt's fate in words: status, the reason's explanation.
function fateLabel(r) {
  const fate = r ? r.status : "pending";
  return fate === "duplicate" && r.reason === "vote_limit_reached" ? t("fate.limitReached") : t(`fate.${fate}`);
}

// The latest vote's receipt, the earlier ones of this device (newest first) and, when the
// election counts more than one vote per voter, how many of them count.
function renderReceipt() {
  const latest = votes.at(-1);
  renderVoteCount();
  $("receipt").hidden = !latest;
  if (!latest) return;
  const r = latest.receipt;
  const fate = r ? r.status : "pending";
  $("receipt-option").textContent = optionLabel(latest.option);
  $("receipt-id").textContent = latest.vote_id;
  $("receipt-status").textContent = fateLabel(r);
  $("receipt-status").dataset.status = fate;
  $("receipt-status").className = `pill ${fate}`;
  $("receipt-reason").textContent = r?.reason ? `(${r.reason})` : "";
  let explain = t(`explain.${fate}`, { reason: r?.reason ?? "" });
  if (fate === "rejected" && r?.reason === "election_closed") {
    explain = t("explain.rejected.election_closed");
  }
  if (fate === "duplicate" && r?.reason === "vote_limit_reached") {
    explain = t("explain.vote_limit_reached", { limit: r.votes_per_voter });
  }
  if (latest.already && fate !== "rejected") explain = t("explain.already");
  $("receipt-explain").textContent = explain;
  const earlier = votes.slice(0, -1).reverse();
  $("earlier").hidden = earlier.length === 0;
  $("earlier-list").innerHTML = earlier.map((v) => {
    const f = v.receipt ? v.receipt.status : "pending";
    return `<li data-vote-id="${esc(v.vote_id)}"><b>${esc(optionLabel(v.option))}</b>
      <span class="pill ${esc(f)}" data-status="${esc(f)}">${esc(fateLabel(v.receipt))}</span>
      <span class="receipt">${esc(v.vote_id)}</span></li>`;
  }).join("");
}

// "Votes from this device: 2 of 3" (votes_per_voter above 1), and whether the limit is reached.
function renderVoteCount() {
  const limit = voteLimit();
  const el = $("vote-count");
  el.hidden = !session || limit === 1;
  if (el.hidden) return;
  const n = votes.filter(mayCount).length;
  const count = limit === Infinity ? t("votes.countUnlimited", { n }) : t("votes.count", { n, limit });
  const reached = limitReached();
  el.dataset.reached = String(reached);
  el.textContent = reached && limit !== Infinity ? `${count} ${t("votes.limitReached", { limit })}` : count;
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
  $("ballot").hidden = session === null || (!open && votes.length === 0);
  $("vote-form").hidden = !open || limitReached();
  if (!open || limitReached()) cancelConfirm();
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

// GET /v1/elections/{id}, noting the server's Date (schedule).
function getElection() {
  return api(electionPath, { cache: "no-cache", onResponse: noteServerDate });
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
