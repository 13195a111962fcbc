"""Tidy CSV + metadata.json (deterministic bytes) and the provenance manifest."""

import hashlib
import json
import os
import shutil

import pandas as pd
import pytest

from cms_stats.publish.manifest import KEY_PACKAGES, hash_folder, sha256_file, write_manifest
from cms_stats.publish.policy import load_metadata, load_policy
from cms_stats.publish.rounding import publish_tidy
from cms_stats.publish.tidy_csv import read_csv, write_csv

POLICY = load_policy()


def measures():
    return pd.DataFrame(
        [
            ("T2", "2016-08", "caseload", "all", 338_861.0, "count"),
            ("T1", "2016-08", "total_intake", "all", 21_437.0, "count"),
            ("T8", "2016-08", "outstanding_arrears", "all", 77_462_310.25, "gbp"),
            ("T2", "2016-07", "caseload", "all", 300_049.0, "count"),
            ("T1", "2016-07", "total_intake", "all", 7.0, "count"),
            ("T4", "2016-08", "mean_children_per_case", "estimate", 1.5, "mean"),
            ("T4", "2016-08", "sample_size", "all", 400.0, "count"),  # a mean needs its sample
            ("DQ", "2016-08", "quarantined_rows", "events/payments.parquet: payment, unknown case", 12.0, "count"),
        ],
        columns=["table", "period", "measure", "breakdown", "value", "unit"],
    )


def test_csv_files_exact_bytes(tmp_path):
    published = publish_tidy(measures(), POLICY)
    out = write_csv(published, tmp_path)
    assert out == tmp_path / "csv"
    assert sorted(p.name for p in out.iterdir()) == [
        "DQ.csv", "T1.csv", "T2.csv", "T4.csv", "T8.csv", "ees", "metadata.json"]
    assert (out / "T1.csv").read_bytes() == (
        b"table,period,measure,breakdown,value,unit,value_numeric,marker\n"
        b"T1,2016-07,total_intake,all,[c],count,,[c]\n"
        b"T1,2016-08,total_intake,all,21400,count,21400,\n"
    )
    assert (out / "T8.csv").read_bytes().splitlines()[-1] == (
        b"T8,2016-08,outstanding_arrears,all,77.5,gbp_million,77.5,")
    assert (out / "T4.csv").read_bytes().splitlines()[-2:] == [
        b"T4,2016-08,mean_children_per_case,estimate,1.50,mean,1.50,", b"T4,2016-08,sample_size,all,400,count,400,"]
    assert b'"events/payments.parquet: payment, unknown case",10,count,10,' in (out / "DQ.csv").read_bytes()
    assert b"\r" not in b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    # round trip, and same bytes from shuffled input
    back = read_csv(tmp_path)
    pd.testing.assert_frame_equal(back.sort_values(list(back.columns)).reset_index(drop=True),
                                  published.sort_values(list(published.columns)).reset_index(drop=True))
    again = write_csv(publish_tidy(measures().sample(frac=1, random_state=1), POLICY), tmp_path / "again")
    for p in out.rglob("*"):
        if p.is_file():
            assert (again / p.relative_to(out)).read_bytes() == p.read_bytes(), p.name


def test_csv_refuses_unrounded(tmp_path):
    with pytest.raises(ValueError, match="unrounded"):
        write_csv(measures(), tmp_path)


def test_metadata_json_describes_columns_and_measures(tmp_path):
    out = write_csv(publish_tidy(measures(), POLICY), tmp_path)
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert list(meta["columns"]) == ["table", "period", "measure", "breakdown", "value", "unit",
                                     "value_numeric", "marker"]
    assert all(meta["columns"].values())
    assert [f["file"] for f in meta["files"]] == ["T1.csv", "T2.csv", "T4.csv", "T8.csv", "DQ.csv"]
    described = {(m["table"], m["measure"]) for m in meta["measures"]}
    for table, cfg in load_metadata()["tables"].items():
        for measure in cfg["measures"]:
            assert (table, measure) in described
    arrears = next(m for m in meta["measures"] if m["measure"] == "outstanding_arrears")
    assert arrears["published_unit"] == "gbp_million" and arrears["rounding"] == "1 decimal place"
    caseload = next(m for m in meta["measures"] if m["measure"] == "caseload")
    assert caseload["rounding"] == "nearest 100" and "arrears_only" in caseload["breakdowns"]
    assert set(meta["symbols"]) >= {"[c]", "[x]", "[z]"}


def _data_dir(root):
    (root / "snapshots").mkdir(parents=True)
    (root / "extract.json").write_text('{"source": "synthetic"}')
    (root / "snapshots" / "cases_2016-08.parquet").write_bytes(b"\x00fake parquet\x01" * 1000)
    (root / "mi").mkdir()
    (root / "mi" / "appeals.xlsx").write_bytes(b"PK fake")
    return root


def test_hashes(tmp_path):
    data = _data_dir(tmp_path / "data")
    f = data / "mi" / "appeals.xlsx"
    assert sha256_file(f) == hashlib.sha256(b"PK fake").hexdigest()
    expected = hashlib.sha256()
    for rel in ["extract.json", "mi/appeals.xlsx", "snapshots/cases_2016-08.parquet"]:
        expected.update(f"{rel}\0{sha256_file(data / rel)}\n".encode())
    assert hash_folder(data) == expected.hexdigest()
    # location and file times do not matter; contents and names do
    copy = shutil.copytree(data, tmp_path / "elsewhere")
    os.utime(copy / "extract.json", (0, 0))
    assert hash_folder(copy) == hash_folder(data)
    (copy / "mi" / "appeals.xlsx").write_bytes(b"PK changed")
    assert hash_folder(copy) != hash_folder(data)


def test_manifest(tmp_path, monkeypatch):
    data = _data_dir(tmp_path / "data")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1477440000")
    path = write_manifest(
        tmp_path / "release" / "manifest.json",
        period="2016-08",
        parameters={"period": "2016-08", "data_dir": data, "seed": 2012},
        input_files=data,
        extra={"rows_quarantined": 3},
    )
    m = json.loads(path.read_text())
    assert m["period"] == "2016-08"
    assert m["parameters"] == {"period": "2016-08", "data_dir": data.as_posix(), "seed": 2012}
    files = {f["path"]: f["sha256"] for f in m["inputs"]["files"]}
    assert files == {rel: sha256_file(data / rel) for rel in ["extract.json", "mi/appeals.xlsx", "snapshots/cases_2016-08.parquet"]}
    assert m["inputs"]["combined_sha256"] == hash_folder(data)
    assert m["environment"]["python"].startswith("3.11")
    assert set(m["environment"]["packages"]) == set(KEY_PACKAGES)
    assert m["environment"]["packages"]["pandas"].startswith("3.")
    assert m["git_commit"] == "unknown" or len(m["git_commit"]) == 40
    assert m["git_worktree_clean"] in (True, False, None)
    assert m["build_time"] == "2016-10-26T00:00:00+00:00"
    assert m["extra"] == {"rows_quarantined": 3}
    # an explicit mapping of inputs works too
    explicit = write_manifest(tmp_path / "m2.json", period="2016-08", parameters={},
                              input_files={"extract.json": data / "extract.json"})
    assert [f["path"] for f in json.loads(explicit.read_text())["inputs"]["files"]] == ["extract.json"]


def test_manifest_says_whether_the_code_was_committed(tmp_path):
    import subprocess

    from cms_stats.publish.manifest import git_worktree_clean

    assert git_worktree_clean(tmp_path) is None                    # not a git checkout
    run = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (tmp_path / "chapter.md").write_text("one\n")
    run("add", "chapter.md")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    assert git_worktree_clean(tmp_path) is True
    (tmp_path / "chapter.md").write_text("two\n")
    assert git_worktree_clean(tmp_path) is False
