"""Stage outputs kept with the key of their inputs (``cms_stats.release.kept``): copied when
every input is unchanged, written again when any input changed (a file, a parameter, the
package's code), never copied after an interrupted write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cms_stats import paths
from cms_stats.release import kept as kept_mod
from cms_stats.release.kept import stage_key, stale_inputs, write_or_reuse
from cms_stats.release.outputs import TABLE_OUTPUTS, write_tables


def _writer(out: Path, calls: list, source: Path):
    """Writes ``a.txt`` (the input file's text, upper-cased) and ``sub/b.txt`` into ``out``."""
    def write() -> None:
        calls.append(1)
        (out / "a.txt").write_text(source.read_text().upper())
        (out / "sub").mkdir(exist_ok=True)
        (out / "sub" / "b.txt").write_text("b")
    return write


def _run(tmp_path: Path, name: str, source: Path, parameters: dict, calls: list) -> tuple[Path, list]:
    out = tmp_path / name
    out.mkdir()
    key = stage_key({"input": source}, parameters)
    stale = write_or_reuse(out, tmp_path / "kept", key, ("a.txt", "sub", "absent.txt"),
                           _writer(out, calls, source))
    return out, stale


def test_unchanged_inputs_copy_the_kept_files_changed_inputs_write_them(tmp_path):
    source = tmp_path / "input.txt"
    source.write_text("first")
    calls: list = []
    first, stale = _run(tmp_path, "one", source, {"period": "2016-08"}, calls)
    assert stale == ["not kept"] and len(calls) == 1

    again, stale = _run(tmp_path, "two", source, {"period": "2016-08"}, calls)
    assert stale == [] and len(calls) == 1  # copied, not written
    assert (again / "a.txt").read_text() == "FIRST"
    assert (again / "sub" / "b.txt").read_text() == "b"
    assert not (again / "absent.txt").exists()  # an output the writer did not make stays absent

    source.write_text("second")  # an input file changed: written again, from the new input
    changed, stale = _run(tmp_path, "three", source, {"period": "2016-08"}, calls)
    assert stale == ["files"] and len(calls) == 2
    assert (changed / "a.txt").read_text() == "SECOND"

    _, stale = _run(tmp_path, "four", source, {"period": "2016-05"}, calls)  # a parameter
    assert stale == ["parameters"] and len(calls) == 3


def _package_edited(monkeypatch):
    real = kept_mod.hash_files

    def edited(root, memo=None):  # a module of the package edited since the files were kept
        return {**real(root, memo), "book/format.py": "0" * 64}

    monkeypatch.setattr(kept_mod, "hash_files", edited)


def _library_upgraded(monkeypatch):
    real = kept_mod.package_versions
    monkeypatch.setattr(kept_mod, "package_versions",
                        lambda names: {**real(names), "gptables": "99.0"})


@pytest.mark.parametrize("change, part", [(_package_edited, "source"),
                                          (_library_upgraded, "libraries")])
def test_an_edit_to_the_package_or_a_new_library_writes_again(tmp_path, monkeypatch, change, part):
    source = tmp_path / "input.txt"
    source.write_text("x")
    calls: list = []
    _run(tmp_path, "one", source, {}, calls)
    change(monkeypatch)
    _, stale = _run(tmp_path, "two", source, {}, calls)
    assert stale == [part] and len(calls) == 2


def test_an_interrupted_write_leaves_no_key_that_matches(tmp_path):
    source = tmp_path / "input.txt"
    source.write_text("x")
    calls: list = []
    _run(tmp_path, "one", source, {}, calls)
    out = tmp_path / "two"
    out.mkdir()

    def fails() -> None:
        (out / "a.txt").write_text("half")
        raise OSError("disk full")

    source.write_text("y")
    with pytest.raises(OSError):
        write_or_reuse(out, tmp_path / "kept", stage_key({"input": source}, {}), ("a.txt",), fails)
    source.write_text("x")  # back to the inputs of the kept files: their key was removed
    assert stale_inputs(tmp_path / "kept", stage_key({"input": source}, {})) == ["not kept"]


@pytest.mark.parametrize("tamper, reason", [
    (lambda files: (files / "a.txt").write_text("EDITED"), "kept file changed: a.txt"),
    (lambda files: (files / "sub" / "b.txt").unlink(), "kept file missing: sub/b.txt"),
    (lambda files: (files / "sub" / "c.txt").write_text("c"), "kept file not recorded: sub/c.txt"),
])
def test_a_kept_file_edited_deleted_or_added_in_the_cache_is_written_afresh(tmp_path, tamper,
                                                                            reason):
    source = tmp_path / "input.txt"
    source.write_text("first")
    calls: list = []
    fresh, _ = _run(tmp_path, "one", source, {}, calls)
    record = json.loads((tmp_path / "kept" / "key.json").read_text())
    assert set(record["kept"]) == {"files/a.txt", "files/sub/b.txt"}
    assert record["kept"]["files/a.txt"] == kept_mod.sha256_file(fresh / "a.txt")

    tamper(tmp_path / "kept" / "files")
    again, stale = _run(tmp_path, "two", source, {}, calls)
    assert stale == [reason] and len(calls) == 2  # inputs unchanged, yet written again
    assert _tree(again) == _tree(fresh)
    assert _tree(tmp_path / "kept" / "files") == _tree(fresh)  # and kept whole again
    _, stale = _run(tmp_path, "three", source, {}, calls)
    assert stale == [] and len(calls) == 2


def test_a_key_record_without_the_kept_files_writes_afresh(tmp_path):
    source = tmp_path / "input.txt"
    source.write_text("x")
    calls: list = []
    _run(tmp_path, "one", source, {}, calls)
    key_file = tmp_path / "kept" / "key.json"
    record = json.loads(key_file.read_text())
    del record["kept"]  # kept by a release before the files were recorded
    key_file.write_text(json.dumps(record))
    _, stale = _run(tmp_path, "two", source, {}, calls)
    assert stale == ["kept files not recorded"] and len(calls) == 2


def test_the_key_covers_every_file_of_the_package():
    key = stage_key({}, {})
    assert key["source"] == kept_mod.combine_hashes(kept_mod.hash_files(paths.PACKAGE_DIR.resolve()))
    assert set(key) == {"files", "parameters", "source", "python", "libraries"}


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _tables(out: Path) -> dict[str, bytes]:
    found = {}
    for name in TABLE_OUTPUTS:
        path = out / name
        if path.is_dir():
            found.update({f"{name}/{rel}": data for rel, data in _tree(path).items()})
        elif path.is_file():
            found[name] = path.read_bytes()
    return found


def _write(out: Path, work: Path, kept: Path, facts: dict) -> list[str]:
    out.mkdir()
    metadata = json.loads((work / "extract.json").read_text())
    return write_tables(out, work, "2016-08", {"period": "2016-08"}, work, metadata,
                        {"executed": [], "reused": []}, facts, kept=kept)


@pytest.mark.slow
def test_the_release_tables_reused_are_the_tables_written(small_work, tmp_path):
    """Over the small release's working files: the copied spreadsheet, ODS and CSV are the
    bytes written without a cache; a changed figure in the working files writes them again."""
    work = tmp_path / "work"
    shutil.copytree(small_work, work)
    kept = tmp_path / "kept"
    facts = json.loads((work / "edition.json").read_text())
    assert _write(tmp_path / "fresh", work, tmp_path / "other-kept", facts) == ["not kept"]
    assert _write(tmp_path / "one", work, kept, facts) == ["not kept"]
    assert _write(tmp_path / "two", work, kept, facts) == []
    written, copied = _tables(tmp_path / "fresh"), _tables(tmp_path / "two")
    assert {"tables.xlsx", "tables.ods", "csv/metadata.json"} <= set(written)
    assert copied == written

    # One published figure changes in the working files: the tables are written again.
    published = pd.read_parquet(work / "published.parquet")
    row = published.index[published["value"].astype(str).str.fullmatch(r"\d+")][0]
    published.loc[row, "value"] = str(int(published.loc[row, "value"]) + 1000)
    published.to_parquet(work / "published.parquet")
    assert _write(tmp_path / "three", work, kept, facts) == ["files"]
    assert _tables(tmp_path / "three") != written

    # The edition's facts (the spreadsheet cover, csv/metadata.json) are an input.
    changed = {**facts, "next": None}
    assert _write(tmp_path / "four", work, kept, changed) == ["parameters"]
    assert _write(tmp_path / "five", work, kept, changed) == []
    fresh_five = _tables(tmp_path / "five")

    # A kept file edited or deleted in the cache: written again, the same as written fresh.
    with open(kept / "files" / "tables.xlsx", "ab") as xlsx:
        xlsx.write(b"tampered")
    (kept / "files" / "csv" / "metadata.json").unlink()
    assert _write(tmp_path / "six", work, kept, changed) == [
        "kept file missing: csv/metadata.json", "kept file changed: tables.xlsx"]
    assert _tables(tmp_path / "six") == fresh_five
    assert _write(tmp_path / "seven", work, kept, changed) == []
