// The dashboard (docs/dashboard.md): scans, domains and a domain's page, routed by the URL
// hash. Everything that came from the API is put on the page as text (textContent), never as
// markup: a sitemap's <loc> is attacker-controlled.
import { apiFetch, ApiError } from './api.js';

const view = document.getElementById('view');
const REFRESH_BUSY_MS = 1500;   // while a job is pending or running
const REFRESH_IDLE_MS = 10000;
let timer = null;
let generation = 0;             // bumps on every navigation; stale refreshes stop themselves
const charts = [];

// ---- small DOM helpers -------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name === 'on') for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const text = (value) => (value === null || value === undefined ? '—' : String(value));
const fmtInt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '—');

function errorBox(error) {
  const words = error instanceof ApiError ? error.message : `Unexpected error: ${error.message || error}`;
  return el('div', { class: 'alert alert-danger', role: 'alert' }, words);
}

function duration(job) {
  if (!job.started_at) return '—';
  const end = job.completed_at ? Date.parse(job.completed_at) : Date.now();
  const s = Math.max(0, Math.round((end - Date.parse(job.started_at)) / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

const STATUS_CLASS = { pending: 'secondary', running: 'primary', complete: 'success', failed: 'danger' };
const badge = (status) => el('span', { class: `badge bg-${STATUS_CLASS[status] || 'secondary'}` }, text(status));

// The added/removed/changed counts of a job, once the server reports them (re-scans add them
// to a job's metadata); null until then, so the page says so instead of showing zeros.
export function changeCounts(job) {
  const from = (job.metadata && 'urls_added' in job.metadata) ? job.metadata
    : (job.result_data && 'urls_added' in job.result_data) ? job.result_data : null;
  if (!from) return null;
  return { added: from.urls_added ?? 0, removed: from.urls_removed ?? 0, changed: from.urls_changed ?? 0 };
}

function schedule(fn, ms) {
  clearTimeout(timer);
  const mine = generation;
  timer = setTimeout(() => { if (mine === generation) fn(); }, ms);
}

function destroyCharts() {
  while (charts.length) charts.pop().destroy();
}

// ---- scans -------------------------------------------------------------------------------
function scanForm(onQueued) {
  const status = el('div', { class: 'mt-2', id: 'scan-form-status', 'aria-live': 'polite' });
  const form = el('form', { id: 'scan-form', class: 'card card-body mb-3' },
    el('h2', { class: 'h5' }, 'Start a scan'),
    el('div', { class: 'row g-2 align-items-end' },
      el('div', { class: 'col-md-7' },
        el('label', { class: 'form-label', for: 'scan-target' }, 'Targets (domains, root URLs or sitemap URLs; separate several with spaces)'),
        el('input', { class: 'form-control', id: 'scan-target', name: 'target', type: 'text',
          placeholder: 'example.com https://example.org/sitemap.xml', autocomplete: 'off', required: true })),
      el('div', { class: 'col-md-2' },
        el('label', { class: 'form-label', for: 'scan-max-pages' }, 'max_pages'),
        el('input', { class: 'form-control', id: 'scan-max-pages', name: 'max_pages', type: 'number', min: '1', value: '1000' })),
      el('div', { class: 'col-md-2' },
        el('div', { class: 'form-check' },
          el('input', { class: 'form-check-input', id: 'scan-full', name: 'full', type: 'checkbox' }),
          el('label', { class: 'form-check-label', for: 'scan-full', title: 'Fetch and parse every sitemap again, without conditional requests' },
            'Full re-scan'))),
      el('div', { class: 'col-md-1' }, el('button', { class: 'btn btn-primary w-100', type: 'submit' }, 'Scan'))),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const targets = form.elements.target.value.split(/\s+/).filter(Boolean);
    const maxPages = Number(form.elements.max_pages.value) || 1000;
    if (!targets.length) { status.replaceChildren(el('span', { class: 'error-text' }, 'Enter at least one target.')); return; }
    status.replaceChildren('Queueing…');
    const queued = [];
    const failures = [];
    for (const target of targets) {
      try {
        const job = await apiFetch('/api/v3/sitemap/scan', {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ base_url: target, max_pages: maxPages, full: form.elements.full.checked }) });
        queued.push(job.job_id);
      } catch (e) {
        failures.push(`${target}: ${e.message}`);
      }
    }
    status.replaceChildren(
      queued.length ? el('span', { class: 'text-success' }, `Queued ${queued.length} scan${queued.length > 1 ? 's' : ''}.`) : '',
      ...failures.map((f) => el('div', { class: 'error-text' }, f)));
    if (queued.length) form.elements.target.value = '';
    onQueued();
  });
  return form;
}

function jobRow(job) {
  const r = job.result_data || {};
  const found = r.sitemaps_found;
  const done = r.sitemaps_done ?? (job.status === 'complete' || job.status === 'failed' ? found : undefined);
  const pct = Math.round((job.progress || 0) * 100);
  const changes = changeCounts(job);
  const errors = [];
  if (job.error) errors.push(el('div', { class: 'error-text wrap' }, job.error));
  for (const e of (r.errors || []).slice(0, 3)) errors.push(el('div', { class: 'small wrap' }, `${e.sitemap_url}: ${e.error}`));
  if ((r.errors || []).length > 3) errors.push(el('div', { class: 'small' }, `and ${r.errors.length - 3} more`));
  return el('tr', { dataset: { jobId: job.job_id, status: job.status } },
    el('td', { class: 'wrap' }, job.domain_id
      ? el('a', { href: `#/domain/${encodeURIComponent(job.domain_id)}` }, text(job.domain || job.target))
      : text(job.target)),
    el('td', {}, badge(job.status)),
    el('td', {}, el('div', { class: 'progress', role: 'progressbar', 'aria-valuenow': pct, 'aria-valuemin': 0, 'aria-valuemax': 100 },
      el('div', { class: 'progress-bar', 'data-width': pct }, `${pct}%`))),
    el('td', { class: 'sitemaps' }, found === undefined ? '—' : `${fmtInt(done)} / ${fmtInt(found)}`),
    el('td', { class: 'urls' }, fmtInt(r.urls_stored)),
    el('td', { class: 'changes' }, changes ? `+${fmtInt(changes.added)} −${fmtInt(changes.removed)} ~${fmtInt(changes.changed)}` : '—'),
    el('td', {}, duration(job)),
    el('td', {}, errors.length ? errors : '—'));
}

// Bars get their width from a data attribute (the CSP forbids inline style attributes).
function sizeBars(root) {
  for (const bar of root.querySelectorAll('.progress-bar[data-width]')) bar.style.width = `${bar.dataset.width}%`;
}

async function renderScans() {
  const mine = generation;
  const list = el('div', { id: 'job-list' });
  const refresh = async () => {
    if (mine !== generation) return;
    let page;
    try {
      page = await apiFetch('/api/v3/jobs?size=25');
    } catch (e) {
      list.replaceChildren(errorBox(e));
      schedule(refresh, REFRESH_IDLE_MS);
      return;
    }
    if (mine !== generation) return;
    if (!page.items.length) {
      list.replaceChildren(el('p', { class: 'empty' }, 'No scans yet: enter a site above.'));
    } else {
      const table = el('table', { class: 'table table-sm align-middle', id: 'jobs-table' },
        el('thead', {}, el('tr', {}, ['Target', 'Status', 'Progress', 'Sitemaps done / found', 'URLs stored',
          'Added / removed / changed', 'Duration', 'Errors'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, page.items.map(jobRow)));
      sizeBars(table);
      list.replaceChildren(el('p', { class: 'text-muted small' }, page.total > page.items.length
        ? `${fmtInt(page.total)} jobs; the newest ${page.items.length} are shown.`
        : `${fmtInt(page.total)} job${page.total === 1 ? '' : 's'}.`), table);
    }
    const busy = page.items.some((j) => j.status === 'pending' || j.status === 'running');
    schedule(refresh, busy ? REFRESH_BUSY_MS : REFRESH_IDLE_MS);
  };
  view.replaceChildren(el('h1', { class: 'h4' }, 'Scans'), scanForm(() => refresh()),
    el('h2', { class: 'h5' }, 'Running and recent jobs'), list);
  await refresh();
}

// ---- domains -----------------------------------------------------------------------------
function pager(page, onPage) {
  if (page.pages <= 1) return el('div');
  return el('nav', { class: 'd-flex gap-2 align-items-center my-2', 'aria-label': 'pages' },
    el('button', { class: 'btn btn-outline-secondary btn-sm', type: 'button', disabled: page.page <= 1, on: { click: () => onPage(page.page - 1) } }, 'Previous'),
    el('span', { class: 'small' }, `Page ${page.page} of ${page.pages}`),
    el('button', { class: 'btn btn-outline-secondary btn-sm', type: 'button', disabled: page.page >= page.pages, on: { click: () => onPage(page.page + 1) } }, 'Next'));
}

async function renderDomains(params) {
  const mine = generation;
  const q = params.get('q') || '';
  const pageNo = Number(params.get('page')) || 1;
  const form = el('form', { class: 'd-flex gap-2 mb-3', id: 'domain-search' },
    el('input', { class: 'form-control', name: 'q', type: 'search', value: q, placeholder: 'Search domains by name', 'aria-label': 'Search domains' }),
    el('button', { class: 'btn btn-outline-primary', type: 'submit' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/domains?${new URLSearchParams({ q: form.elements.q.value.trim(), page: '1' })}`;
  });
  const list = el('div', { id: 'domain-list' }, el('p', { class: 'text-muted' }, 'Loading…'));
  view.replaceChildren(el('h1', { class: 'h4' }, 'Domains'), form, list);
  const refresh = async () => {
    if (mine !== generation) return;
    let page;
    try {
      page = await apiFetch(`/api/v3/domain-summaries?${new URLSearchParams({ q, page: String(pageNo), size: '25' })}`);
    } catch (e) {
      list.replaceChildren(errorBox(e));
      return;
    }
    if (mine !== generation) return;
    if (!page.items.length) {
      list.replaceChildren(el('p', { class: 'empty' }, q
        ? `No domain matches “${q}”: try a shorter part of its name.`
        : 'No domains yet: start a scan on the Scans page.'));
    } else {
      list.replaceChildren(
        el('p', { class: 'text-muted small' }, `${fmtInt(page.total)} domain${page.total === 1 ? '' : 's'}`),
        el('table', { class: 'table table-sm', id: 'domains-table' },
          el('thead', {}, el('tr', {}, ['Domain', 'Sitemaps', 'URLs', 'Last scan', 'Last job', 'Next scan'].map((h) => el('th', { scope: 'col' }, h)))),
          el('tbody', {}, page.items.map((d) => el('tr', { dataset: { domainId: d.id } },
            el('td', {}, el('a', { href: `#/domain/${encodeURIComponent(d.id)}`, class: 'domain-link' }, d.domain)),
            el('td', {}, fmtInt(d.sitemap_count)),
            el('td', {}, fmtInt(d.url_count)),
            el('td', {}, text(d.last_scan_at)),
            el('td', {}, d.last_job_status ? badge(d.last_job_status) : '—'),
            el('td', { class: 'next-scan' }, text(d.next_scan_at)))))),
        pager(page, (n) => { location.hash = `#/domains?${new URLSearchParams({ q, page: String(n) })}`; }));
    }
    const busy = page.items.some((d) => d.last_job_status === 'pending' || d.last_job_status === 'running');
    if (busy) schedule(refresh, REFRESH_BUSY_MS);
  };
  await refresh();
}

// ---- one domain --------------------------------------------------------------------------
async function allSitemaps(domainId) {
  const files = [];
  for (let page = 1; page <= 20; page++) {  // up to 4,000 files; the tree says when cut
    const result = await apiFetch(`/api/v3/sitemap-files/?${new URLSearchParams({ domain_id: domainId, page: String(page), size: '200', sort_by: 'sitemap_url', sort_desc: 'false' })}`);
    files.push(...result.items);
    if (page >= result.pages) return { files, total: result.total };
  }
  return { files, total: files.length };
}

function sitemapTree(files, total) {
  if (!files.length) return el('p', { class: 'empty' }, 'No sitemaps stored for this domain yet: scan it from the Scans page.');
  const children = new Map();
  const ids = new Set(files.map((f) => f.id));
  for (const f of files) {
    const parent = f.parent_sitemap_id && ids.has(f.parent_sitemap_id) ? f.parent_sitemap_id : '';
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(f);
  }
  const branch = (parent) => el('ul', {}, (children.get(parent) || []).map((f) => {
    const state = f.status_code === 304 ? 'not modified' : f.status;
    return el('li', { dataset: { sitemapId: f.id } },
      el('span', { class: 'url-cell mono' }, f.sitemap_url), ' ',
      el('span', { class: 'badge bg-light text-dark border' }, text(f.sitemap_type)), ' ',
      el('span', { class: 'small' }, f.sitemap_type === 'index' ? `${fmtInt(f.url_count)} children` : `${fmtInt(f.url_count)} URLs`), ' ',
      el('span', { class: `small ${f.status === 'Error' ? 'error-text' : 'text-muted'}` }, text(state)),
      f.error_message ? el('div', { class: 'small error-text wrap' }, f.error_message) : null,
      children.has(f.id) ? branch(f.id) : null);
  }));
  return el('div', { class: 'tree' }, branch(''),
    total > files.length ? el('p', { class: 'small text-muted' }, `Showing ${files.length} of ${total} sitemap files.`) : null);
}

function drawChart(canvas, config, points) {
  canvas.dataset.points = String(points);
  if (typeof Chart === 'undefined') return;  // the library failed to load: the counts still show
  charts.push(new Chart(canvas, config));
}

async function lastmodChart(domainId, box) {
  const canvas = el('canvas', { id: 'lastmod-chart', 'aria-label': 'URLs by lastmod month', role: 'img' });
  const note = el('p', { class: 'small text-muted', id: 'lastmod-note' });
  box.replaceChildren(el('div', { class: 'chart-box' }, canvas), note);
  const h = await apiFetch(`/api/v3/domains/${encodeURIComponent(domainId)}/lastmod-months`);
  if (!h.months.length) {
    note.textContent = h.total ? `None of its ${fmtInt(h.total)} URLs has a lastmod.` : 'No URLs stored yet: scan the domain first.';
    drawChart(canvas, { type: 'bar', data: { labels: [], datasets: [] } }, 0);
    return;
  }
  note.textContent = `${fmtInt(h.total)} URLs; ${fmtInt(h.undated)} without a lastmod.`;
  drawChart(canvas, {
    type: 'bar',
    data: { labels: h.months.map((m) => m.month), datasets: [{ label: 'URLs by lastmod month', data: h.months.map((m) => m.url_count), backgroundColor: '#0d6efd' }] },
    options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } } },
  }, h.months.length);
}

async function changesChart(domainId, box) {
  const canvas = el('canvas', { id: 'changes-chart', 'aria-label': 'URLs added, removed and changed per scan', role: 'img' });
  const note = el('p', { class: 'small text-muted', id: 'changes-note' });
  box.replaceChildren(el('div', { class: 'chart-box' }, canvas), note);
  const page = await apiFetch(`/api/v3/jobs?${new URLSearchParams({ domain_id: domainId, size: '50' })}`);
  const scans = page.items.filter((j) => j.status === 'complete').reverse()
    .map((j) => ({ job: j, counts: changeCounts(j) })).filter((s) => s.counts);
  if (!scans.length) {
    note.textContent = 'No change data yet: the counts of added, removed and changed URLs appear here once a re-scan records them.';
    drawChart(canvas, { type: 'bar', data: { labels: [], datasets: [] } }, 0);
    return;
  }
  const labels = scans.map((s) => s.job.completed_at || s.job.created_at);
  const series = (key, label, color) => ({ label, data: scans.map((s) => s.counts[key]), backgroundColor: color });
  note.textContent = `${scans.length} scan${scans.length === 1 ? '' : 's'} with change counts.`;
  drawChart(canvas, {
    type: 'bar',
    data: { labels, datasets: [series('added', 'added', '#198754'), series('removed', 'removed', '#dc3545'), series('changed', 'changed', '#fd7e14')] },
    options: { animation: false, maintainAspectRatio: false },
  }, scans.length);
}

function urlSearch(domainId, box) {
  let current = { url_contains: '', page: 1 };
  const results = el('div', { id: 'url-results' });
  const form = el('form', { class: 'd-flex gap-2 mb-2', id: 'url-search' },
    el('input', { class: 'form-control', name: 'url_contains', type: 'search', placeholder: 'URL contains… (Enter to search)', 'aria-label': 'URL contains' }),
    el('button', { class: 'btn btn-outline-primary', type: 'submit' }, 'Search'));
  const query = (extra = {}) => new URLSearchParams({ page: String(current.page), size: '50',
    ...(current.url_contains ? { url_contains: current.url_contains } : {}), ...extra });
  const download = async (format) => {
    try {
      const response = await apiFetch(`/api/v3/domains/${encodeURIComponent(domainId)}/urls?${query({ format })}`, { raw: true });
      const blob = await response.blob();
      const link = el('a', { href: URL.createObjectURL(blob), download: `urls-page-${current.page}.${format}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    } catch (e) {
      results.prepend(errorBox(e));
    }
  };
  const load = async () => {
    results.replaceChildren(el('p', { class: 'text-muted' }, 'Loading…'));
    let page;
    try {
      page = await apiFetch(`/api/v3/domains/${encodeURIComponent(domainId)}/urls?${query()}`);
    } catch (e) {
      results.replaceChildren(errorBox(e));
      return;
    }
    if (!page.items.length) {
      results.replaceChildren(el('p', { class: 'empty' }, current.url_contains
        ? `No URL contains “${current.url_contains}”.`
        : 'No URLs stored yet: scan the domain first.'));
      return;
    }
    results.replaceChildren(
      el('div', { class: 'd-flex gap-2 align-items-center mb-2' },
        el('span', { class: 'small text-muted' }, `${fmtInt(page.total)} URL${page.total === 1 ? '' : 's'}${current.url_contains ? ` containing “${current.url_contains}”` : ''}`),
        el('button', { class: 'btn btn-sm btn-outline-secondary', type: 'button', id: 'download-csv', on: { click: () => download('csv') } }, 'Download this page (CSV)'),
        el('button', { class: 'btn btn-sm btn-outline-secondary', type: 'button', id: 'download-jsonl', on: { click: () => download('jsonl') } }, 'Download this page (JSONL)')),
      el('table', { class: 'table table-sm', id: 'urls-table' },
        el('thead', {}, el('tr', {}, ['URL', 'lastmod', 'changefreq', 'priority'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, page.items.map((u) => el('tr', {},
          el('td', { class: 'url-cell mono' }, u.url), el('td', {}, text(u.lastmod)),
          el('td', {}, text(u.changefreq)), el('td', {}, text(u.priority)))))),
      pager(page, (n) => { current.page = n; load(); }));
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    current = { url_contains: form.elements.url_contains.value.trim(), page: 1 };
    load();
  });
  box.replaceChildren(form, results);
  load();
}

// A domain's change history (GET /api/v3/domains/{id}/changes): filter by kind, paginated on
// the server, newest scans last as the API orders them (detected_at, sitemap, URL).
function changeHistory(domainId, box) {
  let current = { change: '', page: 1 };
  const results = el('div', { id: 'change-results' });
  const filter = el('select', { class: 'form-select form-select-sm w-auto', name: 'change', 'aria-label': 'change kind' },
    ['', 'added', 'removed', 'changed'].map((k) => el('option', { value: k }, k || 'all changes')));
  filter.addEventListener('change', () => { current = { change: filter.value, page: 1 }; load(); });
  const load = async () => {
    const query = new URLSearchParams({ page: String(current.page), size: '50', ...(current.change ? { change: current.change } : {}) });
    let page;
    try {
      page = await apiFetch(`/api/v3/domains/${encodeURIComponent(domainId)}/changes?${query}`);
    } catch (e) {
      results.replaceChildren(errorBox(e));
      return;
    }
    if (!page.items.length) {
      results.replaceChildren(el('p', { class: 'empty' }, current.change
        ? `No URL was ${current.change} by a re-scan yet.`
        : 'No changes recorded yet: changes are listed from a sitemap\'s second scan on (re-scan the domain).'));
      return;
    }
    results.replaceChildren(
      el('p', { class: 'small text-muted' }, `${fmtInt(page.total)} change${page.total === 1 ? '' : 's'}`),
      el('table', { class: 'table table-sm', id: 'changes-table' },
        el('thead', {}, el('tr', {}, ['detected', 'change', 'URL', 'lastmod', 'previous lastmod', 'sitemap'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, page.items.map((c) => el('tr', { dataset: { change: c.change } },
          el('td', {}, text(c.detected_at)), el('td', {}, badge(c.change)),
          el('td', { class: 'url-cell mono' }, c.url), el('td', {}, text(c.lastmod)),
          el('td', {}, text(c.previous_lastmod)), el('td', { class: 'mono small' }, c.sitemap_url))))),
      pager(page, (n) => { current.page = n; load(); }));
  };
  box.replaceChildren(el('div', { class: 'mb-2' }, filter), results);
  load();
}

// A domain's re-scan interval (GET /api/v3/domains/{id}, PUT .../schedule): empty = the
// server's RESCAN_INTERVAL_HOURS, 0 = never.
function scheduleForm(domainId, box) {
  const status = el('span', { class: 'small text-muted', id: 'schedule-status' });
  const input = el('input', { class: 'form-control form-control-sm w-auto', name: 'rescan_interval_hours', type: 'number', min: '0', step: 'any', placeholder: 'server default', 'aria-label': 'Re-scan every (hours)' });
  const form = el('form', { class: 'd-flex gap-2 align-items-center', id: 'schedule-form' },
    el('label', { class: 'small', for: 'schedule-hours' }, 'Re-scan every'), input, el('span', { class: 'small' }, 'hours'),
    el('button', { class: 'btn btn-sm btn-outline-primary', type: 'submit' }, 'Save'), status);
  input.id = 'schedule-hours';
  const show = (d) => {
    input.value = d.rescan_interval_hours === null ? '' : String(d.rescan_interval_hours);
    status.textContent = d.next_scan_at ? `Next scan ${d.next_scan_at}` : 'No scan scheduled';
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const raw = input.value.trim();
    try {
      show(await apiFetch(`/api/v3/domains/${encodeURIComponent(domainId)}/schedule`, {
        method: 'PUT', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ rescan_interval_hours: raw === '' ? null : Number(raw) }) }));
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
  });
  box.replaceChildren(form);
  apiFetch(`/api/v3/domains/${encodeURIComponent(domainId)}`).then(show).catch((e) => box.replaceChildren(errorBox(e)));
}

async function renderDomain(domainId) {
  const mine = generation;
  const header = el('div', {}, el('h1', { class: 'h4' }, 'Domain'));
  const tree = el('div', { id: 'sitemap-tree' }, el('p', { class: 'text-muted' }, 'Loading…'));
  const lastmod = el('div');
  const changes = el('div');
  const urls = el('div', { id: 'domain-urls' });
  const history = el('div', { id: 'change-history' });
  const scheduleBox = el('div', { id: 'schedule' });
  view.replaceChildren(header, el('section', { class: 'mb-3' }, scheduleBox),
    el('div', { class: 'row g-3 mb-3', id: 'charts' },
      el('section', { class: 'col-lg-6' }, el('h2', { class: 'h6' }, 'URLs by lastmod month'), lastmod),
      el('section', { class: 'col-lg-6' }, el('h2', { class: 'h6' }, 'Added / removed / changed per scan'), changes)),
    el('section', { class: 'mb-3' }, el('h2', { class: 'h5' }, 'Sitemaps'), tree),
    el('section', { class: 'mb-3' }, el('h2', { class: 'h5' }, 'URLs'), urls),
    el('section', {}, el('h2', { class: 'h5' }, 'Change history'), history));
  const guard = (promise, box) => promise.catch((e) => { if (mine === generation) box.replaceChildren(errorBox(e)); });
  const refresh = () => {
    if (mine !== generation) return;
    destroyCharts();
    // The domain's name and last scan come from its newest job (and the tree's files).
    guard(apiFetch(`/api/v3/jobs?${new URLSearchParams({ domain_id: domainId, size: '1' })}`).then((page) => {
      const job = page.items[0];
      // Live while a scan of it runs: tree, charts and header again until it ends.
      if (job && (job.status === 'pending' || job.status === 'running')) schedule(refresh, REFRESH_BUSY_MS);
      if (!job && document.getElementById('domain-name')) return;  // named by its sitemap files
      header.replaceChildren(el('h1', { class: 'h4', id: 'domain-name' }, job ? text(job.domain) : 'Domain'),
        el('p', { class: 'text-muted small' }, job
          ? el('span', {}, 'Last scan ', text(job.created_at), ' ', badge(job.status), ` (${fmtInt(page.total)} scan${page.total === 1 ? '' : 's'} in all)`)
          : 'Never scanned.'));
    }), header);
    guard(allSitemaps(domainId).then(({ files, total }) => {
      tree.replaceChildren(sitemapTree(files, total));
      // A domain added without a scan has no job to name it: its sitemap files do.
      const name = document.getElementById('domain-name');
      if (files.length && files[0].domain_name && (!name || name.textContent === 'Domain')) {
        header.replaceChildren(el('h1', { class: 'h4', id: 'domain-name' }, files[0].domain_name),
          el('p', { class: 'text-muted small' }, 'Never scanned.'));
      }
    }), tree);
    guard(lastmodChart(domainId, lastmod), lastmod);
    guard(changesChart(domainId, changes), changes);
  };
  refresh();
  urlSearch(domainId, urls);
  changeHistory(domainId, history);
  scheduleForm(domainId, scheduleBox);
}

// ---- routing -----------------------------------------------------------------------------
function route() {
  generation += 1;
  clearTimeout(timer);
  destroyCharts();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, queryString] = hash.split('?');
  const params = new URLSearchParams(queryString || '');
  document.querySelectorAll('.navbar .nav-link').forEach((a) => a.classList.remove('active'));
  let rendering;
  if (path.startsWith('/domain/')) {
    rendering = renderDomain(decodeURIComponent(path.slice('/domain/'.length)));
  } else if (path === '/domains') {
    document.getElementById('nav-domains').classList.add('active');
    rendering = renderDomains(params);
  } else {
    document.getElementById('nav-scans').classList.add('active');
    rendering = renderScans();
  }
  rendering.catch((e) => view.replaceChildren(errorBox(e)));
}

window.addEventListener('hashchange', route);
route();
