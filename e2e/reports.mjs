// The daily report, weekly analysis and monthly bulletin with demo data, in
// a real browser: a server on a folder filled by `zhitong demo --orders 3000`
// (90 days of realistic cases), read as the city's leader. Checks what each
// report must show with real volumes — rankings with praise and criticism,
// hot spots with their cases, a trend column per day, names and no codes,
// dates on one line — and saves the README's screenshots of the three.
//
// Run: node e2e/reports.mjs   (ZHITONG_BIN defaults to target/debug/zhitong)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { root, bin, serve, launch, stop } from './walk.mjs';

const shots = join(root, 'docs', 'screenshots');
mkdirSync(shots, { recursive: true });

const data = mkdtempSync(join(tmpdir(), 'zhitong-reports-'));
execFileSync(bin, ['demo', '--orders', '3000', '--seed', '7', '--data', data], { stdio: ['ignore', 'ignore', 'inherit'] });
const { base, server } = await serve(['--data', data]);
const browser = await launch();
let failed = false;
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(base + '/login');
  await page.fill('#username', 'leader@450100');
  await page.fill('#password', 'zhitong-demo');
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));

  // A finished period: last month's bulletin, last week's analysis, yesterday's report.
  const now = new Date(Date.now() + 8 * 3600 * 1000); // Shanghai
  const day = (d) => d.toISOString().slice(0, 10);
  const yesterday = new Date(now - 86400 * 1000);
  const lastWeek = new Date(now - 7 * 86400 * 1000);
  const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15));
  const section = (name) => page.locator('article.report h2', { hasText: name });
  const after = (name) => section(name).locator('xpath=following-sibling::*[1]');

  for (const [period, date] of [['daily', yesterday], ['weekly', lastWeek], ['monthly', lastMonth]]) {
    await page.goto(base + `/reports/${period}?date=${day(date)}`);
    const text = await page.locator('article.report').innerText();
    assert.doesNotMatch(text, /\b45\d{4}(-\d)?\b/, `${period}: a division or line code`);
    assert.doesNotMatch(text, /none/, `${period}: none`);
    assert.match(text, /直通〔\d{4}〕\d+号/, `${period}: 发文字号`);
    assert.match(text, /\d{4}年\d{1,2}月\d{1,2}日/, `${period}: the date under the text`);
    const split = await page.$$eval('article.report td.date', (tds) => tds.filter((td) => td.getClientRects().length > 1 || td.offsetHeight > 30).length);
    assert.equal(split, 0, `${period}: dates on one line`);
    // The trend: one column per day (a daily report shows the week up to it).
    const columns = await page.locator('article.report figure.trend rect').count();
    const days = period === 'daily' ? 7 : period === 'weekly' ? 7 : new Date(Date.UTC(lastMonth.getUTCFullYear(), lastMonth.getUTCMonth() + 1, 0)).getUTCDate();
    assert.equal(columns, days, `${period}: trend columns`);
    // Every figure beside the period before and the change.
    assert.deepEqual(await page.locator('article.report table').first().locator('tr').first().locator('th').allTextContents(), ['指标', '本期', '上期', '增减']);
    if (period === 'daily') {
      assert.ok((await after('分专线受理情况').locator('tbody tr, tr').count()) > 3, 'calls by line');
      assert.match(await after('分专线受理情况').innerText(), /服务企业专线（0771-/, 'lines by name and number');
    }
    if (period === 'weekly') {
      assert.ok(await page.locator('article.report', { hasText: '类诉求' }).count(), 'hot spots named');
      assert.match(await section('问题与建议').locator('xpath=following-sibling::p[1]').innerText(), /^1\. /, '问题与建议 drafted');
    }
    if (period === 'monthly') {
      const ranked = await page.locator('article.report h2:has-text("承办单位排名") ~ table').first().locator('tr').count();
      assert.ok(ranked > 5, `units ranked: ${ranked - 1}`);
      const praise = await page.locator('article.report p', { hasText: /按时办结率/ }).allTextContents();
      assert.ok(praise.length >= 2, 'units praised and criticised by name, with why');
      assert.ok(await page.locator('article.report', { hasText: '（二）通报批评' }).count());
    }
    // Each rate beside the counts it divides; the commission's closed cases named as left out of the rates.
    const narrative = await page.locator('article.report p.narrative').first().innerText();
    const withheld = period === 'monthly' ? '（其中纪检监察机关办理\\d+件，不计入以下比率）' : '(（其中纪检监察机关办理\\d+件，不计入以下比率）)?';
    assert.match(narrative, new RegExp(`办结\\d+件${withheld}，按时办结\\d+件，按时办结率`), `${period}: the counts beside the rate: ${narrative}`);
    assert.match(narrative, /应签收\d+件、按时签收\d+件，响应率/, `${period}: 响应率 with its counts`);
    // The jurisdiction table lists every jurisdiction, zeros included, as the dashboard does (daily report).
    if (period === 'daily') {
      const rows = await after('分类和分辖区受理情况').locator('xpath=following-sibling::table[1]').locator('tr').count();
      assert.equal(rows - 1, 16, 'the city and its 15 counties, each with a row');
    }
    await page.screenshot({ path: join(shots, `report-${period}.png`), fullPage: true });
    console.log(`ok   the ${period} report with demo data`);
  }
  // A period still running (this month) says what it is counted up to, and compares with the same stretch of
  // the month before (上期同期), not with the whole month.
  await page.goto(base + `/reports/monthly?date=${day(now)}`);
  const running = await page.locator('article.report').innerText();
  assert.match(running, /（截至\d{4}年\d{1,2}月\d{1,2}日\d{1,2}时\d{2}分）/, 'a running period says 截至…');
  assert.deepEqual(await page.locator('article.report table').first().locator('tr').first().locator('th').allTextContents(), ['指标', '本期', '上期同期', '增减']);
  assert.match(running, /比上期同期(增加|减少)\d+件|与上期同期持平/, 'compared with the same stretch before');
  console.log('ok   a running period is counted up to now and compared with the same stretch before');
  await ctx.close();
} catch (e) {
  failed = true;
  console.error(`FAIL reports with demo data: ${e.stack || e}`);
} finally {
  await browser.close();
  await stop(server, data);
}
if (failed) process.exit(1);
console.log('the three reports with demo data passed; screenshots in docs/screenshots/report-*.png');
