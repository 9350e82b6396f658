#!/usr/bin/env node
// The reading-system test (`make readers`): opens each EPUB in BOOKS in two reading engines,
// foliate-js (the engine of the Foliate app) and epub.js (its themes API), at phone and tablet
// sizes, in day and night themes with the reader's own font at 150 %, and each web page (.html)
// in Chromium at 390, 1280 and 1600 px in light and dark mode. In every rendered document it
// checks overflow, contrast, the reader's font and that glossary and footnote links land
// (checks.js). Screenshots go to OUT. Exit status 1 on any failure.
//   node readers.mjs BOOKS_DIR OUT_DIR
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const [books = 'build/readers/books', out = 'build/readers'] = process.argv.slice(2);
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const only = process.env.READERS_ENGINES ? process.env.READERS_ENGINES.split(',') : ['foliate', 'epubjs'];
const FONT = "'DejaVu Serif', serif";
const THEMES = { day: { bg: '#ffffff', fg: '#000000' }, night: { bg: '#000000', fg: '#ffffff' } };
const SIZES = [[390, 844], [800, 1200]];

fs.mkdirSync(out, { recursive: true });
const unzipped = path.join(out, 'unzipped');
const epubs = fs.readdirSync(books).filter(f => f.endsWith('.epub')).sort();
const pages = fs.readdirSync(books).filter(f => f.endsWith('.html')).sort();
for (const f of epubs) {
  const dir = path.join(unzipped, path.basename(f, '.epub'));
  fs.rmSync(dir, { recursive: true, force: true });
  execFileSync('python3', ['-m', 'zipfile', '-e', path.join(books, f), dir]);
}

// One origin for the engines, the books and the checks, so that the engines' iframes can be read.
const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.xhtml': 'application/xhtml+xml',
  '.css': 'text/css', '.epub': 'application/epub+zip', '.opf': 'application/oebps-package+xml', '.xml': 'application/xml',
  '.ncx': 'application/x-dtbncx+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.svg': 'image/svg+xml', '.woff2': 'font/woff2' };
const roots = { lib: path.join(here, 'node_modules'), books: path.resolve(books), unzipped: path.resolve(unzipped), tools: here };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/blank.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0}</style></head><body><div id="viewer"></div></body></html>');
  }
  const [, root, ...rest] = decodeURIComponent(url.pathname).split('/');
  const file = roots[root] && path.join(roots[root], ...rest);
  if (!file || !file.startsWith(roots[root]) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise(r => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await puppeteer.launch({ executablePath: chromium, headless: true,
  args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--font-render-hinting=none'] });
const results = []; // {where, fails}
const withTimeout = (p, ms, what) => Promise.race([p, new Promise((_, no) => setTimeout(() => no(new Error(`timed out: ${what}`)), ms))]);

const openPages = new Map(); // task -> its pages, closed when the task ends or times out
async function newPage(width, height, task) {
  const page = await browser.newPage();
  openPages.get(task)?.push(page);
  await page.setViewport({ width, height });
  page.on('pageerror', e => console.error(`  page error: ${e.message}`));
  await page.goto(`${origin}/blank.html`);
  await page.addScriptTag({ url: `${origin}/tools/checks.js` });
  return page;
}

// The user settings, as a reading system's stylesheet (ReadiumCSS-like) for foliate-js.
const userCSS = t => `html, body { color: ${t.fg} !important; background: ${t.bg} !important; }
  body { font-family: ${FONT} !important; font-size: 150% !important; }`;
// (No link colour: the book's own links must be readable on the reader's background.)

async function runFoliate(slug, [w, h], theme, task) {
  const page = await newPage(w, h, task);
  const t = THEMES[theme];
  await page.evaluate(async (url, css, t) => {
    document.body.style.background = t.bg;
    await import('/lib/foliate-js/view.js'); // defines <foliate-view>
    const view = document.createElement('foliate-view');
    view.style.cssText = 'display:block;width:100vw;height:100vh';
    document.getElementById('viewer').replaceWith(view);
    await view.open(url);
    view.renderer.setAttribute('flow', 'paginated');
    view.renderer.setAttribute('margin', '24px');
    view.renderer.setAttribute('gap', '5%');
    view.renderer.setAttribute('max-inline-size', '720px');
    view.renderer.setStyles?.(css);
    window.view = view;
  }, `${origin}/books/${slug}.epub`, userCSS(t), t);
  const count = await page.evaluate(() => view.book.sections.length);
  const fails = [];
  const links = { glossary: 0, footnote: 0, link: 0 };
  let shot = null, best = -1;
  for (let i = 0; i < count; i++) {
    const r = await withTimeout(page.evaluate(async (i, bg, font, base) => {
      const section = view.book.sections[i];
      if (section.linear === 'no') return null;
      await view.goTo(i);
      await new Promise(r => setTimeout(r, 50));
      const { doc } = view.renderer.getContents().find(c => c.index === i) || {};
      if (!doc) return { fails: [`section ${i} did not render`] };
      const fails = readerChecks.checkDoc(doc, { background: bg, font });
      const l = await readerChecks.checkLinks(readerChecks.noteLinks(doc), base + section.id);
      return { fails: fails.concat(l.fails), counts: l.counts, id: section.id, anchor: readerChecks.tableAnchor(doc),
        score: doc.querySelectorAll('table').length * 100 + doc.querySelectorAll('a[href*="#"]').length };
    }, i, t.bg, FONT, `${origin}/unzipped/${slug}/`), 20000, `${slug} section ${i}`);
    if (!r) continue;
    for (const k in r.counts || {}) links[k] += r.counts[k];
    fails.push(...r.fails.map(f => `${r.id}: ${f}`));
    if (r.score > best) [best, shot] = [r.score, r.anchor ? `${r.id}#${r.anchor}` : i];
  }
  if (shot !== null) {
    await page.evaluate(async i => { await view.goTo(i); await new Promise(r => setTimeout(r, 300)); }, shot);
    await page.screenshot({ path: path.join(out, `foliate-${slug}-${w}x${h}-${theme}.png`) });
  }
  await page.close();
  return { fails, links };
}

async function runEpubjs(slug, [w, h], theme, task) {
  const page = await newPage(w, h, task);
  await page.addScriptTag({ url: `${origin}/lib/jszip/dist/jszip.min.js` });
  await page.addScriptTag({ url: `${origin}/lib/epubjs/dist/epub.min.js` });
  const t = THEMES[theme];
  await page.evaluate(async (url, t, font, w, h) => {
    document.body.style.background = t.bg;
    const book = ePub(url);
    const rendition = book.renderTo('viewer', { width: w, height: h, flow: 'paginated', spread: 'none' });
    rendition.themes.register('day', { body: { background: `${t.bg} !important`, color: `${t.fg} !important` } });
    rendition.themes.register('night', { body: { background: `${t.bg} !important`, color: `${t.fg} !important` } });
    rendition.themes.select(t.bg === '#000000' ? 'night' : 'day');
    rendition.themes.font(font);
    rendition.themes.fontSize('150%');
    await book.ready;
    window.book = book;
    window.rendition = rendition;
  }, `${origin}/unzipped/${slug}/`, t, FONT, w, h);
  const hrefs = await page.evaluate(() => book.spine.spineItems.filter(s => s.linear).map(s => [s.href, s.url]));
  const fails = [];
  const links = { glossary: 0, footnote: 0, link: 0 };
  let shot = null, best = -1;
  for (const [href, url] of hrefs) {
    const r = await withTimeout(page.evaluate(async (href, url, bg, font) => {
      await rendition.display(href);
      await new Promise(r => setTimeout(r, 50));
      const contents = rendition.getContents()[0];
      if (!contents) return { fails: ['did not render'] };
      const doc = contents.document;
      const fails = readerChecks.checkDoc(doc, { background: bg, font });
      const l = await readerChecks.checkLinks(readerChecks.noteLinks(doc), url);
      return { fails: fails.concat(l.fails), counts: l.counts, anchor: readerChecks.tableAnchor(doc),
        score: doc.querySelectorAll('table').length * 100 + doc.querySelectorAll('a[href*="#"]').length };
    }, href, url, t.bg, FONT), 20000, `${slug} ${href}`);
    for (const k in r.counts || {}) links[k] += r.counts[k];
    fails.push(...r.fails.map(f => `${href}: ${f}`));
    if (r.score > best) [best, shot] = [r.score, r.anchor ? `${href}#${r.anchor}` : href];
  }
  if (shot !== null) {
    await page.evaluate(async href => { await rendition.display(href); await new Promise(r => setTimeout(r, 300)); }, shot);
    await page.screenshot({ path: path.join(out, `epubjs-${slug}-${w}x${h}-${theme}.png`) });
  }
  await page.close();
  return { fails, links };
}

async function runWeb(file, width, scheme, task) {
  const page = await browser.newPage();
  openPages.get(task)?.push(page);
  await page.setBypassCSP(true); // the page's Content-Security-Policy would refuse checks.js
  await page.setViewport({ width, height: 900 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  await page.goto(`${origin}/books/${file}`, { waitUntil: 'load' });
  await page.addScriptTag({ url: `${origin}/tools/checks.js` });
  const r = await page.evaluate(async scheme => {
    const html = document.documentElement;
    // The canvas under a page without a background: dark only when the page opts in to dark.
    const canvas = getComputedStyle(html).colorScheme.includes('dark') && scheme === 'dark' ? '#121212' : '#ffffff';
    const fails = readerChecks.checkDoc(document, { background: canvas, columnWidth: html.clientWidth });
    if (html.scrollWidth > html.clientWidth + 1) fails.push(`overflow: the page scrolls sideways (${html.scrollWidth}px in ${html.clientWidth}px)`);
    const l = await readerChecks.checkLinks(readerChecks.noteLinks(document), location.href);
    return { fails: fails.concat(l.fails), counts: l.counts };
  }, scheme);
  const slug = path.basename(file, '.html');
  await page.screenshot({ path: path.join(out, `web-${slug}-${width}-${scheme}.png`) });
  await page.close();
  return { fails: r.fails, links: r.counts };
}

// The first few problems of each kind (overflow, contrast, font, a link…), so that a flood of
// one kind does not hide another.
const kindOf = f => f.replace(/^[^ ]*: /, '').split(/[ :]/)[0];
function firstOfEachKind(fails, n) {
  const seen = new Map();
  return fails.filter(f => {
    const k = kindOf(f);
    seen.set(k, (seen.get(k) || 0) + 1);
    return seen.get(k) <= n;
  });
}

let failed = 0;
const report = (where, r) => {
  const l = r.links ? ` (links checked: ${r.links.glossary} glossary, ${r.links.footnote} footnote, ${r.links.link} other)` : '';
  if (r.fails.length) {
    failed++;
    console.log(`FAIL ${where}: ${r.fails.length} problem(s)${l}`);
    for (const f of firstOfEachKind([...new Set(r.fails)], 4)) console.log(`     ${f}`);
  } else console.log(`ok   ${where}${l}`);
};
const started = Date.now();
// Configurations run side by side (READERS_JOBS, 1 by default: a page in a background tab may wait for frames that do not come); reports are printed in order.
const tasks = [];
const engines = { foliate: runFoliate, epubjs: runEpubjs };
for (const f of epubs) {
  const slug = path.basename(f, '.epub');
  for (const engine of only)
    for (const size of SIZES)
      for (const theme of Object.keys(THEMES))
        tasks.push([`${engine.padEnd(7)} ${slug} ${size.join('x')} ${theme}`, t => engines[engine](slug, size, theme, t)]);
}
for (const f of pages)
  for (const width of [390, 1280, 1600])
    for (const scheme of ['light', 'dark'])
      tasks.push([`web     ${f} ${width} ${scheme}`, t => runWeb(f, width, scheme, t)]);
const done = tasks.map(() => null);
let next = 0, printed = 0;
async function worker() {
  while (next < tasks.length) {
    const i = next++;
    const [where, run] = tasks[i];
    // A configuration that hangs (an engine waiting for an event under a loaded machine) is
    // closed and tried once more before it counts as a failure.
    for (let attempt = 1; attempt <= 2 && !done[i]; attempt++) {
      const task = {};
      openPages.set(task, []);
      try { done[i] = [where, await withTimeout(run(task), 60000, where)]; }
      catch (e) {
        if (attempt === 2 || !/timed out/.test(e.message)) done[i] = [where, { fails: [`error: ${e.message}`] }];
        else console.error(`  ${where}: ${e.message}, trying again`);
      }
      finally {
        for (const page of openPages.get(task)) await page.close().catch(() => {});
        openPages.delete(task);
      }
    }
    while (printed < tasks.length && done[printed]) report(...done[printed++]);
  }
}
try {
  await Promise.all(Array.from({ length: Number(process.env.READERS_JOBS || 1) }, worker));
} finally {
  await browser.close();
  server.close();
}
console.log(`\nreaders: ${epubs.length} EPUB(s) in ${only.join(' and ')}, ${pages.length} web page(s); ` +
  `${failed ? failed + ' configuration(s) failed' : 'every check passed'} in ${Math.round((Date.now() - started) / 1000)} s; screenshots in ${out}/`);
process.exit(failed ? 1 : 0);
