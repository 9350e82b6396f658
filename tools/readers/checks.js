// The checks run inside a rendered document (an EPUB content document in a reading engine's
// iframe, or the web page). Loaded into the page as a plain script: defines window.readerChecks.
// checkDoc(doc, {font, background, columnWidth, columnHeight}) returns a list of failures (strings);
// without them, the width and height of the reading engine's column (columnWidth(doc),
// columnHeight(doc)) are used.
(function () {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });

  // Any CSS colour to [r, g, b, a] (a in 0..1), through a canvas so that every syntax is read.
  function rgba(css) {
    const m = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/.exec(css);
    if (m) return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = '#000';
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  }
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const luminance = c => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (l1 + 0.05) / (l2 + 0.05);
  };

  // The background an element's text is drawn on: its own and its ancestors' backgrounds,
  // composited over the reading system's page colour.
  function background(el, page) {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = rgba(page);
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  }

  const describe = el => {
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''}> "${text}"`;
  };
  const visible = el => {
    const cs = getComputedStyle(el);
    return cs.visibility !== 'hidden' && cs.display !== 'none' && el.getClientRects().length > 0;
  };

  // The engine's multi-column container and its computed style: <html> in foliate-js, <body> in
  // epub.js; null without one (the web page, a scrolled flow).
  function multicolumn(doc) {
    for (const el of [doc.documentElement, doc.body]) {
      if (!el) continue;
      const cs = doc.defaultView.getComputedStyle(el);
      if (cs.columnWidth !== 'auto' || cs.columnCount !== 'auto') return { el, cs };
    }
    return null;
  }

  // The used width of one column of the engine's paginated layout, from the multi-column
  // container's content box, column-width, column-count and column-gap (CSS Multi-column Layout,
  // section 3.4). In foliate-js and epub.js the iframe and <html> are widened to all the
  // document's pages, so <html>'s width is no column width. Without a multi-column container:
  // <html>'s width.
  function columnWidth(doc) {
    const box = multicolumn(doc);
    if (!box) return doc.documentElement.clientWidth;
    const { el, cs } = box;
    const inner = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const gap = cs.columnGap === 'normal' ? parseFloat(cs.fontSize) : parseFloat(cs.columnGap);
    const fit = cs.columnWidth === 'auto' ? Infinity : Math.max(1, Math.floor((inner + gap) / (parseFloat(cs.columnWidth) + gap)));
    const count = Math.min(cs.columnCount === 'auto' ? Infinity : +cs.columnCount, fit);
    return Math.max(0, (inner + gap) / count - gap);
  }

  // The height of one page of the engine's paginated layout: the multi-column container's content
  // height. Without one: Infinity, nothing is cut at a page's foot.
  function columnHeight(doc) {
    const box = multicolumn(doc);
    if (!box) return Infinity;
    return box.el.clientHeight - parseFloat(box.cs.paddingTop) - parseFloat(box.cs.paddingBottom);
  }

  // Whether an ancestor below <body> scrolls sideways. <html> and <body> are left out: they
  // are the engine's page boxes (epub.js hides the body's vertical overflow, which makes its
  // horizontal overflow compute to auto).
  function insideScroller(el, body) {
    for (let e = el.parentElement; e && e !== body; e = e.parentElement)
      if (/^(auto|scroll)$/.test(getComputedStyle(e).overflowX)) return true;
    return false;
  }

  function checkDoc(doc, opts) {
    const fails = [];
    const win = doc.defaultView;
    const gcs = e => win.getComputedStyle(e);
    const body = doc.body;
    if (!body) return ['no body'];
    // Overflow: no box wider than the column; a box that scrolls sideways (a table's wrapper, a
    // code block) must fit, what it scrolls may not.
    const column = opts.columnWidth ?? columnWidth(doc);
    for (const el of body.querySelectorAll('*')) {
      if (!(el instanceof win.HTMLElement) || !visible(el)) continue;
      if (insideScroller(el, body)) continue;
      // The used width, not offsetWidth: a block broken across columns has a box per column.
      const cs = gcs(el);
      let width = parseFloat(cs.width);
      if (!/px$/.test(cs.width)) width = 0;
      else if (cs.boxSizing !== 'border-box')
        width += ['paddingLeft', 'paddingRight', 'borderLeftWidth', 'borderRightWidth'].reduce((s, k) => s + parseFloat(cs[k]), 0);
      if (width > column + 1)
        fails.push(`overflow: ${describe(el)} is ${Math.round(width)}px wide in a ${Math.round(column)}px column`);
      else if (el.clientWidth > 0 && cs.overflowX === 'visible'
               && el.scrollWidth > el.clientWidth + 1 && el.scrollWidth > column + 1)
        fails.push(`overflow: ${describe(el)} content is ${el.scrollWidth}px wide, its box ${el.clientWidth}px`);
    }
    // Clipping: a box that scrolls or clips (overflow other than visible) is not broken across
    // pages in a paginated engine (Chromium lays it out as one piece), so one taller than the page
    // loses what lies below the page's foot — the last rows of a long table in a scrolling
    // wrapper, the end of a long code block.
    const pageHeight = opts.columnHeight ?? columnHeight(doc);
    for (const el of body.querySelectorAll('*')) {
      if (!(el instanceof win.HTMLElement) || !visible(el)) continue;
      const cs = gcs(el);
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      const height = el.getBoundingClientRect().height;
      if (height > pageHeight + 1)
        fails.push(`clipped: ${describe(el)} (overflow ${cs.overflowX} ${cs.overflowY}) is ${Math.round(height)}px tall in a ${Math.round(pageHeight)}px page; what lies below the page's foot cannot be read`);
    }
    // Contrast of every visible piece of text (links included) against its effective background.
    const seen = new Set();
    const walker = doc.createTreeWalker(body, win.NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.data.trim() || !el || seen.has(el)) continue;
      seen.add(el);
      if (!visible(el)) continue;
      const bg = background(el, opts.background);
      const fg = over(rgba(gcs(el).color), bg);
      const ratio = contrast(fg, bg);
      if (ratio < 4.5)
        fails.push(`contrast ${ratio.toFixed(2)}:1: ${describe(el)} ${gcs(el).color} on rgb(${bg.slice(0, 3).map(Math.round)})`);
    }
    // The reader's font reaches headings and tables.
    if (opts.font) {
      const family = opts.font.split(',')[0].replace(/['"]/g, '').trim().toLowerCase();
      for (const el of body.querySelectorAll('h1, h2, h3, h4, h5, h6, th, td, caption')) {
        const f = gcs(el).fontFamily.split(',')[0].replace(/['"]/g, '').trim().toLowerCase();
        if (f !== family) fails.push(`font: ${describe(el)} is in ${gcs(el).fontFamily}, not the reader's ${opts.font}`);
      }
    }
    return fails;
  }

  // Glossary and footnote links: [{href, kind}] of the links found in the document.
  function noteLinks(doc) {
    const out = [];
    for (const a of doc.querySelectorAll('a[href]')) {
      const type = (a.getAttributeNS('http://www.idpf.org/2007/ops', 'type') || a.getAttribute('epub:type') || '')
        + ' ' + (a.getAttribute('role') || '') + ' ' + (a.className || '');
      const kind = /gloss/.test(type) ? 'glossary' : /noteref|footnote|fnref|backlink/.test(type) ? 'footnote' : 'link';
      const href = a.getAttribute('href');
      if (/^[a-z]+:/i.test(href) && !/^(https?:\/\/(127\.0\.0\.1|localhost))/i.test(href)) continue; // outside the book
      out.push({ href, kind, text: (a.textContent || '').trim().slice(0, 30) });
    }
    return out;
  }

  // Every link resolved against the document's URL lands on an existing element.
  const cache = new Map();
  async function checkLinks(links, base) {
    const fails = [];
    const counts = { glossary: 0, footnote: 0, link: 0 };
    for (const { href, kind, text } of links) {
      const url = new URL(href, base);
      const id = decodeURIComponent(url.hash.slice(1));
      url.hash = '';
      if (!cache.has(url.href)) {
        cache.set(url.href, fetch(url.href).then(async r => {
          if (!r.ok) return null;
          const type = /\.html?$/.test(url.pathname) ? 'text/html' : 'application/xhtml+xml';
          return new DOMParser().parseFromString(await r.text(), type);
        }).catch(() => null));
      }
      const target = await cache.get(url.href);
      counts[kind]++;
      if (!target) fails.push(`${kind} link "${text}" -> ${href}: the document does not load`);
      else if (id && !target.getElementById(id)) fails.push(`${kind} link "${text}" -> ${href}: no element #${id}`);
    }
    return { fails, counts };
  }

  // The id nearest before (or on) the document's first table, to show the table in a screenshot.
  function tableAnchor(doc) {
    const table = doc.querySelector('table');
    if (!table) return null;
    if (table.id) return table.id;
    let anchor = null;
    for (const el of doc.querySelectorAll('[id]'))
      if (el.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING && !el.contains(table)) anchor = el.id;
    return anchor;
  }

  window.readerChecks = { checkDoc, columnWidth, columnHeight, noteLinks, checkLinks, rgba, tableAnchor };
})();
