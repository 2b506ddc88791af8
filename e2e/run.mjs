// End-to-end tests in a real browser (Debian's Chromium, driven by
// playwright-core; never a downloaded browser). Starts the real server with
// the demo organisation on a fresh SQLite folder, walks through the UI as
// each role, and saves screenshots of the main screens to docs/screenshots/.
//
// Run: node e2e/run.mjs   (ZHITONG_BIN defaults to target/debug/zhitong)
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import net from 'node:net';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target');
const bin = process.env.ZHITONG_BIN || join(targetDir, 'debug', 'zhitong');
const shots = join(root, 'docs', 'screenshots');
mkdirSync(shots, { recursive: true });

const port = await new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const base = `http://127.0.0.1:${port}`;
const data = mkdtempSync(join(tmpdir(), 'zhitong-e2e-'));
const server = spawn(bin, ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--data', data], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, RUST_LOG: 'warn' } });
for (let i = 0; ; i++) {
  try { if ((await fetch(base + '/healthz')).ok) break; } catch (_) { /* not yet */ }
  if (i > 300) throw new Error('server did not start');
  await new Promise((r) => setTimeout(r, 100));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failures = 0;
const results = [];

async function as(user, password = 'zhitong-demo') {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(base + '/login');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, name + '.png'), fullPage: false });
}

/// Open the action on a case page and submit it with the given fields.
async function act(page, label, fill = async () => {}) {
  const box = page.locator('details', { has: page.locator('summary', { hasText: new RegExp('^' + label + '$') }) });
  if (!(await box.getAttribute('open').catch(() => null) !== null)) await box.locator('summary').click();
  await fill(box);
  await submitAndReload(page, box);
}

/// Submit a form that reloads the page on success and shows an error otherwise.
async function submitAndReload(page, form) {
  const loaded = page.waitForEvent('load').then(() => 'ok');
  await form.locator('button[type=submit], button').first().click();
  const failed = form.locator('.error').filter({ hasText: /\S/ }).waitFor().then(async () => 'error: ' + (await form.locator('.error').textContent()));
  assert.equal(await Promise.race([loaded, failed]), 'ok');
}

async function openCase(page, queue, number) {
  await page.goto(base + queue);
  await page.locator('tr', { hasText: number }).locator('a').first().click();
  await page.waitForURL(/\/cases\//);
}

async function test(name, fn) {
  const t = Date.now();
  try { await fn(); results.push(`ok   ${name} (${Date.now() - t} ms)`); }
  catch (e) { failures++; results.push(`FAIL ${name}: ${e.stack || e}`); }
}

await test('a help request through its whole life, in the UI', async () => {
  const agent = await as('agent@450100');
  assert.match(agent.url(), /\/agent$/);
  await agent.selectOption('#line', '450100-2');
  await agent.check('input[name=kind][value=help]');
  await agent.fill('#uscc', '91450107MA5K');
  await agent.fill('#ename', '南宁市直通测试科技有限公司');
  await agent.fill('#uscc', '91450107MA5KE0EQ2B');
  await agent.fill('#ephone', '13807710001');
  await agent.fill('#econtact', '黄建华');
  await agent.fill('#cname', '黄建华');
  await agent.fill('#cphone', '13807710001');
  await agent.selectOption('#topic', 'XZSP');
  await agent.fill('#title', '办理营业执照变更遇阻');
  await agent.fill('#content', '企业反映在办理营业执照变更时多次被要求补充材料，希望尽快办理。');
  await agent.waitForFunction(() => document.querySelector('#preview').textContent.includes('工作日'));
  await shot(agent, 'agent-console');
  // A wrong credit code: the form says why, names the field, keeps everything.
  await agent.fill('#uscc', '91350203M0001QAY9B');
  await agent.keyboard.press('Control+Enter');
  await agent.waitForFunction(() => document.querySelector('#form-error').textContent.includes('校验位'));
  assert.equal(await agent.inputValue('#title'), '办理营业执照变更遇阻');
  assert.ok(await agent.locator('#uscc.invalid').count());
  await agent.fill('#uscc', '91450107MA5KE0EQ2B');
  await agent.click('#intake button[type=submit]');
  await agent.waitForSelector('#created:not([hidden])');
  const number = (await agent.textContent('#created-link')).split(' ')[0];
  assert.match(number, /^ZTC-\d{8}-\d{4,}$/);

  const sup = await as('supervisor@450100');
  assert.match(sup.url(), /\/queue\/dispatch/);
  const row = sup.locator('tr', { hasText: number });
  await row.locator('select[name=lead]').selectOption('450100-SCJG');
  await submitAndReload(sup, row.locator('form'));
  await shot(sup, 'dispatch-queue');

  const wrong = await as('handler@450100-SCJG');
  await openCase(wrong, '/queue/unit', number);
  await act(wrong, '退单', (b) => b.locator('textarea[name=reason]').fill('营业执照变更属行政审批局职责'));

  await sup.goto(base + '/queue/dispatch');
  await sup.locator('tr', { hasText: number }).locator('.note', { hasText: '行政审批局' }).waitFor();
  await openCase(sup, '/queue/dispatch', number);
  await act(sup, '派单', async (b) => {
    await b.locator('select[name=lead]').selectOption('450100-XZSP');
    await b.locator('select[name=assist]').selectOption(['450100-SCJG']);
  });

  const unit = await as('handler@450100-XZSP');
  await unit.goto(base + '/queue/unit');
  await shot(unit, 'unit-inbox');
  await openCase(unit, '/queue/unit', number);
  await act(unit, '签收');
  await act(unit, '答复', (b) => b.locator('textarea[name=text]').fill('已为企业办理营业执照变更。'));
  await shot(unit, 'case-page');

  await openCase(sup, '/queue/review', number);
  await act(sup, '审核通过');

  await openCase(agent, '/queue/follow-up', number);
  await act(agent, '回访', async (b) => { await b.locator('input[value=unsatisfied]').check(); await b.locator('input[name=note]').fill('企业表示执照仍未拿到'); });
  await agent.goto(base + '/queue/follow-up');
  await shot(agent, 'follow-up-queue');
  await openCase(agent, '/queue/follow-up', number);
  await act(agent, '重办', (b) => b.locator('input[name=reason]').fill('请尽快发放执照'));

  await openCase(unit, '/queue/unit', number);
  await act(unit, '答复', (b) => b.locator('textarea[name=text]').fill('执照已当面发放。'));
  await openCase(sup, '/queue/review', number);
  await act(sup, '审核通过');
  await openCase(agent, '/queue/follow-up', number);
  await act(agent, '回访', async (b) => { await b.locator('input[value=satisfied]').check(); await b.locator('input[name=resolved]').check(); });
  assert.equal((await agent.textContent('.state')).trim(), '已办结');
  const timeline = await agent.locator('.timeline li').count();
  assert.ok(timeline >= 12, `timeline has ${timeline} steps`);

  await sup.goto(base + '/queue/supervision?tab=returned');
  await shot(sup, 'supervision-board');
  const leader = await as('leader@450100');
  await shot(leader, 'leader-view');
  await leader.goto(base + '/reports/monthly');
  assert.ok(await leader.locator('article.report svg').count() >= 2, 'charts drawn by the server');
  await shot(leader, 'monthly-bulletin');
  await leader.goto(base + '/dashboard');
  await shot(leader, 'dashboard');
  const admin = await as('admin');
  const create = admin.locator('form[data-url="/api/v1/admin/users"]');
  await create.locator('input[name=username]').fill('li.agent');
  await create.locator('input[name=display_name]').fill('李座席');
  await create.locator('select[name=role]').selectOption('agent');
  await create.locator('input[name=password]').fill('short');
  await create.locator('button[type=submit]').click();
  await create.locator('.error', { hasText: '密码至少10位' }).waitFor();
  await create.locator('input[name=password]').fill('a-long-password');
  await submitAndReload(admin, create);
  await admin.locator('td', { hasText: 'li.agent' }).waitFor();
  await shot(admin, 'admin');
  const li = await as('li.agent', 'a-long-password');
  assert.match(li.url(), /\/agent$/, 'the new account signs in');
  await li.context().close();
  for (const p of [agent, sup, wrong, unit, leader, admin]) await p.context().close();
});

await test('a complaint only the discipline commission sees', async () => {
  const agent = await as('agent@450100');
  await agent.check('input[name=kind][value=complaint]');
  await agent.fill('#ename', '南宁市邕江商贸有限公司');
  await agent.fill('#uscc', '91450100MA5L000000'.slice(0, 17) + 'X');
  await agent.fill('#uscc', '');
  await agent.fill('#ephone', '13807710009');
  await agent.fill('#cname', '匿名');
  await agent.fill('#cphone', '13807710009');
  await agent.fill('#title', '投诉某窗口工作人员吃拿卡要');
  await agent.fill('#content', '办理许可时被暗示需要请客送礼。');
  await agent.click('#intake button[type=submit]');
  await agent.waitForSelector('#created:not([hidden])');
  const link = await agent.getAttribute('#created-link', 'href');
  const number = (await agent.textContent('#created-link')).split(' ')[0];

  const disc = await as('discipline@450100');
  assert.match(disc.url(), /\/queue\/discipline/);
  await disc.locator('tr', { hasText: number }).waitFor();
  await shot(disc, 'discipline-inbox');

  const sup = await as('supervisor@450100');
  await sup.goto(base + '/queue/all?q=' + encodeURIComponent(number));
  assert.equal(await sup.locator('tr', { hasText: number }).count(), 0, 'not in the supervisor\'s lists');
  const res = await sup.goto(base + link);
  assert.equal(res.status(), 404);
  await agent.goto(base + '/queue/all?q=' + encodeURIComponent(number));
  assert.equal(await agent.locator('tr', { hasText: number }).count(), 0, 'not even for the agent who recorded it');
  for (const p of [agent, disc, sup]) await p.context().close();
});

await test('the enterprise portal: submit, track, rate', async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' }); // a phone
  const page = await ctx.newPage();
  await page.goto(base + '/portal');
  await page.selectOption('#p-kind', 'help');
  await page.fill('#p-name', '南宁市五象新材料有限公司');
  await page.fill('#p-uscc', '91450100MA5K0000XX');
  await page.fill('#p-contact', '韦丽娟');
  await page.fill('#p-phone', '13907710005');
  await page.fill('#p-title', '厂房用电报装进度慢');
  await page.fill('#p-content', '申请用电报装已两个月仍未接通。');
  await page.click('#portal button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#form-error').textContent.length > 0);
  assert.ok(await page.locator('#p-uscc.invalid').count(), 'the wrong credit code is named');
  await page.fill('#p-uscc', '91450107MA5KE0EQ2B');
  await page.click('#portal button[type=submit]');
  await page.waitForSelector('#receipt:not([hidden])');
  await shot(page, 'portal');
  const number = await page.textContent('#r-number');
  const code = await page.textContent('#r-code');
  await page.click('#r-track');
  assert.equal((await page.textContent('#t-state')).trim(), '待派单');

  // Staff handle it (through the API, as in the tests above), then the enterprise rates it.
  const login = async (u) => (await (await fetch(base + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: 'zhitong-demo' }) })).json()).token;
  const act = async (token, o, body) => {
    const r = await fetch(`${base}/api/v1/work-orders/${o.id}/actions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify({ ...body, version: o.version }) });
    assert.equal(r.status, 200, await r.clone().text());
    return r.json();
  };
  const sup = await login('supervisor@450100');
  const list = await (await fetch(`${base}/api/v1/work-orders?q=${number}`, { headers: { authorization: 'Bearer ' + sup } })).json();
  let o = list.items[0];
  const unit = await login('handler@450100-FG');
  o = await act(sup, o, { action: 'dispatch', units: ['450100-FG'] });
  o = await act(unit, o, { action: 'accept' });
  o = await act(unit, o, { action: 'reply', text: '已协调供电部门，本周内接通。' });
  o = await act(sup, o, { action: 'approve_reply' });
  await page.reload();
  assert.equal((await page.textContent('#t-state')).trim(), '待回访');
  await page.check('#rate input[value=satisfied]');
  await page.click('#rate button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#t-state').textContent.includes('已办结'));
  await shot(page, 'portal-track');
  await ctx.close();
});

await test('the knowledge base answers a consultation on the call, found by Chinese search', async () => {
  // A supervisor writes an answer and publishes it.
  const sup = await as('supervisor@450100');
  await sup.goto(base + '/knowledge');
  const form = sup.locator('form.kb');
  await form.locator('[name=title]').fill('营业执照变更登记办理指南');
  await form.locator('[name=body]').fill('企业办理营业执照变更登记，可通过广西数字政务一体化平台全程网办，材料齐全的3个工作日内办结。');
  await form.locator('[name=topic]').selectOption('XZSP');
  await form.locator('[name=links]').fill('办事指南 | /docs/yyzz-bg.pdf');
  await form.locator('button[type=submit]').click();
  await sup.waitForURL(/\/knowledge\?id=\d+/);
  await submitAndReload(sup, sup.locator('form.api', { hasText: '发布' }));
  assert.match(await sup.textContent('section.card h2'), /已发布/);
  await shot(sup, 'knowledge');

  // The agent finds it while on the call, reads it out, and the case records which answer was used.
  const agent = await as('agent@450100');
  await agent.check('input[name=kind][value=consultation]');
  await agent.fill('#uscc', '91450107MA5KE0EQ2B');
  await agent.fill('#ename', '南宁市直通测试科技有限公司');
  await agent.fill('#econtact', '黄建华');
  await agent.fill('#cname', '黄建华');
  await agent.fill('#cphone', '13807710001');
  await agent.fill('#title', '咨询营业执照变更要多久');
  await agent.fill('#content', '公司想变更经营范围，问营业执照变更需要什么材料、多久办好。');
  await agent.locator('#kb-list li', { hasText: '营业执照变更登记办理指南' }).waitFor();
  await agent.fill('#kb-q', '营业执照变更');
  const hit = agent.locator('#kb-list li', { hasText: '营业执照变更登记办理指南' });
  assert.ok(await hit.locator('b').count(), 'matched words are highlighted');
  await agent.click('#intake button[type=submit]');
  await agent.waitForSelector('#answer-form:not([hidden])');
  await hit.locator('button').click();
  await agent.waitForFunction(() => document.querySelector('#answer-text').value.includes('全程网办'));
  assert.match(await agent.textContent('#kb-chosen'), /营业执照变更登记办理指南 v2/);
  await shot(agent, 'console-knowledge');
  await agent.click('#answer-form button[type=submit]');
  await agent.waitForFunction(() => document.querySelector('#created-deadline').textContent.includes('已答复'));
  const id = (await agent.getAttribute('#created-link', 'href')).split('/').pop();
  const history = await agent.evaluate(async (id) => (await fetch(`/api/v1/work-orders/${id}/history`)).json(), id);
  const answered = history.find((e) => e.action === 'answer');
  assert.ok(JSON.stringify(answered).includes('"article":'), JSON.stringify(answered));

  // Full-text search: segmented words, highlighted; the case is found by what was answered.
  await agent.goto(base + '/search?q=' + encodeURIComponent('全程网办'));
  assert.ok(await agent.locator('.hit', { hasText: '咨询营业执照变更要多久' }).count(), 'the answered case is found by its answer');
  assert.ok(await agent.locator('.hit b', { hasText: '网办' }).count(), 'matched words are highlighted');
  await shot(agent, 'search');

  // Admins see how often suggestions are taken, and keep the organisation (a new unit, usable at once).
  const admin = await as('admin');
  await admin.goto(base + '/admin');
  assert.match(await admin.textContent('#acceptance'), /采纳率/);
  const unitForm = admin.locator('#unit-form');
  await unitForm.locator('[name=code]').fill('450100-SJJ');
  await unitForm.locator('[name=name]').fill('南宁市大数据发展局');
  await submitAndReload(admin, unitForm);
  assert.ok(await admin.locator('#organisation td', { hasText: '南宁市大数据发展局' }).count());
  await shot(admin, 'admin-organisation');
  await agent.context().close(); await sup.context().close(); await admin.context().close();
});

await test('a hostile unit name runs no script, and the pages allow no inline script', async () => {
  const admin = await as('admin');
  await admin.goto(base + '/admin');
  const unitForm = admin.locator('#unit-form');
  await unitForm.locator('[name=code]').fill('450100-EVIL');
  await unitForm.locator('[name=name]').fill('</script><script>window.__pwned = 1; alert(document.domain)</script>');
  await submitAndReload(admin, unitForm);
  const agent = await as('agent@450100');
  let dialogs = 0;
  agent.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
  const violations = [];
  agent.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  await agent.goto(base + '/agent');
  await agent.waitForSelector('#intake');
  assert.equal(await agent.evaluate(() => window.__pwned), undefined, 'the injected script did not run');
  assert.equal(dialogs, 0, 'no alert');
  // The console's data still holds the name, as text.
  const units = await agent.evaluate(() => JSON.parse(document.querySelector('#org').textContent).units);
  assert.match(units['450100-EVIL'], /<\/script>/);
  // An inline script injected into the page is refused by the Content-Security-Policy.
  await agent.evaluate(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.appendChild(s); });
  assert.equal(await agent.evaluate(() => window.__inline), undefined, 'CSP blocks inline script');
  await agent.context().close(); await admin.context().close();
});

await test('an admin resets a password: the user must choose a new one, is told, and sees their sessions', async () => {
  const admin = await as('admin');
  const users = await admin.evaluate(async () => (await fetch('/api/v1/admin/users?jurisdiction=450102')).json());
  const target = users.find((u) => u.username === 'discipline@450102');
  const reset = await admin.evaluate(async (id) => (await fetch(`/api/v1/admin/users/${id}/password`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ password: 'Temp-Pass-2026' }),
  })).status, target.id);
  assert.ok(reset < 300, 'reset ' + reset);
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(base + '/login');
  await page.fill('#username', 'discipline@450102');
  await page.fill('#password', 'Temp-Pass-2026');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/password$/);
  assert.match(await page.textContent('main'), /管理员重置了您的密码/);
  // Any other page sends them back here until the password is theirs.
  await page.goto(base + '/queue/discipline');
  await page.waitForURL(/\/password$/);
  assert.ok(await page.locator('table.list td', { hasText: '当前' }).count(), 'the session list shows this one');
  await page.fill('#current', 'Temp-Pass-2026');
  await page.fill('#new', 'alllowercaseletters');
  await page.click('#password-form button[type=submit]');
  await page.locator('#password-form .error').filter({ hasText: /\S/ }).waitFor();
  await page.fill('#new', 'Jw-Secure#2026');
  await page.click('#password-form button[type=submit]');
  await page.waitForFunction(() => !document.body.textContent.includes('管理员重置了您的密码'));
  await page.goto(base + '/messages');
  assert.match(await page.textContent('main'), /您的密码已被管理员重置/);
  await ctx.close(); await admin.context().close();
});

await test('the console: ?line= pre-fills the dialled line, and a draft survives a reload until saved', async () => {
  const agent = await as('agent@450100');
  await agent.goto(base + '/agent?line=450100-3');
  assert.equal(await agent.inputValue('#line'), '450100-3', 'the dialled line is chosen');
  await agent.fill('#title', '草稿：来电中断前记下的标题');
  await agent.fill('#content', '企业来电反映用电报装问题，通话中断。');
  await agent.reload();
  assert.equal(await agent.inputValue('#title'), '草稿：来电中断前记下的标题', 'the draft is back after a reload');
  assert.equal(await agent.inputValue('#content'), '企业来电反映用电报装问题，通话中断。');
  // Completing and saving the appeal clears the draft.
  await agent.check('input[name=kind][value=help]');
  await agent.fill('#ename', '南宁市草稿测试有限公司');
  await agent.fill('#uscc', '91450107MA5KE0EQ2B');
  await agent.fill('#cname', '黄建华');
  await agent.fill('#cphone', '13807710001');
  await agent.click('#intake button[type=submit]');
  await agent.waitForSelector('#created:not([hidden])');
  await agent.goto(base + '/agent');
  assert.equal(await agent.inputValue('#title'), '', 'no draft after saving');
  await agent.context().close();
});

await browser.close();
server.kill();
rmSync(data, { recursive: true, force: true });
console.log(results.join('\n'));
if (failures) { console.error(`${failures} end-to-end test(s) failed`); process.exit(1); }
console.log(`all ${results.length} end-to-end tests passed; screenshots in docs/screenshots/`);
