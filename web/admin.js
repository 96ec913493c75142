// The admin page: create elections, open, close, recount (with progress), open the audit.
import { api, esc, statusBadge } from "/static/common.js";

const $ = (id) => document.getElementById(id);
const key = "urna.admin";
$("admin-token").value = sessionStorage.getItem(key) || "";
const token = () => sessionStorage.getItem(key) || "";

$("save-token").addEventListener("click", () => { sessionStorage.setItem(key, $("admin-token").value.trim()); refresh(); });

$("create").addEventListener("click", async () => {
  $("create-error").textContent = "";
  const options = $("new-options").value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const i = l.indexOf(":");
    return i < 0 ? { id: l, label: l } : { id: l.slice(0, i).trim(), label: l.slice(i + 1).trim() };
  });
  try {
    await api("/v1/elections", { method: "POST", token: token(), body: {
      id: $("new-id").value.trim(), title: $("new-title").value.trim(), options,
      results_visibility: $("new-hidden").checked ? "hidden_until_closed" : "live",
      bot_protection: $("new-pow").checked ? "pow" : "none" } });
    $("new-id").value = $("new-title").value = $("new-options").value = "";
    refresh();
  } catch (e) { $("create-error").textContent = e.message; }
});

async function act(id, what) {
  $("list-error").textContent = "";
  try {
    await api(`/v1/elections/${encodeURIComponent(id)}/${what}`, { method: "POST", token: token() });
    if (what === "recount") await followRecount(id);
  } catch (e) { $("list-error").textContent = e.message; }
  refresh();
}

async function followRecount(id) {
  for (;;) {
    const job = await api(`/v1/elections/${encodeURIComponent(id)}/recount`, { token: token() });
    const p = job.progress;
    $(`progress-${id}`).textContent = job.state === "running"
      ? `${p.phase} ${(100 * p.fraction).toFixed(0)}%`
      : job.state === "done" ? (job.report.agree ? "recount agrees: final" : "recount DISAGREES: see the audit")
      : `recount failed: ${job.error}`;
    if (job.state !== "running") return;
    await new Promise((ok) => setTimeout(ok, 300));
  }
}

async function refresh() {
  try {
    const { elections } = await api("/v1/elections");
    $("list").innerHTML = elections.map((e) => `<li><span><a href="/e/${encodeURIComponent(e.id)}">${esc(e.title)}</a>
      ${statusBadge(e.status)} <span class="muted" id="progress-${esc(e.id)}"></span></span><span class="row">
      ${e.status === "draft" ? `<button data-id="${esc(e.id)}" data-act="open">Open</button>` : ""}
      ${e.status === "open" ? `<button data-id="${esc(e.id)}" data-act="close">Close</button>` : ""}
      ${e.status === "closed" || e.status === "final" ? `<button data-id="${esc(e.id)}" data-act="recount">Recount</button>` : ""}
      </span></li>`).join("") || `<li class="muted">No elections yet.</li>`;
    $("list").querySelectorAll("button").forEach((b) => b.addEventListener("click", () => act(b.dataset.id, b.dataset.act)));
  } catch (e) { $("list-error").textContent = e.message; }
}
refresh();
