// Open the served OHIF viewer in headless Chromium (Debian's) and prove that it
// draws the study: the study list loads without ChunkLoadError, then the viewer
// for one StudyInstanceUID paints a non-blank viewport canvas. Saves a PNG.
//
//   node ohif_screenshot.mjs --base http://127.0.0.1:8080 --study UID \
//        --out shot.png [--user admin --password-file F] [--ohif-path /ohif/]
//        [--expect-text "Radflare synthetic CT"] [--timeout 90]
//   node ohif_screenshot.mjs --timing [--warm] [--network MBIT,RTT_MS] --base ... --study UID [--out shot.png] ...
//
// Also saves OUT-studylist.png, and OUT-failed.png when the canvas stays blank.
// Exit 0 when the canvas shows an image; non-zero with a reason otherwise.
// --timing (the benchmark): fresh profile, straight to the viewer, no study list;
// prints one JSON line {"firstImageMs": navigation start -> first non-blank
// viewport frame, "requests", "bytes"}; with --warm, navigates a second time in
// the same browser (HTTP cache warm) and adds "warmFirstImageMs"; with --network,
// Chromium emulates a link of MBIT Mbit/s each way and RTT_MS ms of latency
// (DevTools throttling: compressed bytes count). --out optional.
// (Chromium's own --screenshot fires before the frames arrive, hence this.)
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { canvasStats, imageShownAt, openFreshChromium, showsImage } from './viewport.mjs';

const { values: a } = parseArgs({
  options: {
    base: { type: 'string' }, study: { type: 'string' }, out: { type: 'string' },
    user: { type: 'string', default: 'admin' }, 'password-file': { type: 'string' },
    'ohif-path': { type: 'string', default: '/ohif/' },
    'expect-text': { type: 'string' }, timeout: { type: 'string', default: '90' },
    timing: { type: 'boolean', default: false }, warm: { type: 'boolean', default: false },
    network: { type: 'string' },
  },
});
for (const k of a.timing ? ['base', 'study'] : ['base', 'study', 'out'])
  if (!a[k]) die(`missing --${k}`);
const password = a['password-file']
  ? readFileSync(a['password-file'], 'utf8').trim() : process.env.RADFLARE_PASSWORD ?? '';
const deadline = Date.now() + Number(a.timeout) * 1000;
const left = () => Math.max(1000, deadline - Date.now());
const ohif = new URL(a['ohif-path'], a.base).href;

function die(msg) { console.error(`ohif_screenshot: ${msg}`); process.exit(1); }

const { context, close } = await openFreshChromium(a.user, password);
let failure = null;
try {
  await (a.timing ? timing(context) : run(context));
} catch (e) {
  failure = e.message;
} finally {
  await close();
}
if (failure) die(failure);

async function run(context) {
  const page = context.pages()[0] ?? await context.newPage();
  // Everything that hints at a broken layout: chunk errors, uncaught
  // exceptions, JS/CSS answered as HTML (the SPA fallback), HTTP errors.
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /ChunkLoadError|Loading chunk/.test(m.text()))
      problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const type = r.headers()['content-type'] ?? '';
    if (/\.(m?js|css)(\?|$)/.test(r.url()) && type.startsWith('text/html'))
      problems.push(`${r.url()} served as ${type}`);
    if (r.status() >= 400 && !r.url().endsWith('/manifest.json'))
      problems.push(`HTTP ${r.status()} ${r.url()}`);
  });

  // 1. The study list.
  const list = await page.goto(ohif, { waitUntil: 'load', timeout: left() });
  if (!list.ok()) throw new Error(`${ohif} answered HTTP ${list.status()}`);
  const expect = a['expect-text'];
  if (expect) {
    await page.getByText(expect).first().waitFor({ timeout: left() })
      .catch(() => { throw new Error(`study list never showed "${expect}"`); });
  } else {
    await page.waitForLoadState('networkidle', { timeout: left() });
  }
  const chunk = problems.filter((p) => /Chunk|served as/.test(p));
  if (chunk.length) throw new Error(`study list is broken:\n  ${chunk.join('\n  ')}`);
  const listShot = a.out.replace(/\.png$/, '') + '-studylist.png';
  await screenshot(page, listShot);
  console.log(`ok - OHIF study list loads${expect ? ` and shows "${expect}"` : ''} -> ${listShot}`);

  // 2. The viewer: poll the viewport canvases until one has real pixels.
  const viewer = `${ohif}viewer?StudyInstanceUIDs=${encodeURIComponent(a.study)}`;
  await page.goto(viewer, { waitUntil: 'load', timeout: left() });
  let best = null;
  while (Date.now() < deadline) {
    best = await page.evaluate(canvasStats).catch(() => null);
    if (showsImage(best)) break;
    await page.waitForTimeout(1000);
  }
  if (!showsImage(best)) {
    await screenshot(page, a.out.replace(/\.png$/, '') + '-failed.png');
    throw new Error(`viewport canvas stayed blank within ${a.timeout} s `
      + `(best canvas: ${JSON.stringify(best)}); problems seen:\n  ${problems.join('\n  ') || 'none'}`);
  }
  // Close the first-visit tour and the disclaimer so the image is unobstructed.
  for (const name of ['Skip all', 'Confirm and hide'])
    await page.getByRole('button', { name }).or(page.getByText(name, { exact: true }))
      .first().click({ timeout: 2000 }).catch(() => {});
  await page.waitForTimeout(1500);  // let overlays and the thumbnail settle
  await screenshot(page, a.out);
  console.log(`ok - OHIF viewer draws the study (canvas ${best.width}x${best.height}, `
    + `stddev ${best.stddev.toFixed(1)}, lit ${(100 * best.litFraction).toFixed(0)}%) -> ${a.out}`);
}

// The benchmark: from the start of the navigation to the viewer (the page's
// performance.now() counts from there) to the first frame whose largest canvas
// holds an image, checked in the page every 50 ms.
async function timing(context) {
  const page = context.pages()[0] ?? await context.newPage();
  if (a.network) {
    const [mbit, rtt] = a.network.split(',').map(Number);
    if (!(mbit > 0 && rtt >= 0)) die(`--network wants MBIT,RTT_MS, got "${a.network}"`);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: rtt,
      downloadThroughput: mbit * 1e6 / 8, uploadThroughput: mbit * 1e6 / 8 });
  }
  let requests = 0, bytes = 0, errors = [];
  page.on('requestfinished', async (r) => {
    requests++;
    const s = await r.sizes().catch(() => null);
    if (s) bytes += s.responseBodySize;
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/manifest.json')) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  const viewer = `${ohif}viewer?StudyInstanceUIDs=${encodeURIComponent(a.study)}`;
  const firstImage = async () => {
    await page.goto(viewer, { waitUntil: 'commit', timeout: left() });
    const h = await page.waitForFunction(imageShownAt, null, { polling: 50, timeout: left() })
      .catch(() => null);
    if (!h) {
      if (a.out) await screenshot(page, a.out.replace(/\.png$/, '') + '-failed.png');
      throw new Error(`viewport canvas stayed blank within ${a.timeout} s; problems seen:\n  `
        + (errors.join('\n  ') || 'none'));
    }
    return Math.round(await h.jsonValue());
  };
  const result = { firstImageMs: await firstImage() };
  result.requests = requests; result.bytes = bytes; result.httpErrors = errors.length;
  if (a.warm) result.warmFirstImageMs = await firstImage();
  if (a.out) await screenshot(page, a.out);
  console.log(JSON.stringify(result));
}

async function screenshot(page, path) {
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path });
}
