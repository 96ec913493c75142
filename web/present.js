// The presenter screen (/e/{id}/present): full-screen live results for a studio screen or an OBS
// browser source, with a QR code and the short join link, and the winner revealed at the final
// result (the QR code and link go at the close). Query options: ?transparent (no background, for
// overlays), ?qr=0 (no QR code nor link),
// ?join=URL (the public voting link to show, when the screen's own address is not the audience's;
// http(s) only), ?lang=en|pt-BR (else the language the server chose from Accept-Language).
import qrcode from "/static/qrcode.js";
import { t, translatePage, onLanguageChange, setLanguage, language } from "/static/i18n.js";
import { followResults } from "/static/live.js";
import { renderResults, winners } from "/static/results.js";

const electionId = decodeURIComponent(location.pathname.split("/")[2] || "");
const electionPath = `/v1/elections/${encodeURIComponent(electionId)}`;
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
let election = null;
let snapshot = null;
let live = "offline";  // "live" (stream), "polling" or "offline"

if (params.has("lang") && params.get("lang") !== language()) setLanguage(params.get("lang"), false);
if (params.has("transparent") && params.get("transparent") !== "0") document.body.classList.add("transparent");

// The link the audience opens: ?join when it is an http(s) URL, else this server's /e/{id}.
function joinUrl() {
  const given = params.get("join");
  if (given) {
    try {
      const u = new URL(given);
      if (u.protocol === "https:" || u.protocol === "http:") return u.href;
    } catch { /* not a URL: fall back to this server's link */ }
  }
  return `${location.origin}/e/${encodeURIComponent(electionId)}`;
}

function renderJoin() {
  if (params.get("qr") === "0") return;
  const url = joinUrl();
  const qr = qrcode(0, "M");  // the smallest version that holds the link, 15% error correction
  qr.addData(url);
  qr.make();
  $("qr").innerHTML = qr.createSvgTag({ cellSize: 8, margin: 32, scalable: true, title: t("present.scan") });
  $("join-link").href = url;
  $("join-link").textContent = url.replace(/^https?:\/\//, "");
}

function render() {
  document.title = `${election.title} · ${t("title.suffix")}`;
  $("title").textContent = election.title;
  const status = snapshot ? snapshot.status : election.status;
  const open = status === "open";
  $("live").hidden = !open;
  $("live-dot").classList.toggle("on", live === "live");
  $("live-dot").classList.toggle("polling", live === "polling");
  $("live-text").textContent = t(`live.${live}`);
  // The join link only while voting is ahead or on: after the close it would invite to nothing.
  $("join").hidden = params.get("qr") === "0" || (!open && status !== "draft");
  if (!snapshot) return;
  renderResults(snapshot, { bars: $("bars"), total: $("total"), winnerLine: $("winner-line"),
                            stale: $("stale") });
  document.body.classList.toggle("revealed", winners(snapshot).length > 0);
}

async function main() {
  translatePage();
  election = await fetch(electionPath).then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status))));
  renderJoin();
  render();
  onLanguageChange(() => { renderJoin(); render(); });
  followResults(electionPath, {
    onState: (state) => { live = state; render(); },
    onSnapshot: (s) => { snapshot = s; render(); },
  });
}

main().catch((e) => { $("title").textContent = String(e.message || e); });
