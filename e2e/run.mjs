// End-to-end tests in a real browser (Debian's Chromium, driven by
// playwright-core; never a downloaded browser). Starts the real server with
// the demo organisation on a fresh SQLite folder, walks through the UI as
// each role, and saves screenshots of the main screens to docs/screenshots/.
//
// Run: node e2e/run.mjs   (ZHITONG_BIN defaults to target/debug/zhitong)
// E2E_DATABASE_URL runs the server on that PostgreSQL database instead (no screenshots then);
// E2E_ONLY=regex runs only the journeys whose names match.
import { mkdtempSync, mkdirSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { root, serve, launch, stop } from './walk.mjs';

const shots = join(root, 'docs', 'screenshots');
mkdirSync(shots, { recursive: true });

const data = mkdtempSync(join(tmpdir(), 'zhitong-e2e-'));
const dbUrl = process.env.E2E_DATABASE_URL || '';
const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null;
// The telephone system's token: the PBX (here, the test) posts call events with it.
const pbxToken = 'e2e-pbx-token';
// An SMS centre (npm's smpp server, the integration tests' fake): enterprises' text messages go to it, and a
// journey reads the survey link it was sent.
const smscProcess = spawn('node', ['fake-smsc.mjs'], { cwd: join(root, 'crates', 'zhitong', 'tests', 'smsc'), stdio: ['pipe', 'pipe', 'inherit'] });
const smscSaid = [];
const smscPort = await new Promise((res, rej) => {
  readline.createInterface({ input: smscProcess.stdout }).on('line', (line) => {
    const e = JSON.parse(line);
    if (e.event === 'listening') res(e.port);
    else smscSaid.push(e);
  });
  smscProcess.once('exit', () => rej(new Error('the fake SMS centre did not start (scripts/smsc-up)')));
});
/// The first message the SMS centre took that matches, waited for (the server delivers every second here).
async function smsTo(match, ms = 15000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) {
    const found = smscSaid.find((e) => e.event === 'submit' && match(e));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no such SMS reached the SMS centre');
}
const { base, server } = await serve(['--demo', '--data', data, ...(dbUrl ? ['--database-url', dbUrl] : [])], {
  ZHITONG_TELEPHONY_TOKEN: pbxToken,
  ZHITONG_SMS_URL: `smpp://zhitong:smscpass@127.0.0.1:${smscPort}?source=10690001`,
  ZHITONG_PUBLIC_URL: 'http://hotline.example',
  ZHITONG_DELIVERY_INTERVAL_SECONDS: '1',
});
const browser = await launch();
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
  if (dbUrl) return; // the screenshots in the README come from the SQLite run
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

// ---- the API, for setting up what a journey starts from ----
async function apiLogin(u) {
  const r = await fetch(base + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: 'zhitong-demo' }) });
  return (await r.json()).token;
}
async function apiCall(token, method, path, body) {
  const r = await fetch(base + path, { method, headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: body === undefined ? undefined : JSON.stringify(body) });
  const v = await r.json();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(v)}`);
  return v;
}
const apiAct = (token, o, body) => apiCall(token, 'POST', `/api/v1/work-orders/${o.id}/actions`, { ...body, version: o.version });
async function newHelp(title, extra = {}) {
  const agent = await apiLogin('agent@450100');
  return apiCall(agent, 'POST', '/api/v1/work-orders', {
    line: '450100-2', jurisdiction: '450100', kind: 'help', topic: 'XZSP', title,
    content: '企业反映办理事项遇到困难，希望尽快协调解决。',
    enterprise: { name: '南宁市交接测试有限公司', uscc: '91450107MA5KE0EQ2B', contact: '黄建华', phone: '13807710001' },
    caller: { name: '黄建华', phone: '13807710001' }, ...extra,
  });
}

/// The receiver's messages page: the message about `number` with this subject, linking to the case.
async function findMessage(page, subject, number) {
  await page.goto(base + '/messages');
  const item = page.locator('ul.messages li', { hasText: subject }).filter({ hasText: number });
  assert.equal(await item.count() >= 1, true, `no "${subject}" message about ${number}`);
  return item.first();
}

/// The queue's row for `number`, which must be there.
async function queueRow(page, path, number) {
  await page.goto(base + path);
  const row = page.locator('table.list tbody tr', { hasText: number });
  assert.equal(await row.count(), 1, `${number} not in ${path}`);
  return row;
}

/// The case numbers of a list page, in order.
async function rowOrder(page) {
  return page.locator('table.list tbody tr td:first-child a').allTextContents();
}

async function test(name, fn) {
  if (only && !only.test(name)) return;
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
    await b.locator('input[name=assist][value="450100-SCJG"]').check();
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

  // The enterprise was sent an SMS survey; the agent calls anyway, from the queue's tab of surveys under way.
  await openCase(agent, '/queue/follow-up?tab=sms', number);
  await act(agent, '回访', async (b) => { await b.locator('input[value=unsatisfied]').check(); await b.locator('input[name=note]').fill('企业表示执照仍未拿到'); });
  await agent.goto(base + '/queue/follow-up');
  await shot(agent, 'follow-up-queue');
  await openCase(agent, '/queue/follow-up', number);
  await act(agent, '重办', (b) => b.locator('input[name=reason]').fill('请尽快发放执照'));

  await openCase(unit, '/queue/unit?tab=redo', number);
  await act(unit, '答复', (b) => b.locator('textarea[name=text]').fill('执照已当面发放。'));
  await openCase(sup, '/queue/review', number);
  await act(sup, '审核通过');
  // A new answer, a new SMS survey: the case waits in that tab, where the agent may still call.
  await openCase(agent, '/queue/follow-up?tab=sms', number);
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
  await create.locator('input[name=password]').fill('aaaaaaaaaa');
  await create.locator('button[type=submit]').click();
  await create.locator('.error', { hasText: '至少三类' }).waitFor();
  await create.locator('input[name=password]').fill('Li-Agent-2026x');
  await submitAndReload(admin, create);
  await admin.locator('td', { hasText: 'li.agent' }).waitFor();
  await shot(admin, 'admin');
  const li = await as('li.agent', 'Li-Agent-2026x');
  assert.match(li.url(), /\/password$/, 'the new account signs in, and first sets its own password');
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
  assert.equal(await agent.getAttribute('#created-link', 'href'), null, 'no link to a page the agent may not open');
  const number = (await agent.textContent('#created-link')).split(' ')[0];

  const disc = await as('discipline@450100');
  assert.match(disc.url(), /\/queue\/discipline/);
  await disc.locator('tr', { hasText: number }).waitFor();
  const link = await disc.locator('tr', { hasText: number }).locator('a[href^="/cases/"]').first().getAttribute('href');
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
  // Chinese words and local times only, and a plain timeline of what the enterprise may know.
  assert.equal((await page.textContent('#t-rating')).trim(), '满意');
  assert.match(await page.textContent('#t-deadline'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
  const progress = await page.locator('#t-progress li').allTextContents();
  assert.ok(progress[0].includes('已受理'), progress.join(' / '));
  assert.ok(progress.some((p) => /已交由.+办理/.test(p)), progress.join(' / '));
  assert.ok(progress.some((p) => p.includes('已答复')), progress.join(' / '));
  assert.ok(progress.at(-1).includes('已办结'), progress.join(' / '));
  assert.ok(progress.every((p) => !/退|督办|审核/.test(p)), 'nothing internal: ' + progress.join(' / '));
  assert.doesNotMatch(await page.textContent('main'), /satisfied|T\d{2}:\d{2}:\d{2}|\+08:00/);
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

/// The code an authenticator app shows now for a base32 secret (RFC 6238: HMAC-SHA1, 6 digits, 30 s).
function totpCode(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/\s|=/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

await test('the security administrator resets a discipline account: the commission is told, the account sets a password and a second factor first', async () => {
  // The system administrator cannot: the page offers no reset of a discipline account, and the API refuses it.
  const admin = await as('admin');
  const users = await admin.evaluate(async () => (await fetch('/api/v1/admin/users?jurisdiction=450102')).json());
  const target = users.find((u) => u.username === 'discipline@450102');
  const refused = await admin.evaluate(async (id) => (await fetch(`/api/v1/admin/users/${id}/password`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ password: 'Temp-Pass-2026' }),
  })).status, target.id);
  assert.equal(refused, 403);
  await admin.goto(base + '/admin/accounts?jurisdiction=450102');
  assert.equal(await admin.locator('tr[data-username="discipline@450102"]').count(), 1);
  assert.equal(await admin.locator('tr[data-username="discipline@450102"] form.reset').count(), 0, 'no reset offered');
  assert.equal(await admin.locator('nav.main a[href="/admin/audit"]').count(), 0, 'the audit log is not the system administrator\'s');

  // The security administrator does it on the accounts page.
  const sec = await as('security_admin');
  assert.match(sec.url(), /\/admin\/accounts$/);
  await sec.goto(base + '/admin/accounts?jurisdiction=450102');
  const form = sec.locator('tr[data-username="discipline@450102"] form.reset');
  await form.locator('[name=password]').fill('Temp-Pass-2026');
  await submitAndReload(sec, form);
  await shot(sec, 'security-admin-accounts');

  // The commission's member above is told at once, in the inbox.
  const city = await as('discipline@450100');
  await city.goto(base + '/messages');
  assert.match(await city.textContent('main'), /纪检监察账号变动：discipline@450102/);
  assert.match(await city.textContent('main'), /security_admin/);

  // The account: a new password, then a new second factor, before anything else.
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(base + '/login');
  await page.fill('#username', 'discipline@450102');
  await page.fill('#password', 'Temp-Pass-2026');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/password$/);
  assert.match(await page.textContent('main'), /管理员重置了您的密码/);
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
  // Still nothing else until the second factor is set up.
  await page.goto(base + '/queue/discipline');
  await page.waitForURL(/\/password$/);
  await page.click('#totp-setup');
  await page.locator('#totp-secret:not([hidden])').waitFor();
  const secret = await page.textContent('#totp-secret');
  await page.fill('#code', totpCode(secret));
  await page.click('#totp-enable button[type=submit]');
  await page.waitForURL(/\/queue\/discipline/);
  await page.goto(base + '/messages');
  assert.match(await page.textContent('main'), /您的密码已被管理员重置/);
  await ctx.close(); await admin.context().close(); await sec.context().close(); await city.context().close();
});

await test('the audit administrator reads the audit log, which records the reading', async () => {
  const auditor = await as('auditor');
  assert.match(auditor.url(), /\/admin\/audit$/);
  assert.deepEqual(await auditor.$$eval('nav.main a', (as) => as.map((a) => a.getAttribute('href'))), ['/admin/audit']);
  await auditor.goto(base + '/admin/audit?action=audit_read');
  assert.ok(await auditor.locator('table.list td', { hasText: 'auditor' }).count(), 'the reading itself is listed');
  await auditor.goto(base + '/queue/all');
  assert.equal(await auditor.locator('table.list a[href^="/cases/"]').count(), 0, 'no case');
  await auditor.context().close();
});

await test('day one: the console promises the deadline an urgent help request gets, and Ctrl+Enter saves from any field', async () => {
  const agent = await as('agent@450100');
  await agent.selectOption('#line', '450100-2');
  await agent.check('input[name=kind][value=help]');
  await agent.waitForFunction(() => /\d{4}-\d\d-\d\d \d\d:\d\d/.test(document.querySelector('#preview').textContent));
  const normal = await agent.textContent('#preview');
  await agent.check('input[name=urgency][value=urgent]');
  await agent.waitForFunction((before) => document.querySelector('#preview').textContent !== before, normal);
  const promised = (await agent.textContent('#preview')).slice(0, 16);
  await agent.fill('#ename', '南宁市紧急测试有限公司');
  await agent.fill('#uscc', '91450107MA5KE0EQ2B');
  await agent.fill('#cname', '黄建华');
  await agent.fill('#cphone', '13807710001');
  await agent.selectOption('#topic', 'XZSP');
  await agent.fill('#title', '生产线停电急需抢修');
  await agent.fill('#content', '企业反映厂区突然停电，生产线停摆，请求紧急协调供电部门抢修。');
  // Ctrl+Enter in a text field saves the appeal, as the button does.
  await agent.focus('#content');
  await agent.keyboard.press('Control+Enter');
  await agent.waitForSelector('#created:not([hidden])');
  const saved = await agent.textContent('#created-deadline');
  assert.ok(saved.includes(promised), `the preview promised ${promised}; the case got ${saved}`);
  await agent.context().close();
});

await test('day one: a case at 待回访 closes without a rating only with a reason, after the unanswered calls are recorded', async () => {
  const sup = await apiLogin('supervisor@450100');
  const unit = await apiLogin('handler@450100-XZSP');
  let o = await newHelp('回访打不通的求助');
  o = await apiAct(sup, o, { action: 'dispatch', units: ['450100-XZSP'] });
  o = await apiAct(unit, o, { action: 'accept' });
  o = await apiAct(unit, o, { action: 'reply', text: '已协调办结。' });
  o = await apiAct(sup, o, { action: 'approve_reply' });
  assert.equal(o.state, 'pending_follow_up');
  const agent = await as('agent@450100');
  await agent.goto(base + `/cases/${o.id}`);
  const box = agent.locator('details', { has: agent.locator('summary', { hasText: /^办结$/ }) });
  await box.locator('summary').click();
  assert.equal(await box.locator('[name=reason]').getAttribute('required'), '', 'the reason is required');
  // Before three unanswered calls are recorded, the close is refused, saying how many are on record.
  await box.locator('[name=reason]').fill('企业无法联系');
  await box.locator('button[type=submit], button').first().click();
  await box.locator('.error').filter({ hasText: /回访3次未接通.*已记录0次/ }).waitFor();
  assert.equal((await agent.textContent('.state')).trim(), '待回访', 'nothing closed');
  // Each call that reaches nobody is recorded, and counted on the case.
  for (let n = 1; n <= 3; n++) {
    await act(agent, '回访未接通', async (b) => { await b.locator('[name=note]').fill(`第${n}次，无人接听`); });
    assert.equal((await agent.textContent('dd.attempts')).trim(), String(n));
  }
  assert.equal(await agent.locator('ol.timeline li', { hasText: '回访未接通' }).count(), 3, 'each call in the timeline');
  await act(agent, '办结', async (b) => { await b.locator('[name=reason]').fill('企业无法联系，已三次回访未接通'); });
  assert.equal((await agent.textContent('.state')).trim(), '已办结');
  assert.match(await agent.textContent('main'), /企业无法联系，已三次回访未接通/);
  await agent.context().close();
});

await test('day one: 协办 — the unit filter hides assisting units too, the queue row offers 协办, and the assisting unit signs for nothing', async () => {
  const o = await newHelp('协办测试：两个单位共同办理');
  const sup = await as('supervisor@450100');
  await openCase(sup, '/queue/dispatch', o.number);
  const box = sup.locator('details', { has: sup.locator('summary', { hasText: /^派单$/ }) });
  if ((await box.getAttribute('open')) === null) await box.locator('summary').click();
  await box.locator('input.unit-filter').fill('税务');
  const visible = await box.locator('fieldset.assist label').evaluateAll((ls) => ls.filter((l) => l.offsetParent !== null).map((l) => l.textContent));
  assert.ok(visible.length > 0 && visible.every((t) => t.includes('税务')), 'only matching assisting units show: ' + visible.join(','));
  // The one-step row on the queue offers 协办.
  await sup.goto(base + '/queue/dispatch');
  const row = sup.locator('tr', { hasText: o.number });
  await row.locator('select[name=lead]').selectOption('450100-XZSP');
  await row.locator('select[name=assist]').selectOption('450100-SW');
  const loaded = sup.waitForEvent('load');
  await row.locator('form.act button[type=submit]').click();
  await loaded;
  const assist = await as('handler@450100-SW');
  await assist.goto(base + '/queue/unit');
  assert.equal(await assist.locator('tr', { hasText: o.number }).count(), 0, 'the assisting unit is not asked to 签收');
  await queueRow(assist, '/queue/unit?tab=assist', o.number);
  await openCase(assist, '/queue/unit?tab=assist', o.number);
  assert.equal(await assist.locator('summary', { hasText: /^签收$/ }).count(), 0);
  await act(assist, '协办意见', (b) => b.locator('textarea[name=text]').fill('本单位配合提供纳税材料'));
  assert.ok(await assist.locator('ol.timeline li strong', { hasText: '协办意见' }).count(), 'the timeline says 协办意见');
  for (const p of [sup, assist]) await p.context().close();
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
  // An out-of-scope call: no enterprise, straight to 12345 in one step, the number large at the top.
  await agent.check('input[name=kind][value=out_of_scope]');
  await agent.fill('#cname', '王先生');
  await agent.fill('#cphone', '13807710002');
  await agent.fill('#title', '咨询个人医保报销');
  await agent.fill('#content', '个人医保报销比例问题，非企业诉求。');
  await agent.click('#intake button[type=submit]');
  await agent.waitForSelector('#created:not([hidden])');
  assert.match(await agent.textContent('#created-number'), /^ZTC-\d{8}-\d{4,}$/);
  assert.match(await agent.textContent('#created-deadline'), /已转12345/);
  // An urgent help request from the console.
  await agent.check('input[name=kind][value=help]');
  await agent.check('input[name=urgency][value=urgent]');
  await agent.fill('#ename', '南宁市紧急测试有限公司');
  await agent.fill('#uscc', '91450107MA5KE0EQ2B');
  await agent.fill('#cname', '黄建华');
  await agent.fill('#cphone', '13807710001');
  await agent.fill('#title', '工厂停电急需协调');
  await agent.fill('#content', '工厂突然停电，生产线停产，请求紧急协调供电。');
  await agent.click('#intake button[type=submit]');
  await agent.waitForFunction(() => document.querySelector('#created-link').textContent.includes('工厂停电'));
  const urgentId = (await agent.getAttribute('#created-link', 'href')).split('/').pop();
  const made = await agent.evaluate(async (id) => (await fetch(`/api/v1/work-orders/${id}`)).json(), urgentId);
  assert.equal(made.urgency, 'urgent');
  await agent.context().close();
});


await test('hand-off: a dispatch reaches the handler, urgent first, with its style; an urge follows', async () => {
  const normal = await newHelp('交接测试：普通求助');
  const urgent = await newHelp('交接测试：紧急求助', { urgency: 'urgent' });
  const sup = await as('supervisor@450100');
  // Urgent cases come first in the dispatch queue, marked.
  await sup.goto(base + '/queue/dispatch');
  assert.ok(await sup.locator('table.list tbody tr').first().locator('.tag.urgent').count(), 'urgent cases come first');
  const order = await rowOrder(sup);
  assert.ok(order.indexOf(urgent.number) >= 0 && order.indexOf(urgent.number) < order.indexOf(normal.number), 'urgent before normal');
  assert.ok(await sup.locator('tr', { hasText: urgent.number }).locator('.tag.urgent').count(), 'the urgent case is marked');
  await openCase(sup, '/queue/dispatch', urgent.number);
  assert.equal(await sup.inputValue('select[name=lead]'), '450100-XZSP', 'the topic\'s usual unit is preselected');
  await act(sup, '派单', async (b) => {
    await b.locator('input.unit-filter').fill('市场');
    assert.ok(await b.locator('fieldset.assist label:not([hidden])', { hasText: '市场监督管理局' }).count(), 'the filter keeps matching units');
    assert.equal(await b.locator('fieldset.assist label:not([hidden])', { hasText: '行政审批局' }).count(), 0, 'and hides the others');
    await b.locator('input[name=assist][value="450100-SCJG"]').check();
    await b.locator('select[name=style]').selectOption('immediate');
  });
  assert.match(await sup.textContent('.facts'), /马上办/);
  const row = sup.locator('tr', { hasText: normal.number });
  await sup.goto(base + '/queue/dispatch');
  await row.locator('select[name=lead]').selectOption('450100-XZSP');
  await submitAndReload(sup, row.locator('form'));

  const handler = await as('handler@450100-XZSP');
  assert.ok(Number(await handler.textContent('.msgs .badge')) >= 2, 'the unread badge counts the new messages');
  const msg = await findMessage(handler, '新派工单', urgent.number);
  assert.match(await msg.textContent(), /【紧急】/);
  assert.match(await msg.textContent(), /马上办/);
  await shot(handler, 'messages');
  await msg.locator('a.open-case').click();
  await handler.waitForURL(new RegExp('/cases/' + urgent.id + '$'));
  const inbox = await queueRow(handler, '/queue/unit', urgent.number);
  assert.ok(await inbox.locator('.tag.urgent').count());
  assert.match(await inbox.textContent(), /马上办/);
  const inboxOrder = await rowOrder(handler);
  assert.ok(inboxOrder.indexOf(urgent.number) < inboxOrder.indexOf(normal.number), 'urgent first in the inbox too');
  await queueRow(handler, '/queue/unit', normal.number);
  await shot(handler, 'unit-inbox-tabs');
  // The assisting unit is told as well.
  const assist = await as('handler@450100-SCJG');
  await findMessage(assist, '新派工单', urgent.number);

  // After 签收 the reply form is the one open.
  await openCase(handler, '/queue/unit', urgent.number);
  await act(handler, '签收');
  assert.equal(await handler.locator('details[open] summary').first().textContent(), '答复');
  await queueRow(handler, '/queue/unit?tab=doing', urgent.number);

  // An urge from the supervision team reaches the unit.
  await openCase(sup, '/queue/all?q=' + urgent.number, urgent.number);
  await act(sup, '催办', (b) => b.locator('input[name=note]').fill('企业再次来电催促'));
  const urged = await findMessage(handler, '催办', urgent.number);
  assert.match(await urged.textContent(), /企业再次来电催促/);
  // The assisting unit records its opinion, which reaches the lead unit.
  await openCase(assist, '/queue/unit?tab=doing', urgent.number);
  await act(assist, '协办意见', (b) => b.locator('textarea[name=text]').fill('经核实，企业材料齐全'));
  await findMessage(handler, '协办意见', urgent.number);
  for (const p of [sup, handler, assist]) await p.context().close();
});

await test('hand-off: an extension request reaches the supervisors, who approve it with a date', async () => {
  const sup = await apiLogin('supervisor@450100');
  const unitToken = await apiLogin('handler@450100-XZSP');
  let o = await newHelp('交接测试：申请延期');
  o = await apiAct(sup, o, { action: 'dispatch', units: ['450100-XZSP'] });
  o = await apiAct(unitToken, o, { action: 'accept' });
  const handler = await as('handler@450100-XZSP');
  await openCase(handler, '/queue/unit?tab=doing', o.number);
  await act(handler, '申请延期', async (b) => {
    await b.locator('input[name=until]').fill('2099-01-08T17:30');
    await b.locator('textarea[name=reason]').fill('需省级部门批复');
  });
  const supPage = await as('supervisor@450100');
  await findMessage(supPage, '延期申请待审批', o.number);
  // The 延期审批 tab holds what the decision needs: the date asked for and the reason, approve and reject.
  const row = await queueRow(supPage, '/queue/supervision?tab=extension', o.number);
  assert.match(await row.textContent(), /01-08 17:30/);
  assert.match(await row.textContent(), /需省级部门批复/);
  assert.equal(await row.locator('form[data-action=approve_extension]').count(), 1);
  assert.equal(await row.locator('form[data-action=reject_extension]').count(), 1);
  await shot(supPage, 'supervision-extensions');
  await openCase(supPage, '/queue/supervision?tab=extension', o.number);
  // Shown in local time, never as RFC 3339.
  assert.match(await supPage.textContent('.facts'), /2099-01-08 17:30/);
  assert.doesNotMatch(await supPage.textContent('.facts'), /T17:30|\+08:00/);
  const box = supPage.locator('details', { has: supPage.locator('summary', { hasText: /^同意延期$/ }) });
  await box.locator('summary').click();
  assert.equal(await box.locator('input[name=until]').inputValue(), '2099-01-08T17:30', 'the date asked for, ready to change');
  await act(supPage, '同意延期', async (b) => {
    await b.locator('input[name=until]').fill('2099-01-06T17:30');
    await b.locator('input[name=note]').fill('同意，请按期办结');
  });
  assert.match(await supPage.textContent('.bar'), /01-06 17:30/);
  const told = await findMessage(handler, '延期已同意', o.number);
  assert.match(await told.textContent(), /2099-01-06 17:30/);
  assert.match(await told.textContent(), /同意，请按期办结/);
  await queueRow(supPage, '/queue/supervision?tab=extension', o.number).then(() => assert.fail('still listed'), () => {});
  for (const p of [handler, supPage]) await p.context().close();
});

await test('hand-off: a return goes to the team, which rejects it back to the unit', async () => {
  const sup = await apiLogin('supervisor@450100');
  let o = await newHelp('交接测试：退单审核');
  o = await apiAct(sup, o, { action: 'dispatch', units: ['450100-SCJG'] });
  const handler = await as('handler@450100-SCJG');
  await openCase(handler, '/queue/unit', o.number);
  await act(handler, '退单', (b) => b.locator('textarea[name=reason]').fill('不属于本单位职责'));
  assert.match(handler.url(), /\/queue\/unit$/, 'back to the inbox, not to an error page');
  const supPage = await as('supervisor@450100');
  await findMessage(supPage, '工单退回', o.number);
  await queueRow(supPage, '/queue/supervision?tab=return', o.number);
  await shot(supPage, 'supervision-returns');
  await openCase(supPage, '/queue/supervision?tab=return', o.number);
  await act(supPage, '驳回退单', (b) => b.locator('textarea[name=reason]').fill('属于贵局职责，请继续办理'));
  await findMessage(handler, '退单被驳回', o.number);
  await queueRow(handler, '/queue/unit', o.number);
  // A page one may not see sits inside the layout, with its navigation.
  const res = await handler.goto(base + '/cases/999999');
  assert.equal(res.status(), 404);
  assert.ok(await handler.locator('nav.main a').count() > 0, 'the error page has the navigation');
  assert.match(await handler.textContent('main'), /未找到/);
  for (const p of [handler, supPage]) await p.context().close();
});

await test('hand-off: an unsatisfied follow-up stays on the board until redone and closed', async () => {
  const sup = await apiLogin('supervisor@450100');
  const unitToken = await apiLogin('handler@450100-XZSP');
  let o = await newHelp('交接测试：评价之后重新办理');
  o = await apiAct(sup, o, { action: 'dispatch', units: ['450100-XZSP'] });
  o = await apiAct(unitToken, o, { action: 'accept' });
  o = await apiAct(unitToken, o, { action: 'reply', text: '已办理' });
  o = await apiAct(sup, o, { action: 'approve_reply' });
  const agent = await as('agent@450100');
  await openCase(agent, '/queue/follow-up?tab=sms', o.number);
  await act(agent, '回访', async (b) => { await b.locator('input[value=unsatisfied]').check(); await b.locator('input[name=note]').fill('企业称问题仍未解决'); });
  assert.match(await agent.textContent('.bar'), /督办中/, 'under supervision at once');
  assert.equal(await agent.locator('summary', { hasText: /^办结$/ }).count(), 0, 'the agent is not offered 办结');
  const supPage = await as('supervisor@450100');
  await findMessage(supPage, '回访不满意', o.number);
  // The unit is not told to redo before anyone decided it (its 退回重办 tab is empty until then).
  const handler = await as('handler@450100-XZSP');
  await handler.goto(base + '/messages');
  assert.equal(await handler.locator('ul.messages li', { hasText: '回访不满意' }).filter({ hasText: o.number }).count(), 0);
  await handler.goto(base + '/queue/unit?tab=redo');
  assert.equal(await handler.locator('tr', { hasText: o.number }).count(), 0);
  await queueRow(supPage, '/queue/supervision?tab=unsatisfied', o.number);
  await shot(supPage, 'supervision-unsatisfied');
  await openCase(supPage, '/queue/supervision?tab=unsatisfied', o.number);
  await act(supPage, '重办', (b) => b.locator('input[name=reason]').fill('请重新研究解决'));
  await findMessage(handler, '工单重办', o.number);
  await queueRow(handler, '/queue/unit?tab=redo', o.number);
  await queueRow(supPage, '/queue/supervision?tab=unsatisfied', o.number);
  // Another unsatisfied case the team closes with a reason: closed, it is no longer 督办中.
  let c = await newHelp('交接测试：不满意后办结');
  c = await apiAct(sup, c, { action: 'dispatch', units: ['450100-XZSP'] });
  c = await apiAct(unitToken, c, { action: 'accept' });
  c = await apiAct(unitToken, c, { action: 'reply', text: '已办理' });
  c = await apiAct(sup, c, { action: 'approve_reply' });
  c = await apiAct(await apiLogin('agent@450100'), c, { action: 'follow_up', rating: 'unsatisfied' });
  await openCase(supPage, '/queue/supervision?tab=unsatisfied', c.number);
  await act(supPage, '办结', (b) => b.locator('[name=reason]').fill('诉求超出政策范围，已当面解释'));
  assert.equal((await supPage.textContent('.state')).trim(), '已办结');
  assert.doesNotMatch(await supPage.textContent('.bar'), /督办中/, 'a closed case is not 督办中');
  for (const p of [agent, supPage, handler]) await p.context().close();
});

await test('hand-off: a city takes back a case it passed down; the county team is told and no longer dispatches it', async () => {
  const o = await newHelp('交接测试：下派后收回');
  const city = await as('supervisor@450100');
  await openCase(city, '/queue/dispatch', o.number);
  await act(city, '派单', (b) => b.locator('select[name=jurisdiction]').selectOption('450103'));
  await act(city, '收回下派', (b) => b.locator('[name=reason]').fill('涉及市级多个部门，由市专班派单'));
  assert.equal(await city.locator('summary', { hasText: /^派单$/ }).count(), 1, 'the city dispatches it again');
  const county = await as('supervisor@450103');
  await findMessage(county, '下派工单已收回', o.number);
  await county.goto(base + '/queue/dispatch');
  assert.equal(await county.locator('tr', { hasText: o.number }).count(), 0, 'not in the county\'s dispatch queue');
  for (const p of [city, county]) await p.context().close();
});

await test('hand-off: a city passes a case down; the county team finds it, the city keeps sight of it', async () => {
  const o = await newHelp('交接测试：下派青秀区');
  const city = await as('supervisor@450100');
  await openCase(city, '/queue/dispatch', o.number);
  await act(city, '派单', (b) => b.locator('select[name=jurisdiction]').selectOption('450103'));
  assert.match(await city.textContent('.holder'), /青秀区/);
  // The county's now: the city is offered no dispatch, only taking it back; the timeline says 下派 to whom.
  assert.equal(await city.locator('summary', { hasText: /^派单$/ }).count(), 0, 'no dispatch form for the city');
  assert.equal(await city.locator('summary', { hasText: /^收回下派$/ }).count(), 1);
  assert.ok(await city.locator('ol.timeline li', { hasText: '下派' }).filter({ hasText: '青秀区' }).count(), 'the timeline says 下派 青秀区');
  await city.goto(base + '/queue/dispatch');
  assert.equal(await city.locator('tr', { hasText: o.number }).count(), 0, 'no longer in the city\'s dispatch queue');
  const county = await as('supervisor@450103');
  await findMessage(county, '工单下派', o.number);
  await queueRow(county, '/queue/dispatch', o.number);
  await shot(county, 'county-dispatch');
  await openCase(county, '/queue/dispatch', o.number);
  await act(county, '派单', (b) => b.locator('select[name=lead]').selectOption('450103-SCJG'));
  const handler = await as('handler@450103-SCJG');
  await findMessage(handler, '新派工单', o.number);
  await openCase(city, '/queue/all?q=' + o.number, o.number);
  assert.match(await city.textContent('.holder'), /青秀区市场监督管理局/);
  for (const p of [city, county, handler]) await p.context().close();
});

await test('a leader\'s instruction stays on the case, signed and dated; opening the case is reading it', async () => {
  const sup = await apiLogin('supervisor@450100');
  let o = await newHelp('交接测试：领导批示');
  o = await apiAct(sup, o, { action: 'dispatch', units: ['450100-XZSP'] });
  const leader = await as('leader@450100');
  await leader.goto(base + '/cases/' + o.id);
  await act(leader, '批示', (b) => b.locator('textarea[name=text]').fill('请行政审批局主要负责同志亲自协调'));
  const handler = await as('handler@450100-XZSP');
  await handler.goto(base + '/cases/' + o.id);
  const card = await handler.textContent('.card.instruction');
  assert.match(card, /亲自协调/);
  assert.match(card, /南宁市领导/, 'the leader\'s name');
  assert.match(card, /（领导）/, 'and title');
  assert.match(card, /\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d/, 'and when, as dates are written');
  assert.match(card, /1\s*人未读|1 .*unread/, 'the supervisor has not read it yet: ' + card);
  await shot(handler, 'case-instruction');
  // The supervisor opens the case: that is reading it. The card stays, with nobody left to read it.
  const supPage = await as('supervisor@450100');
  await supPage.goto(base + '/cases/' + o.id);
  await handler.goto(base + '/cases/' + o.id);
  const after = await handler.textContent('.card.instruction');
  assert.match(after, /亲自协调/, 'it stays for good');
  assert.doesNotMatch(after, /未读/, 'read by all: ' + after);
  const msg = await findMessage(handler, '领导批示', o.number);
  assert.equal(await msg.locator('form').count(), 0, 'opening the case marked the message read');
  for (const p of [leader, handler, supPage]) await p.context().close();
});


await test('figure screens: each leader figure equals the list it opens, and the live dashboard agrees, for that viewer', async () => {
  // City and county viewers: lists and reports both count the cases a jurisdiction handles (issue 15).
  for (const user of ['leader@450100', 'supervisor@450100', 'leader@450103', 'supervisor@450103']) {
    const page = await as(user);
    await page.goto(base + '/leader');
    const figures = await page.$$eval('.figures a.figure', (as) => as.map((a) => ({
      href: a.getAttribute('href'), n: Number(a.querySelector('.n').textContent), label: a.textContent.trim(),
    })));
    assert.equal(figures.length, 5, user);
    assert.ok(figures.some((f) => f.n > 0), `${user}: the journeys above left something to count`);
    // The card that counts open cases says so (it was labelled 全部工单).
    assert.match(figures.find((f) => f.href.includes('open=true')).label, /在办工单/, `${user}: the open-cases card`);
    for (const f of figures) {
      await page.goto(base + f.href);
      const total = Number((await page.textContent('h1 small')).replace(/\D/g, ''));
      assert.equal(total, f.n, `${user} ${f.label}: the figure says ${f.n}, its list holds ${total}`);
      const rows = await page.locator('table.list tbody tr td:first-child a').count();
      assert.equal(rows, Math.min(total, 50), `${user} ${f.label}: rows on the first page`);
    }
    // The leader view's overdue table is the overdue list's first rows.
    await page.goto(base + '/leader');
    const overdueHere = await page.locator('section.card', { hasText: '超期' }).last().locator('tbody td:first-child a').allTextContents();
    await page.goto(base + '/queue/supervision?tab=overdue');
    const overdueList = await rowOrder(page);
    assert.deepEqual(overdueHere, overdueList.slice(0, overdueHere.length), `${user}: overdue table`);
    // The live dashboard counts today's appeals and the cases overdue now as the lists do.
    const byLabel = async () => Object.fromEntries(await page.$$eval('.figures .figure', (xs) => xs.map((x) => [x.lastElementChild.textContent.trim(), x.querySelector('.n').textContent.trim()])));
    await page.goto(base + '/leader');
    const leaderFigures = Object.fromEntries(figures.map((f) => [f.href.split('?')[1] || f.href, f.n]));
    await page.goto(base + '/dashboard');
    const dash = await byLabel();
    const today = figures.find((f) => f.href.includes('from=')).n;
    const overdue = figures.find((f) => f.href.includes('tab=overdue')).n;
    assert.equal(Number(dash['今日受理']), today, `${user}: 今日受理 on the dashboard ${dash['今日受理']} vs ${today}`);
    assert.equal(Number(dash['当前超期未办结']), overdue, `${user}: 超期 on the dashboard ${dash['当前超期未办结']} vs ${overdue}`);
    assert.ok(leaderFigures);
    await page.context().close();
  }
});

await test('hand-off: a bulletin archived, commented, published, and read by a unit from its messages', async () => {
  const sup = await as('supervisor@450103');
  await sup.goto(base + '/reports');
  await sup.click('a:has-text("上月通报")');
  await sup.waitForURL(/\/reports\/monthly/);
  for (const heading of ['辖区排名', '承办单位排名', '通报表扬', '通报批评', '问题与建议']) {
    assert.ok(await sup.locator('article.report', { hasText: heading }).count(), `the bulletin has ${heading}`);
  }
  assert.ok(await sup.locator('article.report figure.trend svg').count(), 'the daily-volume chart');
  const archive = sup.locator('form[data-url="/api/v1/reports/archive"]');
  await Promise.all([sup.waitForURL(/\/reports\/archive\/\d+/), archive.locator('button').click()]);
  assert.ok(await sup.locator('text=草稿：尚未发布').count(), 'a draft first');
  const edit = sup.locator('form[data-method="PUT"]');
  assert.match(await edit.locator('#suggestions').inputValue(), /\S/, '问题与建议 drafted from the figures');
  await edit.locator('#commentary').fill('请各单位本月底前清零超期工单（浏览器测试）。');
  await submitAndReload(sup, edit);
  assert.ok(await sup.locator('article.report', { hasText: '请各单位本月底前清零超期工单（浏览器测试）。' }).count(), 'the commentary in the report');
  await shot(sup, 'bulletin-draft');
  await submitAndReload(sup, sup.locator('form[data-url$="/publish"]'));
  assert.ok(await sup.locator('p.published', { hasText: '已发布' }).count(), 'published');
  assert.equal(await sup.locator('form[data-method="PUT"]').count(), 0, 'fixed once published');

  // The receivers: a county unit's handler and the county's leader find it in their messages.
  for (const user of ['handler@450103-XZSP', 'leader@450103']) {
    const page = await as(user);
    await page.goto(base + '/messages');
    const item = page.locator('ul.messages li', { hasText: '月通报已发布' }).first();
    assert.ok(await item.count(), `${user}: the bulletin in the messages`);
    await Promise.all([page.waitForURL(/\/reports\/archive\/\d+/), item.locator('a.open-report').click()]);
    assert.ok(await page.locator('article.report', { hasText: '请各单位本月底前清零超期工单（浏览器测试）。' }).count(), `${user} reads the commentary`);
    assert.ok(await page.locator('article.report', { hasText: '各有关单位' }).count(), `${user}: addressed to the units`);
    await page.context().close();
  }
  await sup.context().close();
});

await test('the daily report, the weekly analysis and the monthly bulletin, each its own', async () => {
  const leader = await as('leader@450100');
  const expect = {
    daily: ['各位领导', '分专线受理情况', '临期工单', '特此报告'],
    weekly: ['热点问题', '重复诉求', '退单、超期较多的单位', '问题与建议'],
    monthly: ['辖区排名', '通报表扬', '通报批评', '超期未办结工单'],
  };
  for (const [period, headings] of Object.entries(expect)) {
    await leader.goto(base + `/reports/${period}`);
    for (const h of headings) assert.ok(await leader.locator('article.report', { hasText: h }).count(), `${period}: ${h}`);
    // Names, never codes; and a date never breaks across lines in a table.
    const text = await leader.locator('article.report').innerText();
    assert.doesNotMatch(text, /\b45\d{4}(-\d)?\b/, `${period}: a division or line code`);
    assert.doesNotMatch(text, /none/, `${period}: none`);
    const split = await leader.$$eval('article.report td.date', (tds) => tds.filter((td) => td.getClientRects().length > 1 || td.offsetHeight > 30).length);
    assert.equal(split, 0, `${period}: dates on one line`);
  }
  await leader.context().close();
});

await test('a call rings at the agent\'s seat: the console opens on the caller, and the case shows the call', async () => {
  const pbx = async (body) => {
    const r = await fetch(base + '/api/v1/telephony/events', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + pbxToken }, body: JSON.stringify(body) });
    assert.equal(r.status, 202, JSON.stringify(await r.json()));
  };
  // An enterprise the hotline knows by its number, with an earlier appeal.
  const phone = '13907719876';
  const earlier = await newHelp('来电弹屏测试：此前反映的用地审批问题', {
    enterprise: { name: '南宁市来电弹屏测试有限公司', contact: '陆海', phone }, caller: { name: '陆海', phone },
  });
  const token = await apiLogin('agent@450100');
  const lines = await apiCall(token, 'GET', '/api/v1/lines');
  const line = lines.find((l) => l.id === '450100-1');
  // It rang yesterday too, and nobody answered.
  await pbx({ call_id: 'e2e-yesterday-' + Date.now(), event: 'missed', at: new Date(Date.now() - 86400000).toISOString(), caller: phone, line: line.number });

  const agent = await as('agent@450100');
  await agent.goto(base + '/agent');
  await agent.fill('#seat', '8101');
  await agent.click('#seat-form button[type=submit]');
  await agent.locator('#seat-status', { hasText: '已就座' }).waitFor();
  // The stream is open when the server says so; the call rings after that.
  await agent.waitForFunction(() => document.querySelector('#seat-status').textContent.includes('等待来电'));
  const callId = 'e2e-' + Date.now();
  await pbx({ call_id: callId, event: 'ringing', at: new Date().toISOString(), caller: phone, line: line.number, seat: '8101' });
  await agent.locator('#ringing', { hasText: phone }).waitFor();
  assert.match(await agent.locator('#ringing').innerText(), new RegExp(line.name));
  assert.equal(await agent.inputValue('#line'), '450100-1', 'the dialed line is chosen');
  assert.equal(await agent.inputValue('#jurisdiction'), '450100', 'and its jurisdiction');
  assert.equal(await agent.inputValue('#ename'), '南宁市来电弹屏测试有限公司', 'the enterprise found by its number');
  assert.equal(await agent.inputValue('#cphone'), phone);
  assert.equal(await agent.inputValue('#cname'), '陆海');
  assert.equal(await agent.inputValue('#call-id'), callId);
  await agent.locator('#earlier li', { hasText: earlier.number }).waitFor();
  await agent.locator('#earlier li.earlier-call', { hasText: line.name }).waitFor();
  await shot(agent, 'console-ringing');
  await pbx({ call_id: callId, event: 'answered', at: new Date().toISOString(), caller: phone, line: line.number, seat: '8101' });

  // The agent records the appeal while talking; it is linked to the call.
  await agent.check('input[name=kind][value=help]');
  await agent.selectOption('#topic', 'XZSP');
  await agent.fill('#title', '来电登记：厂房消防验收排期');
  await agent.fill('#content', '企业来电反映新建厂房消防验收排期较晚，影响投产，希望协调尽快安排。');
  await agent.click('#intake button[type=submit]');
  await agent.locator('#created').waitFor({ state: 'visible' });
  const number = (await agent.textContent('#created-number')).trim();
  assert.equal(await agent.inputValue('#call-id'), '', 'the next appeal starts without a call');
  await pbx({ call_id: callId, event: 'hangup', at: new Date().toISOString(), caller: phone, line: line.number, recording_url: `https://pbx.example.gov/rec/${callId}.wav` });

  // The case shows the call and its recording.
  await agent.click('#created-link');
  await agent.waitForURL(/\/cases\//);
  const calls = agent.locator('dd.calls');
  await calls.waitFor();
  assert.match(await calls.innerText(), new RegExp(line.name));
  assert.equal(await calls.locator('a').getAttribute('href'), `https://pbx.example.gov/rec/${callId}.wav`);
  assert.match(await agent.locator('h1').innerText(), new RegExp(number));

  // The call log lists it with the case it became; a supervisor sees it too.
  const supervisor = await as('supervisor@450100');
  await supervisor.goto(base + '/calls?tab=all');
  const row = supervisor.locator(`tr[data-call="${callId}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /已接听/);
  assert.equal(await row.locator('a[href^="/cases/"]').count(), 1);
  // A missed call waits in the call-back queue until someone calls back.
  const missed = 'e2e-missed-' + Date.now();
  await pbx({ call_id: missed, event: 'missed', at: new Date().toISOString(), caller: '13907710000', line: line.number });
  await supervisor.goto(base + '/calls?tab=awaiting');
  await supervisor.locator(`tr[data-call="${missed}"]`).waitFor();
  const form = supervisor.locator(`form[data-url="/api/v1/calls/${missed}/callback"]`);
  await form.locator('input[name=note]').fill('已回拨，企业咨询消防验收材料');
  await form.locator('input[name=reached]').check();
  await submitAndReload(supervisor, form);
  assert.equal(await supervisor.locator(`tr[data-call="${missed}"]`).count(), 0, 'called back: out of the queue');
  await agent.context().close();
  await supervisor.context().close();
});

await test('an enterprise rates the answer from its SMS link on a phone, and the agent sees the rating by SMS', async () => {
  const phone = '13907713344';
  const o = await newHelp('短信评价测试：新办企业刻制印章费用', {
    enterprise: { name: '南宁市短信评价测试有限公司', contact: '覃丽', phone }, caller: { name: '覃丽', phone },
  });
  // The receipt reaches the enterprise's phone with its number and tracking code, and nothing of the matter.
  const receipt = await smsTo((e) => e.to === phone && e.text.includes('查询码'));
  assert.match(receipt.text, new RegExp(o.number));
  assert.doesNotMatch(receipt.text, /刻制印章/);
  const sup = await apiLogin('supervisor@450100');
  const handler = await apiLogin('handler@450100-XZSP');
  let c = await apiAct(sup, o, { action: 'dispatch', units: ['450100-XZSP'] });
  c = await apiAct(handler, c, { action: 'accept' });
  c = await apiAct(handler, c, { action: 'reply', text: '已为企业免费刻制首套印章，费用由财政承担。' });
  c = await apiAct(sup, c, { action: 'approve_reply' });
  const survey = await smsTo((e) => e.to === phone && e.text.includes('/s/'));
  const path = new URL(survey.text.match(/http:\/\/hotline\.example\S+/)[0]).pathname;

  // On a phone-sized screen: the number, the answer, three ratings, and no sideways scrolling.
  const ctx = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  await page.goto(base + path);
  assert.equal((await page.textContent('#s-number')).trim(), o.number);
  await page.locator('dd', { hasText: '费用由财政承担' }).waitFor();
  assert.equal(await page.locator('input[name=rating]').count(), 3);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'fits the phone');
  await page.locator('label', { hasText: /^\s*基本满意\s*$/ }).tap();
  await page.fill('#s-note', '办理很快，谢谢');
  await shot(page, 'sms-survey-phone');
  await Promise.all([page.waitForURL(base + path), page.locator('#survey button[type=submit]').tap()]);
  await page.locator('#s-thanks').waitFor();
  assert.match(await page.textContent('#s-rating'), /基本满意/);
  await ctx.close();

  // The agent finds the case closed, rated by SMS, in its history.
  const agent = await as('agent@450100');
  await agent.goto(base + '/cases/' + c.id);
  const step = agent.locator('ol.timeline li', { hasText: '短信评价' });
  await step.first().waitFor();
  assert.match(await step.first().innerText(), /基本满意/);
  const viewed = await apiCall(await apiLogin('agent@450100'), 'GET', `/api/v1/work-orders/${c.id}`);
  assert.equal(viewed.rating_channel, 'sms');
  assert.equal(viewed.state, 'closed');
  await agent.context().close();
});

await browser.close();
await stop(server, data);
smscProcess.kill();
console.log(results.join('\n'));
if (failures) { console.error(`${failures} end-to-end test(s) failed`); process.exit(1); }
if (!results.length) { console.error('no end-to-end test matched E2E_ONLY'); process.exit(1); }
console.log(`all ${results.length} end-to-end tests passed${dbUrl ? ' on PostgreSQL' : '; screenshots in docs/screenshots/'}`);
