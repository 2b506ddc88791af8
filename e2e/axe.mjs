// Accessibility: axe-core (WCAG 2.1 A and AA) on every page of every role's navigation, a case page and the
// portal, in Chinese and in English, against a demo server with demo cases (the walk is e2e/walk.mjs). Any
// violation fails.
//
// Run: node e2e/axe.mjs   (ZHITONG_BIN defaults to $CARGO_TARGET_DIR/debug/zhitong)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demo, walk, root } from './walk.mjs';

const axe = readFileSync(join(root, 'e2e', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const server = await demo();
let pages = 0;
const problems = [];
async function check(page, label) {
  // axe is injected past the Content-Security-Policy (bypassCSP): the product's own pages never run inline script.
  await page.addScriptTag({ content: axe });
  const r = await page.evaluate(async () => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  pages++;
  for (const v of r.violations) problems.push(`${label}: ${v.id} (${v.impact}) ×${v.nodes.length}: ${v.help} — ${v.nodes[0].target.join(' ')}`);
}
for (const lang of ['zh', 'en']) await walk(server, lang, check);
await server.close();
console.log(problems.join('\n'));
console.log(`axe-core (WCAG 2.1 A/AA): ${pages} pages, ${problems.length} violations`);
if (problems.length) process.exit(1);
