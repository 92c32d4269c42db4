// What ohif_screenshot.mjs (the tests and the benchmark) and ohif_waterfall.mjs
// share, so that both measure the same thing: the browser they open, and what
// "the viewer shows an image" means (canvasStats and showsImage run in the page).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Debian's Chromium, headless, with a fresh profile (nothing cached), logged in
// with Basic credentials. close() also removes the profile.
export async function openFreshChromium(user, password) {
  const profile = mkdtempSync(join(tmpdir(), 'radflare-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    httpCredentials: { username: user, password },
    viewport: { width: 1280, height: 800 },
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

// The largest visible canvas (the viewport; thumbnails are small canvases too),
// copied into a 2D scratch canvas (works for 2D and WebGL sources alike), and its
// luminance spread and colourfulness. null while there is no viewport-sized canvas.
export function canvasStats() {
  const area = (c) => c.clientWidth * c.clientHeight;
  const shown = [...document.querySelectorAll('canvas')].filter((c) => c.offsetParent && c.width > 0);
  const c = shown.sort((x, y) => area(y) - area(x))[0];
  if (!c || c.clientWidth < 300) return null;
  const s = document.createElement('canvas');
  s.width = c.width; s.height = c.height;
  const g = s.getContext('2d');
  g.drawImage(c, 0, 0);
  const d = g.getImageData(0, 0, s.width, s.height).data;
  let n = 0, sum = 0, sq = 0, lit = 0, chroma = 0;
  for (let i = 0; i < d.length; i += 16) {  // every 4th pixel is plenty
    const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    n++; sum += y; sq += y * y; if (y > 20) lit++;
    chroma += Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]);
  }
  const mean = sum / n;
  return { width: c.width, height: c.height, class: c.className, mean,
    stddev: Math.sqrt(Math.max(0, sq / n - mean * mean)), litFraction: lit / n,
    chroma: chroma / n };  // 0 for a grey image
}

// An image, not a blank or uniform canvas: some contrast, and some lit pixels.
export function showsImage(stats) {
  return Boolean(stats) && stats.stddev > 8 && stats.litFraction > 0.05;
}

// For page.waitForFunction: the page's performance.now() (milliseconds since the
// navigation started) once the viewport shows an image, false until then.
export const imageShownAt =
  `(() => { const showsImage = ${showsImage}; return showsImage((${canvasStats})()) ? performance.now() : false; })()`;
