// Every page of every role, in one place, for the checks that read them all (axe.mjs: accessibility;
// english.mjs: no Chinese interface text on English pages): a demo server with demo cases, and a walk
// through sign-in, the portal, each role's navigation, its messages and account pages, a page that is not
// found, every tab of every queue and a case page — in the language asked for.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target');
export const bin = process.env.ZHITONG_BIN || join(targetDir, 'debug', 'zhitong');

export const users = ['agent@450100', 'supervisor@450100', 'handler@450100-XZSP', 'discipline@450100', 'leader@450100', 'admin', 'security_admin', 'auditor'];

/// `zhitong serve` on a free loopback port with these further arguments (and environment), once it answers
/// `/healthz`: `{ base, server }`. Every browser check starts its server here.
export async function serve(args, env = {}) {
  const port = await new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, RUST_LOG: 'warn', ...env } });
  for (let i = 0; ; i++) {
    try { if ((await fetch(base + '/healthz')).ok) break; } catch (_) { /* not yet */ }
    if (i > 300) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, server };
}

/// Stop a server and wait until it has exited (it writes the audit anchor as it stops), then remove its folder.
export async function stop(server, data) {
  if (server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((res) => server.once('exit', res));
    server.kill();
    await exited;
  }
  if (data) rmSync(data, { recursive: true, force: true, maxRetries: 5 });
}

/// Debian's Chromium (never a downloaded browser), headless.
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// A server on a fresh folder holding the demo organisation and `orders` demo cases of the last 30 days, and
/// Chromium; `close()` stops both and removes the folder.
export async function demo(orders = 300) {
  const data = mkdtempSync(join(tmpdir(), 'zhitong-walk-'));
  execFileSync(bin, ['demo', '--orders', String(orders), '--days', '30', '--data', data], { stdio: 'ignore' });
  const { base, server } = await serve(['--data', data], { ZHITONG_JOBS_ENABLED: 'false' });
  const browser = await launch();
  const close = async () => { await browser.close(); await stop(server, data); };
  return { base, browser, close };
}

/// Opens every page in `lang` (`zh` or `en`) and calls `visit(page, label)` on each once it has loaded.
/// `more(user)` adds pages of a user's own to the walk (none by default); `waitUntil` is Playwright's.
export async function walk({ base, browser }, lang, visit, { more = () => [], waitUntil = 'load' } = {}) {
  const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  const open = async (href, label) => { await page.goto(base + href, { waitUntil }); await visit(page, label); };
  await page.goto(base + '/lang/' + lang);
  await open('/login', `${lang} /login`);
  await open('/portal', `${lang} /portal`);
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
      await open(h, `${lang} ${user} ${h}`);
      // Every tab of a queue (the supervision board's, the unit inbox's, the discipline inbox's).
      const tabs = await page.$$eval('nav.tabs a', (as) => as.map((a) => a.getAttribute('href')));
      for (const t of tabs.slice(1)) await open(t, `${lang} ${user} ${t}`);
    }
    const caseLink = await page.goto(base + '/queue/all').then(() => page.$('table.list a[href^="/cases/"]'));
    if (caseLink) await open(await caseLink.getAttribute('href'), `${lang} ${user} case page`);
    for (const h of await more(user, page)) await open(h, `${lang} ${user} ${h}`);
  }
  await ctx.close();
}
