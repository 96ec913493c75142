// Shared by the browser tests: starts `urna serve --demo` on a free loopback port with a fresh
// data directory, launches Debian's headless Chromium through playwright-core, counts checks, and
// stops all of it. Arguments of every test: --urna PATH --screenshot-dir DIR.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const adminToken = "browser-test-admin";
export const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const desktop = { viewport: { width: 1280, height: 800 } };

const arg = (name) => process.argv[process.argv.indexOf(name) + 1];

// Runs `body({url, browser, check, http, shot})` against a fresh server (`urna serve --demo` and
// `serverArgs`); exits 0 when every check passed. `shot(page, name)` writes a full-page screenshot
// into the build directory.
export async function runBrowserTest(name, body, { serverArgs = [] } = {}) {
  const shots = arg("--screenshot-dir");
  mkdirSync(shots, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "urna-browser-"));
  let passed = 0, failed = 0;
  const check = (cond, what) => {
    if (cond) passed++; else { failed++; console.log(`FAIL: ${what}`); }
  };
  const server = spawn(arg("--urna"), ["serve", "--demo", "--data-dir", dataDir, "--listen", "127.0.0.1:0", ...serverArgs],
                       { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, URNA_ADMIN_TOKEN: adminToken } });
  const exited = new Promise((ok) => server.on("exit", ok));
  let browser = null;
  try {
    const url = await new Promise((resolve, reject) => {
      let out = "";
      server.stdout.on("data", (d) => {
        out += d;
        const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
        if (m) resolve(m[1]);
      });
      server.on("exit", (code) => reject(new Error(`urna exited ${code}: ${out}`)));
    });
    const http = async (method, path, body, bearer, headers = {}) => {
      const h = { "Content-Type": "application/json", ...headers };
      if (bearer) h.Authorization = `Bearer ${bearer}`;
      const r = await fetch(`${url}${path}`, { method, headers: h, body: body && JSON.stringify(body) });
      const text = await r.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* a page */ }
      return { status: r.status, body: json, text, headers: r.headers };
    };
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const shot = (page, file) => page.screenshot({ path: join(shots, `${file}.png`), fullPage: true });
    await body({ url, browser, check, http, shot });
  } catch (e) {
    failed++;
    console.log(`FAIL: ${e.stack || e}`);
  } finally {
    if (browser) await browser.close();
    server.kill("SIGTERM");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`${name}: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// Polls `fn` (async) until it returns a truthy value, at most `ms`; returns the last value.
export async function until(fn, ms = 15000) {
  let v;
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    v = await fn();
    if (v) return v;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return v;
}

// Waits for a condition in the page; a timeout is a failed check (false), not an abort.
export const waitIn = (page, fn, arg, ms = 15000) =>
  page.waitForFunction(fn, arg, { timeout: ms }).then(() => true, () => false);

// Creates and opens an election through the API; `options` = [[id, label], ...].
export async function openElection(http, id, title, options, extra = {}) {
  const spec = { id, title, options: options.map(([oid, label]) => ({ id: oid, label })), ...extra };
  const c = await http("POST", "/v1/elections", spec, adminToken);
  if (c.status !== 201) throw new Error(`create ${id}: ${c.status} ${c.text}`);
  const o = await http("POST", `/v1/elections/${id}/open`, undefined, adminToken);
  if (o.status !== 200) throw new Error(`open ${id}: ${o.status} ${o.text}`);
}

// The accessible names Chromium computes for the page's form controls (its accessibility tree,
// as a screen reader gets it): [{role, name}] of every textbox, radio, button, combobox, checkbox.
export async function controlNames(page) {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send("Accessibility.getFullAXTree");
  await cdp.detach();
  const roles = new Set(["textbox", "radio", "button", "combobox", "checkbox"]);
  return nodes.filter((n) => !n.ignored && roles.has(n.role?.value))
    .map((n) => ({ role: n.role.value, name: (n.name?.value ?? "").trim() }));
}
