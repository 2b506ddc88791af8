// Accessibility: axe-core (WCAG 2.1 A and AA) on every page of every role's navigation, a case page and the
// portal, in Chinese and in English, against a demo server with demo cases. Any violation fails.
//
// Run: node e2e/axe.mjs   (ZHITONG_BIN defaults to $CARGO_TARGET_DIR/debug/zhitong)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target');
const bin = process.env.ZHITONG_BIN || join(targetDir, 'debug', 'zhitong');
const axe = readFileSync(join(root, 'e2e', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

const port = await new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const base = `http://127.0.0.1:${port}`;
const data = mkdtempSync(join(tmpdir(), 'zhitong-axe-'));
execFileSync(bin, ['demo', '--orders', '300', '--days', '30', '--data', data], { stdio: 'ignore' });
const server = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data', data], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, RUST_LOG: 'warn', ZHITONG_JOBS_ENABLED: 'false' } });
for (let i = 0; ; i++) {
  try { if ((await fetch(base + '/healthz')).ok) break; } catch (_) { /* not yet */ }
  if (i > 300) throw new Error('server did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const users = ['agent@450100', 'supervisor@450100', 'handler@450100-XZSP', 'discipline@450100', 'leader@450100', 'admin'];
let pages = 0;
const problems = [];
async function check(page, label) {
  // axe is injected past the Content-Security-Policy (bypassCSP): the product's own pages never run inline script.
  await page.addScriptTag({ content: axe });
  const r = await page.evaluate(async () => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  pages++;
  for (const v of r.violations) problems.push(`${label}: ${v.id} (${v.impact}) ×${v.nodes.length}: ${v.help} — ${v.nodes[0].target.join(' ')}`);
}
for (const lang of ['zh', 'en']) {
  const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  await page.goto(base + '/lang/' + lang);
  await page.goto(base + '/login');
  await check(page, `${lang} /login`);
  await page.goto(base + '/portal');
  await check(page, `${lang} /portal`);
  for (const user of users) {
    await ctx.clearCookies();
    await page.goto(base + '/lang/' + lang);
    await page.goto(base + '/login');
    await page.fill('#username', user);
    await page.fill('#password', 'zhitong-demo');
    await page.click('button[type=submit]');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    const hrefs = await page.$$eval('nav.main a', (as) => as.map((a) => a.getAttribute('href')));
    for (const h of [...new Set([...hrefs, '/messages', '/password', '/cases/999999'])]) {
      await page.goto(base + h);
      await check(page, `${lang} ${user} ${h}`);
      // Every tab of a queue (the supervision board's, the unit inbox's, the discipline inbox's).
      const tabs = await page.$$eval('nav.tabs a', (as) => as.map((a) => a.getAttribute('href')));
      for (const t of tabs.slice(1)) {
        await page.goto(base + t);
        await check(page, `${lang} ${user} ${t}`);
      }
    }
    const caseLink = await page.goto(base + '/queue/all').then(() => page.$('table.list a[href^="/cases/"]'));
    if (caseLink) {
      await page.goto(base + await caseLink.getAttribute('href'));
      await check(page, `${lang} ${user} case page`);
    }
  }
  await ctx.close();
}
await browser.close();
server.kill();
rmSync(data, { recursive: true, force: true });
console.log(problems.join('\n'));
console.log(`axe-core (WCAG 2.1 A/AA): ${pages} pages, ${problems.length} violations`);
if (problems.length) process.exit(1);
