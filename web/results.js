// Results of a snapshot (docs/api.md "Results") as bars, shared by the voting and presenter pages.
// The bars are built once per list of options and then updated in place, so the widths animate
// and a screen reader's live region announces only what changed.
import { esc } from "/static/common.js";
import { t, formatNumber, formatPercent, formatTime } from "/static/i18n.js";

const votesShown = (s) => s.options.every((o) => o.votes !== undefined);

// The options with the most votes in a final result (several on a tie); none before it is
// final, when the votes are hidden, or when nobody voted.
export function winners(s) {
  if (!s.final || !votesShown(s)) return [];
  const max = Math.max(0, ...s.options.map((o) => o.votes));
  return max === 0 ? [] : s.options.filter((o) => o.votes === max);
}

// A sentence naming the winner(s), "" when there is none to name.
export function winnerSentence(s) {
  const w = winners(s);
  if (w.length === 0) return s.final && votesShown(s) ? t("winner.none") : "";
  const names = w.map((o) => o.label).join(t("winner.and"));
  return t(w.length > 1 ? "winner.tie" : "winner.one", { names });
}

// Renders `s` into els = {bars, total, winnerLine, stale} (any may be missing).
export function renderResults(s, els) {
  const shown = votesShown(s);
  const top = new Set(winners(s).map((o) => o.id));
  const shape = shown ? s.options.map((o) => o.id).join("\n") : "";
  if (els.bars.dataset.shape !== shape || !els.bars.firstChild) {
    els.bars.dataset.shape = shape;
    els.bars.innerHTML = shown
      ? s.options.map((o) => `<div class="bar" data-option="${esc(o.id)}"><div class="label">
          <span><span class="name">${esc(o.label)}</span> <span class="badge" hidden></span></span>
          <span><b class="votes"></b> <span class="votes-word"></span> · <span class="pct"></span></span></div>
          <div class="track" aria-hidden="true"><div class="fill"></div></div></div>`).join("")
      : `<p class="muted" id="results-hidden"></p>`;
  }
  if (!shown) {
    els.bars.querySelector("#results-hidden").textContent = t("results.hidden");
  } else {
    for (const o of s.options) {
      const bar = els.bars.querySelector(`.bar[data-option="${CSS.escape(o.id)}"]`);
      const share = s.total ? o.votes / s.total : 0;
      bar.querySelector(".name").textContent = o.label;
      bar.querySelector(".votes").textContent = formatNumber(o.votes);
      bar.querySelector(".votes-word").textContent = t("results.votes", { n: o.votes });
      bar.querySelector(".pct").textContent = formatPercent(share);
      bar.querySelector(".fill").style.width = `${100 * share}%`;
      bar.classList.toggle("winner", top.has(o.id));
      const badge = bar.querySelector(".badge");
      badge.hidden = !top.has(o.id);
      badge.textContent = top.size > 1 ? t("winner.tieBadge") : t("winner.badge");
    }
  }
  if (els.winnerLine) {
    const sentence = winnerSentence(s);
    els.winnerLine.textContent = sentence;
    els.winnerLine.hidden = !sentence;
  }
  if (els.total) {
    els.total.innerHTML = s.total === undefined  // turnout_visibility: hidden
      ? esc(t("results.turnoutHidden"))
      : `${esc(t("results.totalLabel"))}: <b id="total-count">${esc(formatNumber(s.total))}</b> ` +
        `${esc(t("results.votes", { n: s.total }))}${s.final ? ` · <b>${esc(t("results.finalNote"))}</b>` : ""}`;
  }
  if (els.stale) {
    // "stale" (absent = false): the read side cannot vouch that these numbers are current.
    els.stale.hidden = s.stale !== true;
    els.stale.textContent = s.stale !== true ? ""
      : s.updated_at ? t("results.stale", { time: formatTime(s.updated_at) }) : t("results.staleNever");
  }
}
