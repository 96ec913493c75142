// Follows an election's results for a page: the SSE stream (every connection starts with the
// current snapshot), and while the server refuses it — 503 too_many_viewers over --max-viewers,
// or any other HTTP error, after which EventSource gives up for good — polls GET .../results
// (cacheable; the browser revalidates with its ETag) every few seconds and tries the stream again
// every half minute. Both with jitter, so a crowd of refused viewers does not come back at once.
const pollMs = 3000;
const retryStreamMs = 30000;
const jitter = (ms) => ms * (0.75 + Math.random() / 2);

// onSnapshot(s) gets each snapshot whose seq does not go back; onState(state) gets "live",
// "polling" or "offline".
export function followResults(electionPath, { onSnapshot, onState }) {
  let lastSeq = -1;
  let pollTimer = null;
  const deliver = (s) => {
    if (s.seq < lastSeq) return;
    lastSeq = s.seq;
    onSnapshot(s);
  };
  const poll = async () => {
    try {
      const r = await fetch(`${electionPath}/results`, { cache: "no-cache" });
      if (r.ok) {
        deliver(await r.json());
        onState("polling");
      } else {
        onState("offline");
      }
    } catch { onState("offline"); }
    pollTimer = setTimeout(poll, jitter(pollMs));
  };
  const stopPolling = () => { clearTimeout(pollTimer); pollTimer = null; };
  const connect = () => {
    const es = new EventSource(`${electionPath}/results/stream`);
    es.addEventListener("open", () => { stopPolling(); onState("live"); });
    es.addEventListener("results", (ev) => deliver(JSON.parse(ev.data)));
    es.addEventListener("error", () => {
      if (es.readyState !== EventSource.CLOSED) return onState("offline");  // it reconnects itself
      if (!pollTimer) poll();
      setTimeout(connect, jitter(retryStreamMs));
    });
  };
  connect();
}
