// OHIF decodes every transfer syntax a modality or an archive sends, as the
// appliance serves it (minified, moved to /ohif/, codecs loaded by web workers
// from their rewritten public path). One fresh headless Chromium opens the
// viewer for each study of tests/data/codec_studies.sh and waits for its image:
//   - every study must show an image (contrast, lit pixels), with no HTTP error;
//   - a "lossless" study must look like the "reference" one (the same pixels
//     in another syntax): the viewport's mean and spread within 0.5 of 255;
//     a "lossy" one nearly so (within 3);
//   - grey studies must stay grey, and colour ones show colour (a wrong
//     photometric conversion shows either way).
//
//   node ohif_codecs.mjs --base http://127.0.0.1:8080 --list STUDIES.txt \
//        [--user admin --password-file F] [--ohif-path /ohif/] [--out-dir DIR] [--timeout 60]
//
// STUDIES.txt: what codec_studies.sh prints, "NAME STUDY_UID KIND COLOUR ..." per line.
// Prints one line per study; exits 1 if any fails. Screenshots: DIR/codec-NAME.png.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canvasStats, openFreshChromium, showsImage } from './viewport.mjs';

const { values: a } = parseArgs({
  options: {
    base: { type: 'string' }, list: { type: 'string' },
    user: { type: 'string', default: 'admin' }, 'password-file': { type: 'string' },
    'ohif-path': { type: 'string', default: '/ohif/' }, 'out-dir': { type: 'string' },
    timeout: { type: 'string', default: '60' },
  },
});
if (!a.base || !a.list) die('--base and --list are required');
const password = a['password-file']
  ? readFileSync(a['password-file'], 'utf8').trim() : process.env.RADFLARE_PASSWORD ?? '';
const studies = readFileSync(a.list, 'utf8').split('\n').filter((l) => l.trim())
  .map((l) => { const [name, uid, kind, colour] = l.trim().split(/\s+/); return { name, uid, kind, colour }; });
const reference = studies.find((s) => s.kind === 'reference');
if (!reference) die(`${a.list} names no "reference" study`);
const ohif = new URL(a['ohif-path'], a.base).href;

function die(msg) { console.error(`ohif_codecs: ${msg}`); process.exit(1); }

// The viewport once it shows an image and two looks 700 ms apart agree (the
// first frame drawn may still be the low-resolution pass or an earlier slice).
async function settledImage(page, deadline) {
  let last = null;
  while (Date.now() < deadline) {
    const s = await page.evaluate(canvasStats).catch(() => null);
    if (showsImage(s) && last && Math.abs(s.mean - last.mean) < 0.05 && Math.abs(s.stddev - last.stddev) < 0.05)
      return s;
    last = showsImage(s) ? s : null;
    await page.waitForTimeout(700);
  }
  return null;
}

const { context, close } = await openFreshChromium(a.user, password);
const failures = [];
try {
  const page = context.pages()[0] ?? await context.newPage();
  let errors = [];
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/manifest.json')) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  let ref = null;  // the reference's viewport: it goes first, the others are compared with it
  for (const s of [reference, ...studies.filter((x) => x !== reference)]) {
    errors = [];
    await page.goto(`${ohif}viewer?StudyInstanceUIDs=${encodeURIComponent(s.uid)}`,
      { waitUntil: 'load', timeout: Number(a.timeout) * 1000 });
    const st = await settledImage(page, Date.now() + Number(a.timeout) * 1000);
    if (a['out-dir']) {
      mkdirSync(a['out-dir'], { recursive: true });
      await page.screenshot({ path: join(a['out-dir'], `codec-${s.name}.png`) });
    }
    const why = [];
    if (!st) why.push(`no image within ${a.timeout} s`);
    if (errors.length) why.push(...new Set(errors));  // a failing codec is retried: one line each
    if (st && (s.colour === 'colour') !== st.chroma > 10)
      why.push(`${s.colour === 'colour' ? 'grey' : 'coloured'} (colourfulness ${st.chroma.toFixed(1)})`);
    const tolerance = { lossless: 0.5, lossy: 3 }[s.kind];
    if (st && tolerance && ref
        && (Math.abs(st.mean - ref.mean) > tolerance || Math.abs(st.stddev - ref.stddev) > tolerance))
      why.push(`looks unlike ${reference.name} (mean ${st.mean.toFixed(2)} vs ${ref.mean.toFixed(2)}, `
        + `spread ${st.stddev.toFixed(2)} vs ${ref.stddev.toFixed(2)})`);
    if (s === reference) ref = st;
    const desc = st ? `mean ${st.mean.toFixed(2)}, spread ${st.stddev.toFixed(2)}, colour ${st.chroma.toFixed(1)}` : 'blank';
    if (why.length) {
      failures.push(s.name);
      console.log(`FAIL - ${s.name} (${s.kind}): ${desc}: ${why.join('; ')}`);
    } else {
      console.log(`ok - ${s.name} (${s.kind}): ${desc}`);
    }
  }
} finally {
  await close();
}
if (failures.length) die(`${failures.length} of ${studies.length} studies not shown right: ${failures.join(', ')}`);
