// The dashboard in a real browser (docs/dashboard.md, "Tests"): Debian's headless Chromium
// driven by playwright-core against `scrapersky serve` on loopback (SQLite in a temp dir)
// and a loopback fixture site. Starts a scan from the form, waits for its row to reach
// `complete` with the right counts, opens the domain, checks the lastmod chart is drawn with
// data and the changes chart with the first scan, searches URLs, re-scans the changed site and
// sees +1 −1 ~1 in the row and a second bar group in the chart, shows a hostile URL as text
// with no script run, reads /docs, and signs in through the prompt when keys are configured.
// Fails on any console error, page error, failed request or HTTP error response (except the
// one 401 that brings the sign-in prompt). Screenshots go to $ARTIFACTS (default
// build/browser-artifacts/).
// Usage: node dashboard.test.mjs <path to scrapersky binary>
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const binary = process.argv[2];
if (!binary) { console.error('usage: node dashboard.test.mjs <scrapersky binary>'); process.exit(2); }
const artifacts = process.env.ARTIFACTS || path.resolve('build/browser-artifacts');
mkdirSync(artifacts, { recursive: true });
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const DEADLINE_MS = 60000;

let passed = 0;
let failed = 0;
const cleanups = [];

// ---- the fixture site --------------------------------------------------------------------
const HOSTILE_PATH = '/x?q="><svg/onload=alert(1)>';
// After the first scan the site changes: /post/5 added, /about removed, /post/1 with a new lastmod.
let siteChanged = false;
function fixtureSite() {
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    const xml = (body) => { res.writeHead(200, { 'Content-Type': 'application/xml' }); res.end(body); };
    const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const urlset = (entries) => `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${
      entries.map(([loc, lastmod]) => `<url><loc>${esc(loc)}</loc>${lastmod ? `<lastmod>${lastmod}</lastmod>` : ''}</url>`).join('\n')}\n</urlset>\n`;
    if (req.url === '/robots.txt') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`User-agent: *\nAllow: /\nSitemap: ${base}/sitemap_index.xml\n`);
    } else if (req.url === '/sitemap_index.xml') {
      xml(`<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n<sitemap><loc>${base}/posts.xml</loc></sitemap>\n<sitemap><loc>${base}/pages.xml</loc></sitemap>\n</sitemapindex>\n`);
    } else if (req.url === '/posts.xml') {
      xml(urlset([[`${base}/post/1`, siteChanged ? '2026-02-01' : '2025-11-03'], [`${base}/post/2`, '2025-12-24'],
        [`${base}/post/3`, '2026-01-05'], [`${base}/post/4`, '2026-01-20T10:00:00+00:00'], [`${base}/blog/alpha`, '2026-01-21'],
        ...(siteChanged ? [[`${base}/post/5`, '2026-02-02']] : [])]));
    } else if (req.url === '/pages.xml') {
      xml(urlset([...(siteChanged ? [] : [[`${base}/about`, null]]), [`${base}/contact`, '2025-12-01'],
        [`${base}${HOSTILE_PATH}`, '2025-12-02']]));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---- scrapersky serve --------------------------------------------------------------------
async function run(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}: ${out}`))));
  });
}

async function serve(name, extraEnv = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), `scrapersky-browser-${name}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    DATABASE_URL: `sqlite:///${dir}/dashboard.db`,
    SCRAPERSKY_ALLOW_PRIVATE_TARGETS: 'true',
    API_KEYS: '', JWT_SECRET_KEY: '',
    ...extraEnv,
  };
  await run(['migrate'], env);
  const child = spawn(binary, ['serve', '--host', '127.0.0.1', '--port', '0'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => child.kill('SIGTERM'));
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const onData = (d) => {
      log += d;
      const m = log.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${log}`)));
    setTimeout(() => reject(new Error(`serve did not listen: ${log}`)), 20000);
  });
  const base = `http://127.0.0.1:${port}`;
  // Ready once the database gate opened.
  const until = Date.now() + DEADLINE_MS;
  for (;;) {
    const r = await fetch(`${base}/readyz`).catch(() => null);
    if (r && r.ok) break;
    if (Date.now() > until) throw new Error('serve never became ready');
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return base;
}

// ---- the browser -------------------------------------------------------------------------
function watch(page, allowed = () => false) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' && !allowed(m.text())) problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`a dialog opened (script ran?): ${d.message()}`); d.dismiss(); });
  page.on('requestfailed', (r) => { if (!r.url().startsWith('blob:')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
  page.on('response', (r) => { if (r.status() >= 400 && !allowed(`${r.status()} ${r.url()}`)) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return problems;
}

async function step(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(e.stack || e).split('\n').join('\n  ')}`);
  }
}

function expect(condition, message) { if (!condition) throw new Error(message); }

async function main() {
  const site = await fixtureSite();
  cleanups.push(() => site.close());
  const siteBase = `http://127.0.0.1:${site.address().port}`;
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  cleanups.push(() => browser.close());

  const open = await serve('open');
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(DEADLINE_MS);
  const problems = watch(page);
  let domainId = null;

  await step('the scans view starts a scan from the form and its row reaches complete with the right counts', async () => {
    await page.goto(`${open}/`);
    await page.waitForSelector('text=No scans yet: enter a site above.');
    await page.screenshot({ path: `${artifacts}/01-scans-empty.png`, fullPage: true });
    await page.fill('form#scan-form input[name=target]', `${siteBase}/`);
    await page.click('form#scan-form button[type=submit]');
    const row = page.locator('tr[data-job-id]').first();
    await row.waitFor();
    await page.waitForSelector('tr[data-job-id][data-status=complete]', { timeout: DEADLINE_MS });
    const done = page.locator('tr[data-job-id][data-status=complete]').first();
    const sitemaps = (await done.locator('td.sitemaps').textContent()).trim();
    const urls = (await done.locator('td.urls').textContent()).trim();
    expect(sitemaps === '3 / 3', `sitemaps done/found: ${sitemaps}`);
    expect(urls === '8', `URLs stored: ${urls}`);
    await page.screenshot({ path: `${artifacts}/02-scans-complete.png`, fullPage: true });
  });

  await step('the domains view lists the domain as a link named after it and searches on the server', async () => {
    await page.click('#nav-domains');
    const link = page.locator('#domains-table a', { hasText: '127.0.0.1' });
    await link.first().waitFor();
    await page.screenshot({ path: `${artifacts}/03-domains.png`, fullPage: true });
    await page.fill('#domain-search input[name=q]', 'no-such-domain');
    await page.press('#domain-search input[name=q]', 'Enter');
    await page.waitForSelector('text=No domain matches');
    await page.fill('#domain-search input[name=q]', '127.0');
    await page.press('#domain-search input[name=q]', 'Enter');
    await link.first().click();
    await page.waitForSelector('#lastmod-chart');
    domainId = decodeURIComponent(page.url().split('#/domain/')[1]);
  });

  await step('the domain page draws the lastmod chart and the first scan in the change chart', async () => {
    await page.waitForSelector('#lastmod-chart[data-points]');
    const points = Number(await page.getAttribute('#lastmod-chart', 'data-points'));
    expect(points === 3, `lastmod months drawn: ${points}`);  // 2025-11, 2025-12, 2026-01
    const drawn = await page.evaluate(() => {
      const c = document.getElementById('lastmod-chart');
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked += 1;
      return inked;
    });
    expect(drawn > 1000, `lastmod canvas has ${drawn} painted pixels`);
    await page.waitForSelector('#changes-chart[data-points="1"]');
    const note = await page.textContent('#changes-note');
    expect(note.includes('1 scan with change counts'), `changes note: ${note}`);
    await page.waitForSelector('#sitemap-tree li[data-sitemap-id]');
    const tree = await page.locator('#sitemap-tree li[data-sitemap-id]').count();
    expect(tree === 3, `sitemap tree nodes: ${tree}`);
    await page.waitForSelector('#urls-table');
    await page.screenshot({ path: `${artifacts}/04-domain.png`, fullPage: true });
  });

  await step('the URL search lists matches as text and a hostile URL runs no script', async () => {
    await page.fill('input[name=url_contains]', 'post/');
    await page.press('input[name=url_contains]', 'Enter');
    await page.waitForSelector('text=4 URLs containing');
    const listed = await page.locator('#urls-table tbody tr').count();
    expect(listed === 4, `URLs listed for post/: ${listed}`);
    await page.fill('input[name=url_contains]', 'svg');
    await page.press('input[name=url_contains]', 'Enter');
    await page.waitForSelector('text=1 URL containing');
    const cell = await page.locator('#urls-table tbody td.url-cell').first().textContent();
    expect(cell.includes('<svg/onload=alert(1)>'), `hostile URL shown as: ${cell}`);
    expect(await page.locator('svg').count() === 0, 'an <svg> element was created from data');
    const download = page.waitForEvent('download');
    await page.click('#download-csv');
    const file = await download;
    const csvPath = `${artifacts}/urls-page.csv`;
    await file.saveAs(csvPath);
    const { readFileSync } = await import('node:fs');
    const csv = readFileSync(csvPath, 'utf8').trim().split('\r\n');
    expect(csv.length === 2 && csv[1].includes('svg/onload'), `CSV download: ${csv.join(' | ')}`);
    await page.screenshot({ path: `${artifacts}/05-domain-url-search.png`, fullPage: true });
  });

  await step('a re-scan after the site changed shows what changed in its row and in the change chart', async () => {
    siteChanged = true;
    await page.goto(`${open}/`);
    await page.fill('form#scan-form input[name=target]', `${siteBase}/`);
    await page.click('form#scan-form button[type=submit]');
    // (a locator, not waitForFunction: the CSP forbids the eval that one needs)
    await page.locator('tr[data-job-id][data-status=complete]').nth(1).waitFor({ timeout: DEADLINE_MS });
    const newest = page.locator('tr[data-job-id]').first();
    const changes = (await newest.locator('td.changes').textContent()).trim();
    expect(changes === '+1 −1 ~1', `added/removed/changed of the re-scan: ${changes}`);
    await page.screenshot({ path: `${artifacts}/05b-scans-after-rescan.png`, fullPage: true });
    await newest.locator('a').first().click();
    await page.waitForSelector('#changes-chart[data-points="2"]', { timeout: DEADLINE_MS });
    const note = await page.textContent('#changes-note');
    expect(note.includes('2 scans with change counts'), `changes note after the re-scan: ${note}`);
    await page.waitForSelector('text=8 URLs');  // 8 listed: /post/5 added, /about removed (kept as history)
    expect(await page.locator('#urls-table td.url-cell', { hasText: '/about' }).count() === 0, 'a removed URL is listed');
    // The change history lists the first scan's 8 URLs as added, then the three rows of the
    // re-scan; the filter asks the server again.
    await page.locator('#changes-table tbody tr').nth(10).waitFor({ timeout: DEADLINE_MS });
    const kinds = await page.locator('#changes-table tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.change));
    const count = (kind) => kinds.filter((k) => k === kind).length;
    expect(kinds.length === 11 && count('added') === 9 && count('changed') === 1 && count('removed') === 1,
           `change history rows: ${kinds.join(',')}`);
    await page.selectOption('#change-history select[name=change]', 'removed');
    await page.waitForSelector('#changes-table tbody tr[data-change=removed]');
    const removed = await page.locator('#changes-table tbody tr').count();
    const removedUrl = await page.locator('#changes-table td.url-cell').first().textContent();
    expect(removed === 1 && removedUrl.endsWith('/about'), `removed filter: ${removed} rows, ${removedUrl}`);
    // The schedule: no interval (and none on the server), then every 12 hours from the last complete scan.
    await page.waitForSelector('#schedule-status:has-text("No scan scheduled")');
    await page.fill('#schedule-form input[name=rescan_interval_hours]', '12');
    await page.click('#schedule-form button[type=submit]');
    await page.waitForSelector('#schedule-status:has-text("Next scan 20")');
    await page.screenshot({ path: `${artifacts}/05c-domain-after-rescan.png`, fullPage: true });
    await page.click('#nav-domains');
    const next = page.locator('#domains-table td.next-scan').first();
    await next.waitFor();
    const nextText = (await next.textContent()).trim();
    expect(/^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(nextText), `next scan in the domain list: ${nextText}`);
    await page.screenshot({ path: `${artifacts}/05d-domains-next-scan.png`, fullPage: true });
  });

  await step('/docs renders every operation of /openapi.json with an example', async () => {
    await page.goto(`${open}/docs`);
    await page.waitForSelector('.docs-op');
    const doc = await (await fetch(`${open}/openapi.json`)).json();
    const operations = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    const shown = await page.locator('.docs-op').count();
    expect(shown === operations, `operations shown ${shown} of ${operations}`);
    expect(await page.locator('#get_api_v3_sitemap_status_job_id pre.example').count() >= 1, 'no example for the job status');
    await page.screenshot({ path: `${artifacts}/06-docs.png` });
  });

  await step('no console error, page error or failed request in the open-mode session', async () => {
    expect(problems.length === 0, problems.join('\n'));
  });

  await step('with API keys configured the dashboard asks for one, keeps it and loads', async () => {
    const secured = await serve('keys', { API_KEYS: 'browser-test-key' });
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const p = await ctx.newPage();
    p.setDefaultTimeout(DEADLINE_MS);
    // The one expected failure: the first call without a key answers 401 (which Chromium logs).
    const allowed = (t) => /401/.test(t);
    const authProblems = watch(p, allowed);
    await p.goto(`${secured}/`);
    await p.waitForSelector('#auth-dialog:not([hidden])');
    await p.screenshot({ path: `${artifacts}/07-auth-prompt.png` });
    await p.fill('#auth-form input[name=credential]', 'wrong-key');
    await p.press('#auth-form input[name=credential]', 'Enter');
    await p.waitForSelector('text=That key or token was refused');
    await p.fill('#auth-form input[name=credential]', 'browser-test-key');
    await p.press('#auth-form input[name=credential]', 'Enter');
    await p.waitForSelector('text=No scans yet: enter a site above.');
    expect(await p.evaluate(() => sessionStorage.getItem('scrapersky.credential')) === 'browser-test-key', 'key not kept in sessionStorage');
    await p.reload();
    await p.waitForSelector('text=No scans yet: enter a site above.');
    expect(await p.locator('#auth-dialog').isHidden(), 'asked again after a reload in the same tab');
    await p.screenshot({ path: `${artifacts}/08-signed-in.png` });
    expect(authProblems.length === 0, authProblems.join('\n'));
    await ctx.close();
  });
}

try {
  await main();
} catch (e) {
  failed += 1;
  console.log(`not ok - setup\n  ${e.stack || e}`);
} finally {
  for (const fn of cleanups.reverse()) { try { await fn(); } catch (e) { /* already gone */ } }
}
console.log(`browser: ${passed} passed, ${failed} failed (screenshots in ${artifacts})`);
process.exit(failed ? 1 : 0);
