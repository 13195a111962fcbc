"""What a reader can work out from a release's published tables, alone and with the archive.

:func:`audit_tables` reads a release's ``csv/`` (what a reader has) and solves, by linear
programming (:mod:`cms_stats.publish.audit`), the feasible interval of every ``[c]`` figure
across the relations the registry declares; with the earlier editions' release folders it also
checks what a reader of the archive can combine. The release check
(:func:`cms_stats.publish.disclosure.check_release`) calls it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from cms_stats.publish.policy import Policy, load_policy
from cms_stats.publish.rounding import to_number
from cms_stats.publish.tidy_csv import read_csv

__all__ = ["audit_tables"]


def audit_tables(release_dir: str | Path, policy: Policy | None = None,
                 earlier: Sequence[str | Path] = ()) -> tuple[list[str], dict]:
    """What a reader can work out about every suppressed figure of a release's tables.

    Reads the release's ``csv/`` (the published figures, what a reader has) and solves, by
    linear programming, the feasible interval of every ``[c]`` figure across the relations the
    registry declares (:func:`cms_stats.publish.audit.audit_published`). A figure held at its
    previously published value is checked at its current value, which ``revisions.csv`` gives.

    A reader also has the earlier editions (the archive). With ``earlier``: a figure an earlier
    edition withheld as ``[c]`` and this one publishes is a problem (together they undo the
    earlier protection); and the figures are checked a second time as a reader of both editions
    has them: a figure an earlier edition published as a number and this one withholds (its
    value revised) is taken at that number, and every other suppressed figure must still be
    protected.

    Parameters
    ----------
    release_dir : str or Path
        The release folder (with ``csv/``).
    policy : Policy, optional
    earlier : sequence of path
        Release folders (with ``csv/``) of the editions readers had before this one: the
        previous edition, and the issue a correction replaces.

    Returns
    -------
    problems : list of str
        One line per suppressed figure a reader can narrow below the protection (table, period,
        measure, breakdown and the interval); empty when every one is protected.
    stats : dict
        ``suppressed``, ``variables``, ``relations``, ``solves``, ``seconds``.
    """
    from cms_stats.publish.audit import audit_published  # deferred: scipy (only releases need it)

    policy = policy if policy is not None else load_policy()
    root = Path(release_dir)
    published = read_csv(root)
    if (root / "revisions.csv").is_file():
        # A figure held at its previously published value (changed by less than the revisions
        # threshold) is shown in the table, and its current value is in revisions.csv: a reader
        # has both, and the current one is what the other current figures add up with.
        log = pd.read_csv(root / "revisions.csv", dtype=str, keep_default_na=False)
        need = ["table", "period", "measure", "breakdown", "revised", "is_revised"]
        missing = [c for c in need if c not in log.columns]
        if missing:
            return [f"revisions.csv: no column {missing[0]!r}: the audit cannot read it"], {}
        kept = log[log["is_revised"].str.lower() == "false"]
        # only a number re-enters (a held figure is a number; a symbol would hide a known one)
        current = {k: v for k, v in zip(zip(kept["table"], kept["period"], kept["measure"],
                                             kept["breakdown"]), kept["revised"])
                   if to_number(v) is not None}
        keys = zip(published["table"], published["period"], published["measure"],
                   published["breakdown"])
        published = published.assign(value=[current.get(k, v) for k, v
                                             in zip(keys, published["value"])])
    findings, stats = audit_published(published, policy)
    problems = [f"csv/{f.table}.csv: {f.line()}" for f in findings]
    if earlier:
        combined = published
        for folder in earlier:
            combined, found = _with_earlier(combined, Path(folder), policy)
            problems.extend(found)
        if combined["value"].astype(str).equals(published["value"].astype(str)):
            return problems, stats  # the archive adds no number: the check above stands
        more, _ = audit_published(combined, policy)
        if any(_contradicted(f) for f in more):
            more, _ = audit_published(_usable_earlier(published, combined, policy), policy)
        problems.extend(f"csv/{f.table}.csv: {f.line()} (with the earlier editions)"
                        for f in more if f not in findings)
    return problems, stats


def _contradicted(finding) -> bool:
    """A finding that says the figures admit no value at all (an empty interval)."""
    return finding.lower > finding.upper


def _usable_earlier(published: pd.DataFrame, combined: pd.DataFrame, policy: Policy
                    ) -> pd.DataFrame:
    """The earlier numbers a reader can use: those the current figures do not contradict.

    A figure revised so far that its earlier number no longer fits this edition's figures tells
    a reader only that it was revised; this edition's figures alone then bound it. Taken one at
    a time, in table order, each kept when the figures stay consistent with it (rare: only when
    the first check with the earlier editions found a contradiction).
    """
    from cms_stats.publish.audit import audit_published  # deferred: scipy

    differs = published["value"].astype(str).to_numpy() != combined["value"].astype(str).to_numpy()
    usable = published.copy()
    for idx in published.index[differs]:
        trial = usable.copy()
        trial.loc[idx, "value"] = combined.loc[idx, "value"]
        if not any(_contradicted(f) for f in audit_published(trial, policy)[0]):
            usable = trial
    return usable


def _with_earlier(published: pd.DataFrame, folder: Path, policy: Policy
                  ) -> tuple[pd.DataFrame, list[str]]:
    """The published frame as a reader who also has the edition in ``folder`` sees it, and the
    figures that edition withheld which this one publishes."""
    before = read_csv(folder)
    c = policy.symbols["suppressed"]
    seen = {k: v for k, v in zip(zip(before["table"], before["period"], before["measure"],
                                     before["breakdown"]), before["value"].astype(str))}
    keys = list(zip(published["table"], published["period"], published["measure"],
                    published["breakdown"]))
    values, problems = [], []
    for key, text in zip(keys, published["value"].astype(str)):
        old = seen.get(key)
        if old == c and to_number(text) is not None:
            problems.append(f"csv/{key[0]}.csv: {' '.join(key)}: withheld as {c} in the edition "
                            f"{folder.name} and published here as {text}: a reader of both "
                            "editions can undo the earlier protection")
        values.append(old if text == c and old is not None and to_number(old) is not None
                      else text)
    return published.assign(value=values), problems
