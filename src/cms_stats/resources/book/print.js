// Run by the release in the single-page book just before Chromium prints it to book.pdf
// (cms_stats.release.pdf). Its argument is the title page's facts (or null).
// 1. Wait until the page is ready: fonts loaded, MathJax typeset, every image decoded.
// 2. Put a title page and the contents of every chapter (the Summary included) first.
// 3. Point raw HTML links between pages to their chapter in the single page; links to files
//    beside the web book become text.
// 4. Split tables too wide for the page at the print size by columns.
// 5. Check the print sizes. Returns the problems (tables no split can fit, text below 8 pt).
async (front) => {
  // Every font face the styles declare, loaded before anything is measured or printed: a face
  // first used by the title page or a split table would otherwise still be loading when the
  // tables are measured or Chromium prints (a fallback font, and different bytes, under load).
  document.querySelectorAll('img[loading="lazy"]').forEach((img) => { img.loading = "eager"; });
  await Promise.all([...document.fonts].map((face) => face.load().catch(() => null)));
  await document.fonts.ready;
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  await Promise.all([...document.images].map((img) => img.decode().catch(() => null)));
  // Nothing scrolls on paper: the screen's "scroll sideways" words (table-scroll.js) go, before
  // a split table's caption is made from its caption's text.
  document.documentElement.dataset.printing = "true";
  document.querySelectorAll(".cms-scroll-hint").forEach((hint) => hint.remove());

  const make = (tag, cls, text) => {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    if (text) el.textContent = text;
    return el;
  };

  // The chapters, in book order: the root page's own section, then each included document.
  const article = document.querySelector("article.bd-article") || document.body;
  const chapters = [];
  const first = article.querySelector("section[id] > h1");
  if (first) chapters.push(first);
  // (the single-page builder demotes an included document's title to h2)
  article.querySelectorAll('.toctree-wrapper > span[id^="document-"] + section > h2')
    .forEach((h) => chapters.push(h));

  const contents = make("nav", "cms-print-contents");
  contents.setAttribute("aria-label", "Contents");
  contents.appendChild(make("h2", "", "Contents"));
  const list = make("ol");
  for (const h1 of chapters) {
    const item = make("li");
    const row = make("span", "cms-contents-row");
    const link = make("a", "", h1.textContent.replace(/#$/, "").trim());
    link.href = "#" + h1.parentElement.id;
    row.appendChild(link);
    row.appendChild(make("span", "cms-contents-leader"));
    // the chapter's page, filled in after a first print (cms_stats.release.pdf): room kept for
    // it now, so the numbers move nothing
    const page = make("span", "cms-contents-page");
    page.dataset.target = h1.parentElement.id;
    row.appendChild(page);
    item.appendChild(row);
    list.appendChild(item);
  }
  contents.appendChild(list);

  const front_matter = make("div", "cms-print-front");
  if (front) {
    const title = make("div", "cms-title-page");
    title.appendChild(make("p", "cms-title", front.title));
    title.appendChild(make("p", "cms-subtitle", front.subtitle));
    if (front.synthetic) title.appendChild(make("p", "cms-synthetic", front.synthetic));
    const facts = make("ul", "cms-facts");
    for (const line of front.lines) facts.appendChild(make("li", "", line));
    title.appendChild(facts);
    front_matter.appendChild(title);
  }
  front_matter.appendChild(contents);
  // The theme's own print contents (without the root page) gives way to these.
  // The title page carries the synthetic-data statement: the banner above it would repeat it.
  if (front && front.synthetic) {
    document.querySelectorAll(".bd-header-announcement").forEach((el) => el.remove());
  }
  const theme_toc = document.getElementById("jb-print-docs-body");
  if (theme_toc) theme_toc.remove();
  article.parentElement.insertBefore(front_matter, article);

  // Links written as raw HTML to another page of the book ("caseload.html", the Summary's
  // tiles) point inside the PDF: to that chapter in the single page.
  for (const a of article.querySelectorAll("a[href]")) {
    const m = a.getAttribute("href").match(/^([\w-]+)\.html(#.*)?$/);
    if (!m) continue;
    const target = m[2] && document.getElementById(m[2].slice(1))
      ? m[2].slice(1) : "document-notebooks/" + m[1];
    if (document.getElementById(target)) a.setAttribute("href", "#" + target);
  }

  // Links to files beside the web book (the spreadsheet, a CSV) would be dead in a PDF read on
  // its own: they become plain text (which names the file); web links and anchors stay.
  for (const a of article.querySelectorAll("a[href]")) {
    const href = a.getAttribute("href");
    if (!/^(#|https?:|mailto:)/.test(href)) a.removeAttribute("href");
  }

  // Tables too wide for the page at the print size are split by columns into parts that fit,
  // each part repeating the row headers (a table of simple rows: one header row, no spans).
  const page_width = 180 * (96 / 25.4);  // A4 less the 15 mm side margins, in CSS pixels
  const too_wide = [];
  for (const table of [...article.querySelectorAll("table")]) {
    if (table.scrollWidth <= page_width + 1) continue;
    const caption = table.querySelector("caption");
    const name = caption ? caption.textContent.trim() : "(no caption)";
    const columns = table.rows[0].cells.length;
    let done = false;
    for (let k = 2; k < columns && !done; k++) {
      const per = Math.ceil((columns - 1) / k);
      const count = Math.ceil((columns - 1) / per);
      const parts = [];
      for (let start = 1; start < columns; start += per) {
        const part = table.cloneNode(true);
        if (parts.length) part.removeAttribute("id");
        for (const row of part.rows) {
          for (let c = row.cells.length - 1; c >= 1; c--) {
            if (c < start || c >= start + per) row.deleteCell(c);
          }
        }
        const cap = part.querySelector("caption");
        if (cap) cap.textContent = `${name} (part ${parts.length + 1} of ${count})`;
        parts.push(part);
      }
      parts.forEach((part) => table.parentElement.insertBefore(part, table));
      table.style.display = "none";
      done = parts.every((part) => part.scrollWidth <= page_width + 1);
      if (done) {
        table.remove();
      } else {
        parts.forEach((part) => part.remove());
        table.style.display = "";
      }
    }
    if (!done) too_wide.push(`table '${name}' does not fit an A4 page even split by columns`);
  }

  // Print sizes: no visible text below 8 pt (formulae's sub- and superscripts excepted).
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const small = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest("mjx-container, .MathJax, svg")) continue;
    if (!el.getClientRects().length) continue;  // not displayed in print
    const size = parseFloat(getComputedStyle(el).fontSize) * 0.75;  // CSS px -> pt
    if (size < 7.95) small.add(`text '${node.textContent.trim().slice(0, 40)}' at ${size.toFixed(1)} pt`);
  }
  // Laid out again after the changes above, with every image decoded, before Chromium prints.
  await document.fonts.ready;
  await Promise.all([...document.images].map((img) => img.decode().catch(() => null)));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return [...too_wide, ...small];
}
