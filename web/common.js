// Shared helpers of urna's pages: JSON fetch with the API's error shape, escaping.
export async function api(path, { method = "GET", body, token, cache, onResponse } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  const res = await fetch(path, { method, headers, cache, body: body === undefined ? undefined : JSON.stringify(body) });
  if (onResponse) onResponse(res);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    const msg = data && data.error ? `${data.error.message} (${data.error.code})` : `HTTP ${res.status}`;
    throw Object.assign(new Error(msg), { status: res.status, data });
  }
  return data;
}

export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// The election's status as a badge; `label` is its text in the page's language.
export function statusBadge(status, label = status) {
  return `<span class="status ${esc(status)}">${esc(label)}</span>`;
}
