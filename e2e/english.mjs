// English pages speak English: every page of every role (the walk of e2e/walk.mjs, plus reports, search
// results, a knowledge entry and the portal's tracking page) is opened in English, and any Chinese
// (U+4E00–U+9FFF, U+3000–U+303F, U+FF00–U+FFEF) in a text node, in a placeholder, title, aria-label, alt or
// label, or on a button, fails — unless it sits inside an element declared Chinese (`lang="zh-CN"`). The
// templates declare only what people wrote and names from the database that way (case titles and contents,
// people, enterprises, units, jurisdictions, messages, reports), and the language switch's own name 中文, so
// a Chinese label written into a template or the script is caught here.
//
// Run: node e2e/english.mjs   (ZHITONG_BIN defaults to $CARGO_TARGET_DIR/debug/zhitong)
import { demo, walk } from './walk.mjs';

const server = await demo();
const { base } = server;
let pages = 0;
const problems = [];

/// What on the page is Chinese outside an element declared Chinese: `[where, text]` pairs.
function chineseOutsideData() {
  const cjk = /[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]/;
  // `getAttribute`: SVG elements have no `lang` property.
  const declaredChinese = (el) => /^zh\b/i.test(el?.closest('[lang]')?.getAttribute('lang') || '');
  const where = (el) => {
    const path = [];
    for (let e = el; e && e.nodeType === 1 && path.length < 4; e = e.parentElement) {
      path.unshift(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.classList.length ? '.' + [...e.classList].join('.') : ''));
    }
    return path.join(' > ');
  };
  const found = [];
  const title = document.querySelector('title');
  if (title && cjk.test(title.textContent) && !declaredChinese(title)) found.push(['title', title.textContent]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!cjk.test(n.data) || el.closest('script, style') || declaredChinese(el)) continue;
    found.push([where(el), n.data.trim()]);
  }
  for (const el of document.body.querySelectorAll('*')) {
    const button = el.matches('button, input[type=button], input[type=submit], input[type=reset]');
    for (const attr of ['placeholder', 'title', 'aria-label', 'alt', 'label', ...(button ? ['value'] : [])]) {
      const v = el.getAttribute(attr);
      if (v && cjk.test(v) && !declaredChinese(el)) found.push([`${where(el)} [${attr}]`, v]);
    }
  }
  return found;
}

async function check(page, label) {
  pages++;
  for (const [where, text] of await page.evaluate(chineseOutsideData)) problems.push(`${label}: ${where}: ${JSON.stringify(text)}`);
}

// Beyond the navigation: the reports a supervisor or leader opens, an archived one, search results and a
// knowledge entry.
async function more(user, page) {
  if (!/^(supervisor|leader)@/.test(user)) return [];
  const hrefs = ['/reports/daily', '/reports/weekly', '/reports/monthly', '/search?q=' + encodeURIComponent('营业执照')];
  await page.goto(base + (user.startsWith('leader') ? '/leader' : '/reports'));
  const archived = await page.$('a[href^="/reports/archive/"]');
  if (archived) hrefs.push(await archived.getAttribute('href'));
  await page.goto(base + '/knowledge');
  const entry = await page.$('a[href^="/knowledge?id="]');
  if (entry) hrefs.push(await entry.getAttribute('href'));
  return hrefs;
}

// Deadlines and suggestions are filled in by the script after the page loads: wait for them.
await walk(server, 'en', check, { more, waitUntil: 'networkidle' });

// The portal's tracking page of an appeal just submitted.
const receipt = await (await fetch(base + '/portal/api/submit', {
  method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    jurisdiction: '450100', kind: 'help', title: '厂房用电报装进度慢', content: '申请用电报装已两个月仍未接通。',
    enterprise: { name: '南宁市五象新材料有限公司', uscc: '91450107MA5KE0EQ2B', phone: '13907710002', contact: '韦丽娟' },
    caller: { name: '韦丽娟', phone: '13907710002' },
  }),
})).json();
if (!receipt.number) throw new Error('portal submission refused: ' + JSON.stringify(receipt));
const ctx = await server.browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
const page = await ctx.newPage();
await page.goto(base + '/lang/en');
await page.goto(`${base}/portal/track?number=${encodeURIComponent(receipt.number)}&code=${encodeURIComponent(receipt.code)}`);
await check(page, 'en /portal/track');
await page.goto(`${base}/portal/track?number=${encodeURIComponent(receipt.number)}&code=wrong`);
await check(page, 'en /portal/track (not found)');
await ctx.close();

await server.close();
console.log(problems.join('\n'));
console.log(`English pages: ${pages} pages, ${problems.length} Chinese texts outside user data`);
if (problems.length) process.exit(1);
