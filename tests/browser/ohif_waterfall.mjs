// Where OHIF's time to first image goes (a benchmark investigation, not a test):
// opens the viewer in a fresh headless Chromium, waits for the first frame with
// an image (viewport.mjs, as ohif_screenshot.mjs --timing), then prints
//   - every request as "start ms, end ms, bytes on the wire, bytes decoded, kind, path"
//     (the page's Resource Timing: a waterfall, times from the navigation);
//   - the main thread's long tasks (> 50 ms) as [start, duration];
//   - the main thread's CPU profile, self time per function, top 25 ("(idle)" is
//     the main thread waiting: on the network, on a worker, on a background parse).
//
//   node ohif_waterfall.mjs --base http://127.0.0.1:8080 --study UID \
//        [--user admin --password-file F] [--ohif-path /ohif/] [--profile-out F.cpuprofile]
//
// The .cpuprofile opens in Chromium's DevTools (Performance panel, "Load profile").
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { imageShownAt, openFreshChromium } from './viewport.mjs';

const { values: a } = parseArgs({
  options: {
    base: { type: 'string' }, study: { type: 'string' },
    user: { type: 'string', default: 'admin' }, 'password-file': { type: 'string' },
    'ohif-path': { type: 'string', default: '/ohif/' }, 'profile-out': { type: 'string' },
  },
});
if (!a.base || !a.study) {
  console.error('ohif_waterfall: --base and --study are required');
  process.exit(1);
}
const password = a['password-file']
  ? readFileSync(a['password-file'], 'utf8').trim() : process.env.RADFLARE_PASSWORD ?? '';

const { context, close } = await openFreshChromium(a.user, password);
try {
  const page = context.pages()[0] ?? await context.newPage();
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push([Math.round(e.startTime), Math.round(e.duration)]);
    }).observe({ type: 'longtask', buffered: true });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');

  const viewer = new URL(`viewer?StudyInstanceUIDs=${encodeURIComponent(a.study)}`,
    new URL(a['ohif-path'], a.base)).href;
  await page.goto(viewer, { waitUntil: 'commit' });
  const shown = await page.waitForFunction(imageShownAt, null, { polling: 50, timeout: 90000 });
  const firstImageMs = Math.round(await shown.jsonValue());
  const { profile } = await cdp.send('Profiler.stop');
  if (a['profile-out']) writeFileSync(a['profile-out'], JSON.stringify(profile));

  const seen = await page.evaluate(() => ({
    domContentLoaded: Math.round(performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? 0),
    requests: performance.getEntriesByType('resource').map((e) => [Math.round(e.startTime),
      Math.round(e.responseEnd), e.transferSize, e.decodedBodySize, e.initiatorType,
      e.name.replace(location.origin, '').slice(0, 120)]),
    longTasks: window.__longTasks,
  }));
  console.log(`first image ${firstImageMs} ms, DOMContentLoaded ${seen.domContentLoaded} ms`);
  console.log('start\tend\twire\tdecoded\tkind\tpath');
  for (const r of seen.requests.sort((x, y) => x[0] - y[0])) console.log(r.join('\t'));
  console.log(`long tasks [start, ms]: ${JSON.stringify(seen.longTasks)}`);

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  console.log('main thread self time (ms), top 25:');
  for (const [key, ms] of [...self].sort((x, y) => y[1] - x[1]).slice(0, 25))
    console.log(`${Math.round(ms)}\t${key}`);
} finally {
  await close();
}
