// The voting page (/e/{id}): sign in, pick, confirm, follow the receipt, watch live results.
import { api, esc, statusBadge } from "/static/common.js";

const electionId = decodeURIComponent(location.pathname.split("/").pop());
const $ = (id) => document.getElementById(id);
const tokenKey = `urna.token`;
let election = null;
let token = localStorage.getItem(tokenKey);

function showError(el, e) { $(el).textContent = e ? e.message || String(e) : ""; }

async function load() {
  election = await api(`/v1/elections/${encodeURIComponent(electionId)}`);
  $("title").textContent = election.title;
  $("status").innerHTML = statusBadge(election.status);
  document.title = `urna: ${election.title}`;
  $("options").innerHTML = election.options.map((o) =>
    `<label class="option"><input type="radio" name="option" value="${esc(o.id)}"> ${esc(o.label)}</label>`).join("");
  $("options").addEventListener("change", () => { $("vote-button").disabled = confirming !== null; });
  if (election.bot_protection === "pow") await setupProofOfWork();
  const info = await api("/v1/info");
  $(info.demo ? "demo-signin" : "token-signin").hidden = false;
  if (token) signedIn();
}

function voterOf(t) {
  try { return JSON.parse(atob(t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub; } catch { return "?"; }
}

function signedIn() {
  $("signin").hidden = true;
  $("ballot").hidden = false;
  $("who").textContent = `(signed in as ${voterOf(token)})`;
}

$("demo-button").addEventListener("click", async () => {
  showError("signin-error");
  try {
    const r = await api("/v1/demo/token", { method: "POST", body: { voter: $("voter-name").value.trim() } });
    token = r.token;
    localStorage.setItem(tokenKey, token);
    signedIn();
  } catch (e) { showError("signin-error", e); }
});

$("token-button").addEventListener("click", () => {
  token = $("token-input").value.trim();
  if (!token) return;
  localStorage.setItem(tokenKey, token);
  signedIn();
});

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
  w.setAttribute("challenge", `/v1/elections/${encodeURIComponent(electionId)}/challenge`);
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
  if (!r || !r.payload) {
    throw new Error("The anti-bot check did not finish. It needs a secure (https) page; try again.");
  }
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

$("vote-button").addEventListener("click", (ev) => {
  ev.preventDefault();
  const o = chosen();
  if (!o) return;
  confirming = o;
  lockOptions(true);
  $("confirm-label").textContent = o.label;
  $("confirm").hidden = false;
  if (powWidget && !powSolution) powSolution = powWidget.verify();
  $("vote-button").disabled = true;
});

$("cancel-button").addEventListener("click", () => {
  confirming = null;
  lockOptions(false);
  $("confirm").hidden = true;
  $("vote-button").disabled = !chosen();
});

$("confirm-button").addEventListener("click", async () => {
  if (!confirming) return;
  const option = confirming;
  showError("vote-error");
  $("confirm-button").disabled = true;
  $("cancel-button").disabled = true;
  try {
    const altcha = await solvedChallenge();
    const r = await api(`/v1/elections/${encodeURIComponent(electionId)}/votes`,
                        { method: "POST", body: { option: option.id, altcha }, token });
    $("confirm").hidden = true;
    lockOptions(true);
    $("receipt").hidden = false;
    $("receipt-id").textContent = r.vote_id;
    followReceipt(r.vote_id);
  } catch (e) {
    showError("vote-error", e);
    if (e.status === 401) { localStorage.removeItem(tokenKey); }
  } finally {
    $("confirm-button").disabled = false;
    $("cancel-button").disabled = false;
  }
});

async function followReceipt(voteId) {
  for (let delay = 300; ; delay = Math.min(delay * 1.5, 3000)) {
    try {
      const r = await api(`/v1/elections/${encodeURIComponent(electionId)}/votes/${voteId}`, { token });
      $("receipt-status").textContent = r.status;
      $("receipt-status").className = `pill ${r.status}`;
      $("receipt-reason").textContent = r.reason ? `(${r.reason})` : "";
      if (r.status !== "pending") return;
    } catch (e) { showError("vote-error", e); }
    await new Promise((ok) => setTimeout(ok, delay));
  }
}

function render(s) {
  const hidden = s.options.some((o) => o.votes === undefined);
  $("bars").innerHTML = hidden
    ? `<p class="muted">Results are hidden until the final count.</p>`
    : s.options.map((o) => {
        const pct = s.total ? (100 * o.votes) / s.total : 0;
        return `<div class="bar" data-option="${esc(o.id)}"><div class="label"><span>${esc(o.label)}</span>
          <span><b class="votes">${o.votes}</b> · <span class="pct">${pct.toFixed(1)}%</span></span></div>
          <div class="track"><div class="fill" style="width:${pct}%"></div></div></div>`;
      }).join("");
  $("total").innerHTML = s.total === undefined ? "Turnout is hidden until the final count."  // turnout_visibility: hidden
    : `Total: <b id="total-count">${s.total}</b> votes${s.final ? " · <b>final result</b>" : ""}`;
  $("status").innerHTML = statusBadge(s.status);
}

function watch() {
  // EventSource reconnects by itself and sends Last-Event-ID; the server does not read it and
  // starts every connection with the current full snapshot.
  let lastSeq = -1;
  const es = new EventSource(`/v1/elections/${encodeURIComponent(electionId)}/results/stream`);
  es.addEventListener("open", () => $("live-dot").classList.add("on"));
  es.addEventListener("error", () => $("live-dot").classList.remove("on"));
  es.addEventListener("results", (ev) => {
    const s = JSON.parse(ev.data);
    if (s.seq < lastSeq) return;
    lastSeq = s.seq;
    render(s);
  });
}

load().catch((e) => showError("signin-error", e));
watch();
