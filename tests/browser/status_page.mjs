// The status page in headless Chromium (Debian's): loads it, checks that
// every managed unit's row shows the state /api/status reports, saves a
// screenshot; then (with --toggle) stops a unit through --stop-cmd and waits
// until its row and the verdict turn red, starts it through --start-cmd and
// waits until both are green again — in the same page, which must refresh
// itself (a marker set at load must survive: no reload).
//
//   node status_page.mjs --url http://10.231.7.2:8090/ --out shot.png \
//        [--toggle nginx.service --stop-cmd "…" --start-cmd "…" --within 10]
//
// Prints one "ok - …" line per step; exits non-zero with the reason.
import { chromium } from 'playwright-core';
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' }, out: { type: 'string' }, toggle: { type: 'string' },
    'stop-cmd': { type: 'string' }, 'start-cmd': { type: 'string' },
    within: { type: 'string', default: '10' }, timeout: { type: 'string', default: '60' },
  },
});
for (const k of ['url', 'out']) if (!a[k]) die(`missing --${k}`);
const within = Number(a.within) * 1000;

function die(msg) { console.error(`status_page: ${msg}`); process.exit(1); }
const shot = async (page, suffix) => {
  const path = suffix ? a.out.replace(/\.png$/, '') + `-${suffix}.png` : a.out;
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  return path;
};
// The DOM's view: verdict level and every unit row's state and level.
const domState = (page) => page.evaluate(() => ({
  verdict: document.getElementById('verdict').dataset.level,
  marker: window.__radflareMarker === 42,
  units: Object.fromEntries([...document.querySelectorAll('#units tr[data-unit]')].map((tr) =>
    [tr.dataset.unit, { level: tr.dataset.level, state: tr.querySelector('.state').textContent }])),
}));
async function waitFor(page, what, pred, ms) {
  const t0 = Date.now();
  let s;
  while (Date.now() - t0 < ms) {
    s = await domState(page);
    if (!s.marker) throw new Error(`the page was reloaded while waiting for ${what}`);
    if (pred(s)) return Date.now() - t0;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what} not seen within ${ms / 1000} s; DOM: ${JSON.stringify(s)}`);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-proxy-server'],
});
let failure = null;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  const res = await page.goto(a.url, { waitUntil: 'load', timeout: Number(a.timeout) * 1000 });
  if (!res.ok()) throw new Error(`${a.url} answered HTTP ${res.status()}`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: Number(a.timeout) * 1000 });
  await page.evaluate(() => { window.__radflareMarker = 42; });

  // 1. Every unit of /api/status has its row with the same state.
  const api = await (await page.request.get(new URL('api/status', a.url).href)).json();
  const want = Object.fromEntries(api.units.map((u) => [u.unit, u]));
  await waitFor(page, 'every unit row as /api/status reports it', (s) =>
    Object.keys(want).length > 0 && Object.entries(want).every(([u, w]) =>
      s.units[u] && s.units[u].state.startsWith(`${w.active_state} (`) && s.units[u].level === w.level), 10000);
  const s0 = await domState(page);
  for (const [u, v] of Object.entries(s0.units)) console.log(`#   ${u}: ${v.state} [${v.level}]`);
  if (errors.length) throw new Error(`the page reported errors:\n  ${errors.join('\n  ')}`);
  console.log(`ok - page shows ${Object.keys(s0.units).length} units as /api/status does; verdict ${s0.verdict} -> ${await shot(page)}`);

  // 2. Stop a unit: its row and the verdict turn red; start it: green again.
  if (a.toggle) {
    const u = a.toggle;
    await waitFor(page, `${u} green before the stop`, (s) => s.units[u]?.level === 'green', 30000);
    execSync(a['stop-cmd'], { stdio: 'ignore' });
    const red = await waitFor(page, `${u} and the verdict red`, (s) => s.units[u]?.level === 'red' && s.verdict === 'red', within);
    const redShot = await shot(page, `${u.replace(/\.service$/, '')}-stopped`);
    console.log(`ok - after stopping ${u}: its row and the verdict are red in ${(red / 1000).toFixed(1)} s (${(await domState(page)).units[u].state}) -> ${redShot}`);
    execSync(a['start-cmd'], { stdio: 'ignore' });
    const green = await waitFor(page, `${u} and the verdict green again`, (s) => s.units[u]?.level === 'green' && s.verdict === 'green', within);
    console.log(`ok - after starting ${u}: its row and the verdict are green in ${(green / 1000).toFixed(1)} s, without a page reload`);
  }
} catch (e) {
  failure = e.message;
} finally {
  await browser.close();
}
if (failure) die(failure);
