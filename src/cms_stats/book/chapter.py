"""Loading a chapter's inputs and showing them: the one call a notebook makes first.

``ch = load_chapter(period, data_dir, work_dir, previous, chapter=chapter)`` reads the working
files of the release (computing them with :func:`cms_stats.work.prepare_work` when absent) and
gives the notebook
everything it shows: the unrounded measures (for changes and charts), the published figures
(for the prose and tables), the validation counts, the revisions and the extract metadata.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from cms_stats import paths
from cms_stats.book import format as fmt
from cms_stats.book.cells import td
from cms_stats.book import data_quality, unavailable, values
from cms_stats.book.style import recent_months
from cms_stats.months import add_months, is_month, month_short, month_words
from cms_stats.publish.policy import load_metadata
from cms_stats.publish.rounding import publication_tables
from cms_stats.registry import load_registry

__all__ = ["Chapter", "load_chapter", "HTMLBlock", "synthetic_notice", "table_html",
           "recent_table", "glue_texts"]


@dataclass
class Chapter:
    """The inputs of one chapter for one release period (see :func:`load_chapter`)."""

    period: str
    data_dir: Path
    work_dir: Path
    measures: pd.DataFrame
    published: pd.DataFrame
    validation: dict
    extract: dict
    revisions: pd.DataFrame | None
    policy: object = field(repr=False)
    #: The release calendar's facts for this edition and what changed (``edition.json``;
    #: empty for a notebook run on its own).
    edition: dict = field(default_factory=dict)
    chapter: str = ""

    # -- what the reader is told about the data ----------------------------------------------
    @property
    def is_synthetic(self) -> bool:
        """True when the extract folder says its data is synthetic."""
        return str(self.extract.get("source", "")).lower() == "synthetic"

    @property
    def label(self) -> str:
        """The period as words: ``"August 2016"``."""
        return month_words(self.period)

    def month(self, back: int = 0) -> str:
        """The month ``back`` months before the period (``ch.month(3)`` -> ``"2016-05"``)."""
        return add_months(self.period, -back)

    # -- values -----------------------------------------------------------------------------
    def value(self, measure: str, month: str | None = None, breakdown: str = "all",
              table: str | None = None) -> float:
        """An unrounded value (for changes; never shown as is); NaN if :meth:`not_available`."""
        if unavailable.missing(self, measure, table):
            return math.nan
        return values.value(self.measures, measure, month or self.period, breakdown, table)

    def series(self, measure: str, breakdown: str = "all", table: str | None = None) -> pd.Series:
        """An unrounded monthly series up to the period."""
        return values.series(self.measures, measure, breakdown, table, upto=self.period)

    def shown(self, measure: str, month: str | None = None, breakdown: str = "all",
              table: str | None = None, long_money: bool = False) -> str:
        """A figure as published (rounded, after revisions), as text; ``[x]`` if :meth:`not_available`."""
        if unavailable.missing(self, measure, table):
            return fmt.SYMBOL_NOT_AVAILABLE
        return values.shown(self.measures, measure, month or self.period, self.policy,
                            breakdown=breakdown, table=table, long_money=long_money,
                            published_frame=self.published)

    def shown_raw(self, raw: float, table: str, measure: str, unit: str,
                  long_money: bool = False) -> str:
        """A value computed here (e.g. a sum over the quarter) published by the policy, as text."""
        return values.shown_raw(raw, table, measure, unit, self.policy, long_money=long_money)

    def shown_total(self, measure: str, months, table: str, breakdown: str = "all") -> str:
        """A total over months of a published figure, as text; withheld (``[c]``) when any
        month's figure is ``[c]``: the total less the other months would give it away."""
        c = self.policy.symbols["suppressed"]
        if any(self.shown(measure, m, breakdown, table) == c for m in months):
            return c
        raw = sum(self.value(measure, m, breakdown, table) for m in months)
        return self.shown_raw(raw, table, measure, values.unit_of(self.measures, measure, breakdown, table))

    def headlines(self):
        """The edition's headlines (:func:`cms_stats.book.headlines.headlines`)."""
        # deferred: only the Summary imports headlines, so only its cache key covers them
        from cms_stats.book.headlines import headlines

        return headlines(self.measures, self.period, self.policy, published=self.published)

    def headlines_block(self) -> "HTMLBlock":
        """The headline tiles that open the Summary (:func:`cms_stats.book.tiles.headline_tiles`)."""
        from cms_stats.book.tiles import headline_tiles  # deferred: as the headlines

        return HTMLBlock(*headline_tiles(self.headlines(), self.measures, self.policy,
                                         self.published))

    def quarter_changes(self) -> "HTMLBlock":
        """The changes on the quarter as an HTML table."""
        # deferred: only the Summary imports headlines, so only its cache key covers them
        from cms_stats.book.headlines import quarter_changes

        meta = load_metadata()["tables"]
        labels = {(t, m): cfg.get("label", m) for t, tcfg in meta.items()
                  for m, cfg in (tcfg.get("measures") or {}).items()}
        frame = quarter_changes(self.measures, self.period, self.policy, labels=labels,
                                published=self.published)
        return table_html(frame, caption=f"Changes on the quarter to {self.label}",
                          table_id="quarter-changes")

    def not_applicable(self, table: str, measure: str = "", breakdown: str = "all") -> str | None:
        """Why a table (or measure) has no figure: a ``[z]`` rule, else :meth:`not_available`."""
        return (self.policy.not_applicable_reason(table, measure, breakdown, self.period)
                or self.not_available(table, measure))

    def not_available(self, table: str, measure: str = "") -> str | None:
        """Why the folder gives no figure of ``table`` (or ``measure``) for the period ([x])."""
        return unavailable.not_available_reason(self.edition, table, measure)

    def figure(self, name: str, table: str = "") -> "HTMLBlock":
        """A chapter chart (``charts.chart``) as a figure with alt text and a description that
        restates its message and says where the figures are; or a sentence saying why none."""
        # deferred: heavy (matplotlib), and only chapters with charts key on the chart code
        from cms_stats.book import charts

        reason = unavailable.no_chart_reason(self, name, table)
        if reason:
            return HTMLBlock(*unavailable.no_chart(self.period, reason))
        try:
            return charts.book_figure(name, self.measures, self.period, self.policy,
                                      self.published, table)
        except unavailable.NoFigures:
            return HTMLBlock(*unavailable.no_chart(self.period, "the data have no figure to draw yet."))

    def downloads(self, table: str) -> "HTMLBlock":
        """Links to the full series of a table: the release spreadsheet and the table's CSV."""
        number = table[1:] if table.startswith("T") else table
        # The web book lives in <release>/html/ with chapters in html/notebooks/.
        link = (f'<p class="cms-downloads">The full series from the start of the data is in '
                f'<a href="../../tables.xlsx">the spreadsheet</a> (sheet {html.escape(table)}) and in '
                f'<a href="../../csv/{html.escape(table)}.csv">Table {html.escape(number)} as CSV</a>.</p>')
        return HTMLBlock(link, f"Full series: tables.xlsx sheet {table}, csv/{table}.csv")

    def change(self, measure: str, back: int = 3, breakdown: str = "all", month: str | None = None,
               table: str | None = None) -> float:
        """Unrounded change on ``back`` months: relative for counts/money, difference for shares."""
        month = month or self.period
        now = self.value(measure, month, breakdown, table)
        before = self.value(measure, add_months(month, -back), breakdown, table)
        if math.isnan(now) or math.isnan(before):
            return math.nan
        if values.unit_of(self.measures, measure, breakdown, table) == "share":
            return now - before
        return now / before - 1 if before else math.nan

    # -- tables -----------------------------------------------------------------------------
    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The publication tables (rounded, wide), as in the spreadsheet."""

        return publication_tables(self.published, self.policy, load_metadata())

    def table(self, table: str, months: int | None = None) -> "HTMLBlock":
        """The recent months of a publication table as an HTML table (see :func:`recent_table`).

        A table with no figures at all by the period (an edition before the measure existed)
        is replaced by a sentence saying why.
        """
        if table not in self.tables:
            reason = self.not_applicable(table) or "no figures are available for this edition."
            text = f"Table {table[1:]} has no figures up to {month_words(self.period)}: {reason}"
            return HTMLBlock(f'<p class="cms-no-table">{html.escape(text)}</p>', text)
        wide = self.tables[table]
        shown = recent_table(wide, months, upto=self.period)
        caption = wide.attrs.get("title", table)
        period_col = wide.attrs.get("period_column", wide.columns[0])
        if len(shown) < int((wide[period_col] <= self.period).sum()):
            # the title names the whole series ("... from August 2014"): say what is shown
            caption += (f" (shown: {shown.iloc[0, 0]} to {shown.iloc[-1, 0]}; every month in the "
                        "spreadsheet and CSV files)")
        return table_html(shown, caption=caption, table_id=f"table-{table.lower()}")

    # -- data quality (cms_stats.book.data_quality) -------------------------------------------
    def quarantine_counts(self) -> pd.DataFrame:
        """Rows quarantined by file and reason (:func:`.data_quality.quarantine_counts`)."""
        return data_quality.quarantine_counts(self)

    def rows_by_file(self) -> pd.DataFrame:
        """Rows in, used and quarantined by file (:func:`.data_quality.rows_by_file`)."""
        return data_quality.rows_by_file(self)

    def files_withheld(self) -> set[str]:
        """Files whose rows used and quarantined are withheld (:func:`.data_quality.files_withheld`)."""
        return data_quality.files_withheld(self)

    def revisions_table(self) -> "HTMLBlock":
        """The revisions made by this release against the previous one (or a sentence)."""
        if self.revisions is None or self.revisions.empty:
            return HTMLBlock("<p>No figures were revised in this release.</p>",
                             "No figures were revised in this release.")

        tables = load_metadata()["tables"]

        def figure(row) -> str:
            meta = (tables.get(row["table"], {}).get("measures", {}) or {}).get(row["measure"], {}) or {}
            label = meta.get("label", row["measure"])
            if row["breakdown"] not in ("", "all"):
                label += ": " + str((meta.get("breakdowns") or {}).get(row["breakdown"], row["breakdown"]))
            return label

        def shown(value) -> str:
            return "" if pd.isna(value) or str(value).lower() == "nan" else str(value)

        def change(value) -> str:
            # One decimal place, signed; a change from a published 0 has no percentage.
            text = shown(value)
            if not text:
                return ""
            number = float(text)
            return "from 0" if math.isinf(number) else f"{number:+.1f}"

        revised = self.revisions["is_revised"].astype(str).str.lower() == "true"
        frame = pd.DataFrame({
            "Table": self.revisions["table"],
            "Month": [month_words(m) for m in self.revisions["period"]],
            "Figure": [figure(r) for _, r in self.revisions.iterrows()],
            "Previously published": [shown(v) for v in self.revisions["previous"]],
            "This release": [shown(v) for v in self.revisions["revised"]],
            "Change (%)": [change(v) for v in self.revisions["percent_change"]],
            "Published": ["revised figure" if r else "previous figure kept" for r in revised],
            "Why": self.revisions["reason"],
        })
        return table_html(frame, caption="Revisions in this release", table_id="revisions")

    def rounding_rules(self) -> "HTMLBlock":
        """How each table's figures are rounded, read from the rounding policy file."""

        meta = load_metadata()["tables"]
        rows = []
        for table, cfg in (self.policy.raw.get("tables") or {}).items():
            cfg = cfg or {}
            overrides = "; ".join(f"{(meta.get(table, {}).get('measures', {}).get(m, {}) or {}).get('label', m)}: "
                                  f"nearest {o['count_base']:,}" for m, o in (cfg.get("measures") or {}).items()
                                  if o and "count_base" in o)
            rows.append((table, f"nearest {int(cfg.get('count_base', 1)):,}", overrides or "none"))
        frame = pd.DataFrame(rows, columns=["Table", "Counts rounded to", "Exceptions"])
        return table_html(frame, caption="Rounding of counts by table", table_id="rounding-rules")

    def symbols_table(self) -> "HTMLBlock":
        """The symbols used in the tables and what they mean (from the policy file)."""
        frame = pd.DataFrame(sorted(self.policy.symbol_definitions.items()),
                             columns=["Symbol", "Meaning"])
        return table_html(frame, caption="Symbols used in the tables", table_id="symbols")


def _default_work_dir(period: str) -> Path:
    return paths.build_dir() / "work" / period


def load_chapter(period: str, data_dir: str | Path = "", work_dir: str | Path = "",
                 previous: str = "", policy=None, chapter: str = "") -> Chapter:
    """Load (computing if needed) the working files of a release period for a chapter.

    Parameters
    ----------
    period : str
        Reference month ``YYYY-MM``.
    data_dir : str or Path
        Extract folder; empty means :data:`cms_stats.paths.DEFAULT_DATA_DIR`.
    work_dir : str or Path
        Working folder; empty means ``<build>/work/<period>``, a relative path is under the
        build root (an issue of the series, ``work/2016-08-correction-1``). When its files are
        missing they are computed by :func:`cms_stats.work.prepare_work`.
    previous : str
        Earlier period to revise against (only used when the files are computed here).
    policy : Policy, optional
        Publication policy; defaults to :func:`cms_stats.publish.policy.load_policy`.
    chapter : str
        The chapter's name in the registry (``resources/tables.yaml``), injected by the release
        as a papermill parameter: the chapter gets only the tables and files it declares there
        (what its cache key is made of). Empty (a notebook run on its own) loads everything.

    Returns
    -------
    Chapter
    """
    data = Path(data_dir) if data_dir else paths.DEFAULT_DATA_DIR
    work = Path(work_dir) if work_dir else _default_work_dir(period)
    if work_dir and not work.is_absolute():  # the release's own, e.g. work/2016-08-correction-1
        work = paths.build_dir() / work
    needed = ("measures.parquet", "published.parquet", "validation.json", "extract.json")
    if not all((work / name).is_file() for name in needed):
        # deferred: only a notebook run on its own computes the working files. A release has
        # written them, so its kernels never import the extracts and measures layers, and a
        # chapter's cache key (the modules it imported) does not depend on them.
        from cms_stats.work import prepare_work

        prepare_work(period, data, work, previous=previous or None)
    revisions_file = work / "revisions.csv"
    measures = pd.read_parquet(work / "measures.parquet")
    published = pd.read_parquet(work / "published.parquet")
    validation = json.loads((work / "validation.json").read_text(encoding="utf-8"))
    revisions = pd.read_csv(revisions_file, dtype=str) if revisions_file.is_file() else None
    edition_file = work / "edition.json"
    edition = json.loads(edition_file.read_text(encoding="utf-8")) if edition_file.is_file() else {}
    if chapter:
        declared = load_registry().chapter(chapter)
        tables, files = declared.tables, declared.files
        measures = measures[measures["table"].isin(tables)].reset_index(drop=True)
        published = published[published["table"].isin(tables)].reset_index(drop=True)
        validation = validation if "validation.json" in files else {}
        revisions = revisions if "revisions.csv" in files else None
        edition = edition if "edition.json" in files else {}
    return Chapter(
        period=period,
        data_dir=data,
        work_dir=work,
        measures=measures,
        published=published,
        validation=validation,
        extract=json.loads((work / "extract.json").read_text(encoding="utf-8")),
        revisions=revisions,
        policy=policy if policy is not None else values.load_policy(),
        edition=edition,
        chapter=chapter,
    )


# ------------------------------------------------------------------------------ display
class HTMLBlock:
    """A piece of HTML for the book (web and print), with a plain-text fallback."""

    def __init__(self, html_text: str, text: str = ""):
        self.html = html_text
        self.text = text

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text or self.html


def synthetic_notice(ch: Chapter) -> HTMLBlock:
    """What every chapter says first: the correction notice when this issue corrects figures
    of the page's tables, the edition line (publication date, next edition, from the release
    calendar), the downloads (book, all data, spreadsheet, the chapter's CSV) and the
    synthetic-data admonition when the data is synthetic."""
    from cms_stats.book.downloads import downloads_bar  # deferred: as the edition notices
    # deferred: the edition notices live with the what's-changed section
    from cms_stats.book.editions import correction_notice, edition_line

    bar = HTMLBlock(*downloads_bar(ch.edition.get("id") or ch.period, ch.period, ch.chapter))
    parts = [correction_notice(ch), edition_line(ch), bar, _synthetic_block(ch)]
    return HTMLBlock("".join(p.html for p in parts), "\n".join(p.text for p in parts if p.text))


def _synthetic_block(ch: Chapter) -> HTMLBlock:
    """The synthetic-data admonition (empty unless ``extract.json`` says ``synthetic``);
    the generator's seed and scale are stated."""
    if not ch.is_synthetic:
        return HTMLBlock("", "")
    gen = ch.extract.get("generator") or {}
    detail = ""
    if gen:
        detail = (f" They were made by {html.escape(str(gen.get('name', 'the generator')))} "
                  f"version {html.escape(str(gen.get('version', '')))} with seed "
                  f"{html.escape(str(gen.get('seed', '')))} at scale {html.escape(str(gen.get('scale', '')))}.")
    text = ("These figures are computed from synthetic data, not from Child Maintenance Service "
            "records. They show how the statistics are produced and must not be used or quoted "
            "as real figures.")
    block = (
        '<div class="admonition warning synthetic-data" role="note">'
        '<p class="admonition-title">Synthetic data</p>'
        f"<p>{text}{detail}</p></div>"
    )
    return HTMLBlock(block, "Synthetic data: " + text)


def _cell(value, decimals: int | None) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return fmt.SYMBOL_NOT_AVAILABLE
    if decimals:
        return f"{float(value):,.{decimals}f}"
    return f"{int(value):,}"


def recent_table(wide: pd.DataFrame, months: int | None = None, upto: str | None = None) -> pd.DataFrame:
    """The last ``months`` rows of a publication table, formatted as text for display.

    Months become words (``Aug 2016``), numbers get thousands separators and their published
    decimals; symbols (``[c]``, ``[x]``, ``[z]``) are kept.
    """
    months = months or recent_months()
    period_col = wide.attrs.get("period_column", wide.columns[0])
    frame = wide if upto is None else wide[wide[period_col] <= upto]
    frame = frame.tail(months)
    columns = wide.attrs.get("columns", {})
    out = pd.DataFrame({
        period_col: [month_short(p) if is_month(p) else p for p in frame[period_col]]
    })
    for header in frame.columns:
        if header == period_col:
            continue
        dec = columns.get(header, {}).get("decimals", 0)
        out[header] = [_cell(v, dec) for v in frame[header]]
    return out


def table_html(frame: pd.DataFrame, caption: str = "", table_id: str = "") -> HTMLBlock:
    """A plain, deterministic HTML table (first column as row headers) with a caption."""
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = [f'<th scope="row">{html.escape(str(row[0]))}</th>']
        cells += [td(v) for v in row[1:]]
        body.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{html.escape(table_id)}"' if table_id else ""
    # (the span keeps the caption on screen while a wide table scrolls: book.css)
    cap = (f'<caption><span class="cms-caption">{html.escape(caption)}</span></caption>'
           if caption else "")
    # A scrollable region must take keyboard focus and have a name (WCAG 2.1.1, axe
    # scrollable-region-focusable).
    label = html.escape(caption or "table")
    text = (
        f'<div class="cms-table" style="overflow-x:auto" tabindex="0" role="region" '
        f'aria-label="{label}"><table class="table"{ident}>{cap}'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
    return HTMLBlock(text, frame.to_string(index=False))


def glue_texts(texts: dict[str, str]) -> None:
    """Glue each text under its name for ``{glue:text}`` roles in the narrative (not displayed)."""
    from myst_nb import glue  # deferred: heavy (Sphinx), and only needed inside a kernel

    for name, text in texts.items():
        # {glue:text} inserts plain text: markdown emphasis would show its asterisks
        glue(name, plain_text(text), display=False)


def plain_text(text) -> str:
    """A text as ``{glue:text}`` shows it: without markdown's ``**`` (the narrative around a
    glued text carries the emphasis)."""
    return str(text).replace("**", "")
