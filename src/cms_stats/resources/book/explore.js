/* The table builder of the web book ("Create your own table"): plain JavaScript, no library.

   It reads window.CMS_EXPLORE_DATA (the release's _static/explore/data.js, written from the
   published CSV files by cms_stats.publish.explore) and shows the reader's choice of a table's
   figures, breakdowns and months as an HTML table: the published text of every figure, with
   thousands separators as in the book's tables, symbols linked to their notes. The choice is
   kept in the page's address (a permanent link); rows and columns can be swapped; the
   selection downloads as CSV (one row per figure, the published CSV's columns); a time series
   is also drawn as a line chart (SVG). Nothing is fetched: the data came with the page. */
(function () {
  "use strict";
  const DATA = window.CMS_EXPLORE_DATA;
  const root = document.getElementById("cms-explore");
  if (!root || !DATA) return;
  const $ = (id) => document.getElementById(id);
  const form = $("cms-explore-form"), tableSelect = $("cms-explore-table");
  const measuresBox = $("cms-explore-measures"), breakdownsBox = $("cms-explore-breakdowns");
  const fromSelect = $("cms-explore-from"), toSelect = $("cms-explore-to");
  const swapButton = $("cms-explore-swap"), download = $("cms-explore-download");
  const permalink = $("cms-explore-permalink"), status = $("cms-explore-status");
  const result = $("cms-explore-result"), chartBox = $("cms-explore-chart");
  const notesBox = $("cms-explore-notes");
  const CSV_COLUMNS = ["table", "period", "measure", "breakdown", "value", "unit",
                       "value_numeric", "marker"];
  // Colours of the Analysis Function's categorical palette, darkened where needed for 3:1
  // on white (WCAG 1.4.11); each line also has its own dash pattern and marker.
  const COLOURS = ["#12436d", "#1e7f76", "#801650", "#b3400c", "#3d3d3d", "#6b4fa8"];
  const DASHES = ["", "8 4", "2 3", "12 4 2 4", "4 4", "1 5"];
  const MAX_LINES = COLOURS.length;
  const tables = new Map(DATA.tables.map((t) => [t.id, t]));
  const state = {table: null, measures: [], breakdowns: [], from: null, to: null, swapped: false};
  let blobUrl = null;

  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) e.append(c);
    return e;
  };
  const svgEl = (tag, attrs) => {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  };

  // -- figures as the book's tables show them ----------------------------------------------
  const isSymbol = (v) => Object.prototype.hasOwnProperty.call(DATA.symbols, v);
  const NUMBER = /^(-?)(\d+)(\.\d+)?$/;
  /** The published text with thousands separators (the book's tables: 10,200; 1,234.5). */
  function shown(value) {
    const m = NUMBER.exec(value);
    if (!m) return value;
    return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (m[3] || "");
  }
  /** A cell of the table: a number right-aligned, a symbol linked to its note. */
  function cell(value) {
    const text = value === null ? DATA.not_available : value;
    const td = el("td", {class: "cms-explore-figure"});
    if (isSymbol(text) && DATA.symbols[text].href) {
      td.append(el("a", {href: DATA.symbols[text].href}, text));
    } else {
      td.append(shown(text));
    }
    return td;
  }

  // -- the choice ---------------------------------------------------------------------------
  function choice(box, name, items, chosen) {
    box.querySelectorAll(".cms-explore-choice").forEach((e) => e.remove());
    items.forEach(([value, label], i) => {
      const id = `cms-explore-${name}-${i}`;
      const input = el("input", {type: "checkbox", id, name, value,
                                 checked: chosen.includes(value)});
      box.append(el("div", {class: "cms-explore-choice"}, input, " ",
                    el("label", {for: id}, label)));
    });
  }
  const checked = (box) => [...box.querySelectorAll("input:checked")].map((i) => i.value);

  function breakdownsOf(table) {
    const seen = new Map();
    for (const m of table.measures) {
      for (const [code, label] of m.breakdowns) {
        if (!seen.has(code)) seen.set(code, code === "all" ? "All (the total)" : label);
      }
    }
    return [...seen.entries()];
  }

  // A table of hundreds of areas (Table 22's constituencies) starts with its total, or its first
  // few: 632 lines on one chart and 633 columns read as nothing. The reader ticks the others.
  const MANY_BREAKDOWNS = 20;
  function firstBreakdowns(items) {
    const codes = items.map(([code]) => code);
    if (codes.length <= MANY_BREAKDOWNS) return codes;
    return codes.includes("all") ? ["all"] : codes.slice(0, 5);
  }

  function setTable(id, fromUrl) {
    const table = tables.get(id) || DATA.tables[0];
    state.table = table;
    tableSelect.value = table.id;
    const measures = table.measures.map((m) => [m.id, m.label]);
    const breakdowns = breakdownsOf(table);
    const keep = (wanted, items) => wanted.filter((v) => items.some(([code]) => code === v));
    state.measures = keep((fromUrl && fromUrl.measures) || [], measures);
    if (!state.measures.length) state.measures = measures.map(([code]) => code);
    state.breakdowns = keep((fromUrl && fromUrl.breakdowns) || [], breakdowns);
    if (!state.breakdowns.length) state.breakdowns = firstBreakdowns(breakdowns);
    choice(measuresBox, "figure", measures, state.measures);
    choice(breakdownsBox, "breakdown", breakdowns, state.breakdowns);
    for (const select of [fromSelect, toSelect]) {
      select.replaceChildren(...table.periods.map((p, i) => el("option", {value: p},
                                                               table.period_labels[i])));
    }
    const last = table.periods.length - 1;
    const at = (p, fallback) => (table.periods.includes(p) ? p : table.periods[fallback]);
    state.to = at(fromUrl && fromUrl.to, last);
    state.from = at(fromUrl && fromUrl.from, Math.max(0, table.periods.indexOf(state.to) - 12));
    fromSelect.value = state.from;
    toSelect.value = state.to;
  }

  function readUrl() {
    const q = new URLSearchParams(location.search);
    const list = (k) => (q.get(k) ? q.get(k).split(",").filter(Boolean) : []);
    return {table: q.get("table"), measures: list("figures"), breakdowns: list("breakdowns"),
            from: q.get("from"), to: q.get("to"), swapped: q.get("rows") === "figures"};
  }

  function query() {
    const q = new URLSearchParams();
    q.set("table", state.table.id);
    q.set("figures", state.measures.join(","));
    q.set("breakdowns", state.breakdowns.join(","));
    q.set("from", state.from);
    q.set("to", state.to);
    q.set("rows", state.swapped ? "figures" : "months");
    return "?" + q.toString().replace(/%2C/g, ",");
  }

  // -- the selection ------------------------------------------------------------------------
  function selection() {
    const t = state.table;
    let a = t.periods.indexOf(state.from), b = t.periods.indexOf(state.to);
    if (a > b) [a, b] = [b, a];
    const rows = [];
    for (let i = a; i <= b; i++) rows.push(i);
    const columns = t.columns.filter((c) => state.measures.includes(c.measure)
                                           && state.breakdowns.includes(c.breakdown));
    return {table: t, periods: rows, columns};
  }

  function renderTable(sel) {
    const t = sel.table;
    const range = `${t.period_labels[sel.periods[0]]} to ${t.period_labels[sel.periods.at(-1)]}`;
    const caption = `${t.title}: ${range}`;
    const corner = state.swapped ? "Figure" : t.period_header;
    const heads = state.swapped ? sel.periods.map((i) => t.period_labels[i])
                                : sel.columns.map((c) => c.header);
    const lines = state.swapped
      ? sel.columns.map((c) => [c.header, sel.periods.map((i) => c.values[i])])
      : sel.periods.map((i) => [t.period_labels[i], sel.columns.map((c) => c.values[i])]);
    const table = el("table", {class: "table", id: "cms-explore-table-shown"},
      el("caption", {}, el("span", {class: "cms-caption"}, caption)),
      el("thead", {}, el("tr", {}, el("th", {scope: "col"}, corner),
                               ...heads.map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, ...lines.map(([head, values]) =>
        el("tr", {}, el("th", {scope: "row"}, head), ...values.map(cell)))));
    result.replaceChildren(el("div", {class: "cms-table", style: "overflow-x:auto", tabindex: "0",
                                      role: "region", "aria-label": caption}, table));
    return caption;
  }

  function csvText(sel) {
    const quote = (v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const out = [CSV_COLUMNS.join(",")];
    for (const i of sel.periods) {
      for (const c of sel.columns) {
        const value = c.values[i];
        if (value === null) continue;  // not a published figure: not in the published CSV
        const number = NUMBER.test(value);
        out.push([sel.table.id, sel.table.periods[i], c.measure, c.breakdown, value, c.unit,
                  number ? value : "", number ? "" : value].map(quote).join(","));
      }
    }
    return out.join("\n") + "\n";
  }

  function renderDownload(sel) {
    if (blobUrl) URL.revokeObjectURL(blobUrl);
    blobUrl = URL.createObjectURL(new Blob([csvText(sel)], {type: "text/csv"}));
    download.href = blobUrl;
    const t = sel.table;
    download.setAttribute("download", `${t.id}-${t.periods[sel.periods[0]]}-to-`
                                      + `${t.periods[sel.periods.at(-1)]}.csv`);
  }

  function renderNotes(sel) {
    const used = new Set();
    for (const c of sel.columns) {
      for (const i of sel.periods) used.add(c.values[i] === null ? DATA.not_available : c.values[i]);
    }
    const symbols = Object.keys(DATA.symbols).filter((s) => used.has(s));
    const items = sel.table.notes.map((n) => el("li", {}, n));
    for (const s of symbols) {
      const link = DATA.symbols[s].href ? el("a", {href: DATA.symbols[s].href}, s) : s;
      items.push(el("li", {}, link, ": ", DATA.symbols[s].text));
    }
    const measures = sel.table.measures.filter((m) => state.measures.includes(m.id));
    items.push(...measures.filter((m) => m.description).map((m) =>
      el("li", {}, `${m.label}: ${m.description}`)));
    items.push(el("li", {}, "Source: ", el("a", {href: `../../csv/${sel.table.file}`},
                                         `${sel.table.file}`),
                  ", the published CSV file of this table."));
    notesBox.replaceChildren(el("h3", {id: "cms-explore-notes-title"}, "Notes"),
                             el("ul", {"aria-labelledby": "cms-explore-notes-title"}, ...items));
  }

  // -- the chart: a time series of the figures of one unit -------------------------------
  function niceStep(span) {
    const raw = span / 5, p = Math.pow(10, Math.floor(Math.log10(raw)));
    return [1, 2, 2.5, 5, 10].map((k) => k * p).find((s) => raw <= s);
  }

  function renderChart(sel) {
    chartBox.replaceChildren();
    if (sel.periods.length < 2 || !sel.columns.length) return "";
    const t = sel.table, unit = sel.columns[0].unit;
    const series = sel.columns.filter((c) => c.unit === unit).slice(0, MAX_LINES);
    const points = series.map((c) => sel.periods.map((i) =>
      NUMBER.test(c.values[i] || "") ? Number(c.values[i]) : null));
    const all = points.flat().filter((v) => v !== null);
    if (!all.length) return "";
    // Drawn at the width it is shown at (at most 800, at least 320 px), so its text keeps its
    // size on a phone and the chart is never wider than the screen.
    const W = Math.round(Math.min(800, Math.max(320, chartBox.clientWidth || 800)));
    const H = 360, L = 80, R = 45, T = 20, B = 50;
    let lo = Math.min(0, ...all), hi = Math.max(...all);
    if (hi === lo) hi = lo + 1;
    const step = niceStep(hi - lo);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    const x = (k) => L + (sel.periods.length === 1 ? 0 : k * (W - L - R) / (sel.periods.length - 1));
    const y = (v) => T + (hi - v) * (H - T - B) / (hi - lo);
    const label = series[0].header.replace(/^.*\(([^)]*)\)$/, "$1");
    const title = `Chart of ${t.id === "DQ" ? "the data-quality table" : "Table " + t.id.slice(1)}`
                  + `, ${t.period_labels[sel.periods[0]]} to ${t.period_labels[sel.periods.at(-1)]}`
                  + ` (${label})`;
    const svg = svgEl("svg", {viewBox: `0 0 ${W} ${H}`, role: "img",
                              "aria-labelledby": "cms-explore-chart-title cms-explore-chart-desc",
                              class: "cms-explore-svg"});
    const titleEl = svgEl("title", {id: "cms-explore-chart-title"});
    titleEl.textContent = title;
    const desc = svgEl("desc", {id: "cms-explore-chart-desc"});
    desc.textContent = "A line for each figure: " + series.map((c) => c.header).join("; ")
      + ". The figures are in the table above; a symbol leaves a gap in its line.";
    svg.append(titleEl, desc);
    for (let v = lo; v <= hi + step / 2; v += step) {
      svg.append(svgEl("line", {x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#bfbfbf",
                                "stroke-width": v === 0 ? 2 : 1}));
      const tick = svgEl("text", {x: L - 8, y: y(v) + 5, "text-anchor": "end", class: "cms-explore-tick"});
      tick.textContent = shown(String(Math.round(v * 1000) / 1000));
      svg.append(tick);
    }
    const every = Math.max(1, Math.ceil(sel.periods.length / Math.max(3, Math.floor(W / 100))));
    const last = sel.periods.length - 1;
    sel.periods.forEach((i, k) => {
      if ((last - k) % every) return;  // the latest month, and back from it: evenly apart
      const tick = svgEl("text", {x: x(k), y: H - B + 22, "text-anchor": "middle", class: "cms-explore-tick"});
      tick.textContent = t.period_labels[i];
      svg.append(tick);
    });
    series.forEach((c, s) => {
      let d = "";
      points[s].forEach((v, k) => {
        if (v === null) return;
        d += `${d && points[s][k - 1] !== null ? "L" : "M"}${x(k).toFixed(1)},${y(v).toFixed(1)}`;
        svg.append(svgEl("circle", {cx: x(k), cy: y(v), r: 3.5, fill: COLOURS[s]}));
      });
      svg.append(svgEl("path", {d, fill: "none", stroke: COLOURS[s], "stroke-width": 2.5,
                                "stroke-dasharray": DASHES[s]}));
    });
    const legend = el("ul", {class: "cms-explore-legend"}, ...series.map((c, s) => {
      const key = svgEl("svg", {width: 36, height: 12, "aria-hidden": "true", focusable: "false"});
      key.append(svgEl("line", {x1: 0, x2: 36, y1: 6, y2: 6, stroke: COLOURS[s], "stroke-width": 3,
                                "stroke-dasharray": DASHES[s]}));
      return el("li", {}, key, " ", c.header);
    }));
    const left = sel.columns.length - series.length;
    const more = left ? el("p", {}, `The chart draws ${series.length} of the ${sel.columns.length}`
      + " figures chosen (those of the first figure's unit, at most "
      + `${MAX_LINES}); every figure is in the table.`) : "";
    chartBox.append(el("figure", {class: "cms-explore-figure-chart"},
      el("figcaption", {}, el("h3", {id: "cms-explore-chart-heading"}, title)),
      el("div", {class: "cms-explore-chart-scroll", tabindex: "0", role: "region",
                 "aria-label": title}, svg),
      legend, more));
    return title;
  }

  // -- render, announce, remember -----------------------------------------------------------
  function render(announce) {
    const sel = selection();
    swapButton.setAttribute("aria-pressed", String(state.swapped));
    const href = query();
    permalink.href = href;
    try {
      history.replaceState(null, "", href + location.hash);
    } catch (err) {
      // a browser that refuses to change a file:// address: the link still holds the choice
    }
    if (!sel.columns.length) {
      result.replaceChildren(el("p", {}, "No figure matches this choice: choose at least one "
                                         + "figure and one of its breakdowns."));
      chartBox.replaceChildren();
      notesBox.replaceChildren();
      download.removeAttribute("href");
      status.textContent = "No table: choose at least one figure and one of its breakdowns.";
      return;
    }
    const caption = renderTable(sel);
    renderDownload(sel);
    renderNotes(sel);
    const chart = renderChart(sel);
    const n = sel.columns.length, m = sel.periods.length;
    const text = `Showing ${caption}: ${n} figure${n === 1 ? "" : "s"} for ${m} `
      + `${m === 1 ? "period" : "periods"}, ${state.swapped ? "figures" : "months"} in rows`
      + (chart ? ", with a chart." : ".");
    if (announce || !status.textContent) status.textContent = text;
    if (!root.dataset.ready) performance.mark("cms-explore-ready");  // the load time, measured
    root.dataset.ready = "true";
  }

  tableSelect.replaceChildren(...DATA.tables.map((t) => el("option", {value: t.id}, t.title)));
  const fromUrl = readUrl();
  state.swapped = fromUrl.swapped;
  setTable(fromUrl.table, fromUrl.table ? fromUrl : null);
  form.hidden = false;
  tableSelect.addEventListener("change", () => { setTable(tableSelect.value, null); render(true); });
  measuresBox.addEventListener("change", () => { state.measures = checked(measuresBox); render(true); });
  breakdownsBox.addEventListener("change", () => { state.breakdowns = checked(breakdownsBox); render(true); });
  fromSelect.addEventListener("change", () => { state.from = fromSelect.value; render(true); });
  toSelect.addEventListener("change", () => { state.to = toSelect.value; render(true); });
  swapButton.addEventListener("click", () => { state.swapped = !state.swapped; render(true); });
  // A window made narrower or wider (a phone turned) draws the chart again at its new width.
  let drawnAt = chartBox.clientWidth;
  window.addEventListener("resize", () => {
    if (Math.abs(chartBox.clientWidth - drawnAt) < 40) return;
    drawnAt = chartBox.clientWidth;
    render(false);
  });
  render(false);
})();
