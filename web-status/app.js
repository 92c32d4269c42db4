// The Radflare status page: fetches api/status every few seconds and redraws
// in place (no page reload). Every value goes into the DOM as text, never as
// HTML. Tests find rows by data-unit and colours by data-level.
'use strict';

const REFRESH_MS = 2000;
const $ = (id) => document.getElementById(id);

function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function bytes(n) {
  if (typeof n !== 'number') return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(n >= 10 || i === 0 ? 0 : 1)} ${units[i]}`;
}

function duration(s) {
  if (typeof s !== 'number') return '–';
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
}

function when(iso) {
  if (!iso) return '–';
  const t = new Date(iso);
  if (isNaN(t)) return iso;
  const ago = Math.round((Date.now() - t.getTime()) / 1000);
  const rel = ago >= 0 ? `${duration(ago)} ago` : `in ${duration(-ago)}`;
  return `${t.toLocaleString()} (${ago >= 0 && ago < 60 ? 'just now' : rel})`;
}

function fill(dl, rows) {
  dl.replaceChildren();
  for (const [k, v] of rows) {
    if (v === undefined) continue;
    dl.append(el('dt', k), el('dd', v === null || v === '' ? '–' : v));
  }
}

function level(badge, value) {
  badge.textContent = value;
  badge.dataset.level = value;
}

function render(s) {
  document.title = `${s.verdict.level.toUpperCase()} · ${s.appliance.name || 'Radflare'} status`;
  $('site').textContent = s.appliance.name || 'Radflare';
  $('version').textContent = `radflare ${s.appliance.version}`;
  $('verdict').dataset.level = s.verdict.level;
  $('verdict-level').textContent = s.verdict.level;
  $('verdict-summary').textContent = s.verdict.summary;

  const reasons = $('reasons');
  reasons.replaceChildren(...s.verdict.reasons.map((r) => el('li', r.message, { 'data-level': r.level })));
  $('reasons-card').hidden = s.verdict.reasons.length === 0;

  const tbody = $('units').tBodies[0];
  tbody.replaceChildren(...s.units.map((u) => {
    const tr = el('tr', null, { 'data-unit': u.unit, 'data-level': u.level });
    tr.append(el('td', u.unit),
      el('td', u.expected ? `${u.active_state} (${u.sub_state})` : `${u.active_state} (not used)`, { class: 'state' }),
      el('td', when(u.since)), el('td', u.restarts), el('td', u.incidents));
    return tr;
  }));

  const o = s.orthanc;
  const dw = o.dicomweb || {};
  const orthancLevel = !o.ok ? 'red' : dw.enabled && !dw.ok ? 'red' : 'green';
  level($('orthanc-level'), o.age_seconds === null ? 'unknown' : orthancLevel);
  fill($('orthanc'), o.ok ? [
    ['version', o.version], ['name · AET', `${o.name} · ${o.aet}`],
    ['plugins', (o.plugins || []).map((p) => p.version ? `${p.name} ${p.version}` : p.name).join(', ')],
    ['patients', o.patients], ['studies', o.studies], ['series', o.series], ['instances', o.instances],
    ['storage', bytes(o.storage_bytes)],
    ['DICOMweb', dw.enabled ? (dw.ok ? 'answering' : `NOT answering: ${dw.detail}`) : 'plugin not loaded'],
    ['last study', o.last_study ? when(o.last_study.time) : 'none yet'],
    ['checked', when(o.checked_at)],
  ] : [['problem', o.error], ['checked', when(o.checked_at)]]);

  const p = s.postgresql;
  level($('postgresql-level'), !p.used ? 'off' : p.age_seconds === null ? 'unknown' : p.ok ? 'green' : 'red');
  fill($('postgresql'), !p.used ? [['index', 'not in PostgreSQL (SQLite)']] : [
    ['where', `${p.mode} · ${p.host}:${p.port} · ${p.database}`],
    ['reachable', p.ok ? 'yes' : `NO: ${p.error}`],
    ['version', p.server_version], ['round trip', p.latency_ms !== undefined ? `${p.latency_ms} ms` : undefined],
    ['size', p.size_bytes !== undefined ? bytes(p.size_bytes) : undefined],
    ['SSL', p.ok ? (p.ssl ? `in use (sslmode ${p.sslmode})` : `not in use (sslmode ${p.sslmode})`) : undefined],
    ['checked', when(p.checked_at)],
  ]);

  const h = s.host;
  const mem = h.memory || {};
  fill($('host'), [
    ['hostname', h.hostname], ['uptime', duration(h.uptime_seconds)],
    ['load', (h.load || []).map((x) => x.toFixed(2)).join(' ') + (h.cpus ? ` (${h.cpus} CPUs)` : '')],
    ['memory', mem.total_bytes ? `${bytes(mem.available_bytes)} available of ${bytes(mem.total_bytes)} (${mem.available_percent} %)` : undefined],
  ]);
  const th = h.thresholds || {};
  $('disks').tBodies[0].replaceChildren(...(h.disks || []).map((d) => {
    const tr = el('tr', null, { 'data-level': d.level, title: `amber under ${th.disk_amber_percent} % free, red under ${th.disk_red_percent} %` });
    const bar = el('div', null, { class: 'bar', 'data-level': d.level });
    const fillbar = el('span');
    fillbar.style.width = `${Math.max(0, Math.min(100, 100 - d.free_percent))}%`;
    bar.append(fillbar);
    const cell = el('td');
    cell.append(bar);
    tr.append(el('td', d.path), el('td', d.purpose), el('td', `${bytes(d.free_bytes)} of ${bytes(d.total_bytes)} (${d.free_percent} %)`), cell);
    return tr;
  }));

  const c = s.config || {};
  fill($('config'), [
    ['file', c.path], ['last reload', when(c.time)],
    ['result', c.outcome ? `${c.ok ? 'ok' : 'FAILED'}: ${c.outcome}` : undefined], ['summary', c.summary],
  ]);
  $('diagnostics').replaceChildren(...(c.diagnostics || []).map((d) => el('li', d)));

  const t = s.tls || {};
  fill($('tls'), [
    ['mode', t.mode], ['domains', (t.domains || []).join(', ')],
    ['issuer', t.issuer], ['expires', t.not_after ? when(t.not_after) : undefined],
    ['next renewal attempt', t.next_attempt ? when(t.next_attempt) : undefined],
    ['last error', t.last_error],
  ]);

  const a = s.admin || {};
  fill($('admin'), [
    ['user', a.user], ['last rotated', when(a.last_rotated)], ['next due', a.next_due ? when(a.next_due) : 'never (rotation off)'],
    ['last error', a.last_error],
  ]);

  const w = s.webhook;
  $('webhook-card').hidden = !w;
  if (w) {
    fill($('webhook'), [
      ['queue', `${w.queue}${w.depth !== undefined ? `, ${w.depth} waiting` : ''}`],
      ['delivered', w.delivered], ['failed attempts', w.failed_attempts], ['dead letters', w.dead],
      ['last delivery', w.last_delivery_at ? when(w.last_delivery_at) : undefined],
      ['last error', w.last_error || w.error], ['statistics', w.updated_at ? when(w.updated_at) : undefined],
    ]);
  }

  $('links').replaceChildren(...s.links.map((l) => {
    const port = (l.scheme === 'http' && l.port === 80) || (l.scheme === 'https' && l.port === 443) ? '' : `:${l.port}`;
    const url = l.url || `${l.scheme}://${location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname}${port}${l.path}`;
    const li = el('li');
    li.append(el('a', l.label, { href: url, 'data-link': l.name, rel: 'noopener' }), document.createTextNode(` ${url}`));
    return li;
  }));

  $('incidents').replaceChildren(...(s.incidents.length ? s.incidents.slice(0, 20).map((i) => el('li', `${i.time}  ${i.unit}: ${i.what}`))
    : [el('li', 'none since the supervisor started')]));

  $('updated').textContent = `updated ${new Date(s.generated_at).toLocaleTimeString()}`;
  document.body.dataset.loaded = 'true';
}

async function refresh() {
  try {
    const res = await fetch('api/status', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    render(await res.json());
    $('fetch-error').hidden = true;
  } catch (e) {
    $('fetch-error').hidden = false;
    $('fetch-error').textContent = ` · cannot reach the appliance (${e.message}); showing the last answer`;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}
refresh();
