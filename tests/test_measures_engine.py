"""The measures engine (issue 17): the families' one definition run by DuckDB and Spark.

Families on the engine: caseload (T2, T17 and DQ's check of closures), enforcement (T19),
service type (T7), transfers (T15: its share is over T7's cases due to pay), shared care (T18),
arrears (T8: cumulative liability with its two largest case groups for the dominance rule),
legacy CSA arrears (T20, with its two largest case groups), DQ's arrears roll-forward (with
the arrears leaving with closed cases: their two largest case groups, and cases), T21's monthly
figures by area and T22 (caseload by constituency at the last five quarter ends), and the
quarter to each month: compliance (T5 and T6, with payments), children (T4's cases paying and
its sample's population) and compliance by area (T21's case groups by the area of the group);
the service standards: changes of circumstances (T9), reconsiderations (T10) and the MI feeds
(T11-T14); the applications, with the duplicate rule shared: intake (T1), DQ's duplicates and
fee statuses, fees (T3) and clearances (T16).

- At scale 1.0, every month to 2016-08, the engine gives exactly what main's pandas code gave
  before each family moved (the fixtures ``tests/engine/<family>_pandas_2016-08.parquet``).
- On a small folder, Spark in local mode gives exactly what DuckDB gives (CI: Java is installed
  by the set-up, see the Makefile).
- Bad input stops with the loader's one line on either engine.
The hand-worked tables (``tests/test_measures_tables.py``) run on both engines too.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from extract_digest import content_digest
from pandas.testing import assert_frame_equal

from cms_stats.extracts import ExtractError, open_extracts
from cms_stats.measures import COLUMNS, compute_all
from cms_stats.measures import (arrears, caseload, children, clearances, compliance, enforcement,
                                fees, geography, intake, quality, service)
from cms_stats.measures.common import CONTRIBUTOR_COLUMNS
from cms_stats.measures.context import Context
from cms_stats.measures.engine import ENGINES, EngineError, engine_name

FIXTURES = Path(__file__).parent / "engine"
#: DQ's measures of the arrears roll-forward family.
ROLL_FORWARD_MEASURES = ["arrears_roll_forward_failures", "arrears_roll_forward_money_at_stake",
                         "cases_closed_with_arrears", "arrears_on_closed_cases"]
#: Each family on the engine: its rows of the tidy frame.
FAMILIES = {
    "caseload": lambda f: f["table"].isin(["T2", "T17"]) | (
        (f["table"] == "DQ") & (f["measure"] == "closures_disagreeing_with_snapshots")),
    "enforcement": lambda f: f["table"] == "T19",
    "service_type": lambda f: f["table"] == "T7",
    "transfers": lambda f: f["table"] == "T15",
    "shared_care": lambda f: f["table"] == "T18",
    "arrears": lambda f: f["table"] == "T8",
    "legacy_csa_arrears": lambda f: f["table"] == "T20",
    "compliance": lambda f: f["table"].isin(["T5", "T6"]),
    "children": lambda f: f["table"] == "T4",
    "compliance_by_area": lambda f: (f["table"] == "T21") & f["measure"].isin(
        ["case_groups_with_current_liability", "case_groups_contributing"]),
    "roll_forward": lambda f: (f["table"] == "DQ") & f["measure"].isin(ROLL_FORWARD_MEASURES),
    "areas_monthly": lambda f: (f["table"] == "T21") & f["measure"].isin(geography.T21_MONTHLY),
    "constituencies": lambda f: f["table"] == "T22",
    "changes_of_circumstances": lambda f: f["table"] == "T9",
    "reconsiderations": lambda f: f["table"] == "T10",
    "mi_feeds": lambda f: f["table"].isin(["T11", "T12", "T13", "T14"]),
    "intake": lambda f: f["table"] == "T1",
    "duplicates": lambda f: (f["table"] == "DQ") & (f["measure"] == "duplicate_new_applications_removed"),
    "fee_status": lambda f: (f["table"] == "DQ") & (f["measure"] == "fee_status_recorded_in_error"),
    "fees": lambda f: f["table"] == "T3",
    "clearances": lambda f: f["table"] == "T16",
}
#: The families that report their money figures' two largest contributions (top1, top2): their
#: fixtures hold them, and the engine must give them too.
WITH_CONTRIBUTIONS = {"arrears", "legacy_csa_arrears", "roll_forward"}

#: Months of the backtest fixture of a family published from August 2014 (T7, T15).
MONTHS_PUBLISHED = {"service_type": 25, "transfers": 25, "constituencies": 5,
                    "changes_of_circumstances": 36, "fees": 26}


def engine_families(frame: pd.DataFrame, families=tuple(FAMILIES)) -> pd.DataFrame:
    """The rows of the families run by the engine (with the contributions of the money figures
    when a family reports them)."""
    keep = pd.concat([FAMILIES[name](frame) for name in families], axis=1).any(axis=1)
    columns = COLUMNS + (CONTRIBUTOR_COLUMNS if WITH_CONTRIBUTIONS & set(families) else [])
    return frame.loc[keep, columns].reset_index(drop=True)


@pytest.fixture(scope="module")
def duckdb_measures(full_data, request):
    """Every table at scale 1.0 to 2016-08 on DuckDB: the session's measures when DuckDB is the
    default engine (computed once for every family's backtest, not once a family)."""
    if engine_name() == "duckdb":
        return request.getfixturevalue("full_measures")
    return compute_all(open_extracts(full_data), "2016-08", engine="duckdb")


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_engine_equals_the_pandas_family_it_replaced_at_scale_one_every_month(full_data, family,
                                                                            duckdb_measures):
    fixture = FIXTURES / f"{family}_pandas_2016-08.parquet"
    meta = json.loads((FIXTURES / "data.json").read_text(encoding="utf-8"))
    if content_digest(full_data) != meta["data"]["content_sha256"]:
        gen = json.loads((full_data / "extract.json").read_text(encoding="utf-8"))["generator"]
        pytest.skip(f"the fixtures were computed on other data ({meta['data']}; this data: "
                    f"{gen}): the backtest proved the migration on that data")
    expected = pd.read_parquet(fixture)
    # every month to 2016-08 (37 from 2013-08; service type is published from 2014-08: 25)
    # T9 stops at the month before the period (28 days must have passed)
    assert expected["period"].max() == ("2016-07" if family == "changes_of_circumstances"
                                        else "2016-08")
    assert expected["period"].nunique() == MONTHS_PUBLISHED.get(family, 37)
    got = engine_families(duckdb_measures, [family])
    assert_frame_equal(got, expected)
    # money to the penny (the default relative tolerance alone would allow pounds on millions)
    money = expected["unit"] == "gbp"
    columns = ["value", *(CONTRIBUTOR_COLUMNS if family in WITH_CONTRIBUTIONS else [])]
    for column in columns if money.any() else []:
        assert (got.loc[money, column] - expected.loc[money, column]).abs().max() < 0.005


def family_on(engine: str, data_dir: Path, period: str) -> pd.DataFrame:
    """The engine's families computed by ``engine`` alone, each as its registry entry point
    calls it (the loader checks each snapshot before the engine scans it)."""
    ctx = Context(open_extracts(data_dir), period, engine=engine)
    return engine_families(pd.concat([caseload.t2(ctx), caseload.closures(ctx),
                                      enforcement.t19(ctx), compliance.t7(ctx),
                                      compliance.transfers(ctx), children.shared_care(ctx),
                                      arrears.t8(ctx), arrears.legacy_csa_arrears(ctx),
                                      compliance.t5_t6(ctx), children.t4(ctx),
                                      geography.t21_compliance(ctx), quality.roll_forward(ctx),
                                      geography.t21(ctx), geography.t22(ctx),
                                      service.t9(ctx), service.t10(ctx), service.t11(ctx),
                                      service.t12(ctx), service.t13(ctx), service.t14(ctx),
                                      intake.t1(ctx), quality.duplicates(ctx),
                                      quality.fee_status(ctx), fees.t3(ctx), clearances.t16(ctx)],
                                     ignore_index=True))


def test_spark_sessions_map_the_archived_classes_once_they_are_whole(tmp_path, monkeypatch):
    """``make test`` archives Spark's classes (:mod:`cms_stats.measures.spark_classes`); a
    Spark session hands the archive to its JVM only once it is whole (its recorded size: a
    cut-short archive crashes the JVM) and at a path Spark does not split; the archiving run
    itself asks its JVM to write the archive on exit, and reads none."""
    from cms_stats.measures import spark_jvm
    from cms_stats.measures.spark_jvm import SPARK_ARCHIVE_AT_EXIT, spark_java_options

    base = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
    archive = tmp_path / "spark-classes-0123.jsa"
    monkeypatch.setattr(spark_jvm, "spark_class_archive", lambda: archive)
    monkeypatch.delenv(SPARK_ARCHIVE_AT_EXIT, raising=False)
    assert spark_java_options().split() == base  # none yet
    archive.write_bytes(b"archived classes")
    assert spark_java_options().split() == base  # not yet recorded whole
    (tmp_path / "spark-classes-0123.jsa.json").write_text('{"bytes": 16}')
    assert f"-XX:SharedArchiveFile={archive}" in spark_java_options().split()
    archive.write_bytes(b"archived")  # cut short
    assert spark_java_options().split() == base
    spaced = tmp_path / "a folder" / "spark-classes-0123.jsa"
    spaced.parent.mkdir()
    spaced.write_bytes(b"archived")
    (spaced.parent / "spark-classes-0123.jsa.json").write_text('{"bytes": 8}')
    monkeypatch.setattr(spark_jvm, "spark_class_archive", lambda: spaced)
    assert spark_java_options().split() == base
    monkeypatch.setenv(SPARK_ARCHIVE_AT_EXIT, str(tmp_path / "next.jsa"))
    options = spark_java_options().split()
    assert f"-XX:ArchiveClassesAtExit={tmp_path / 'next.jsa'}" in options
    assert not any(o.startswith("-XX:SharedArchiveFile") for o in options)


def test_the_class_archive_is_named_by_the_jars_and_the_jvm_it_was_made_from(tmp_path, monkeypatch):
    """A jar reinstalled (a new modification time) or another JVM gives another name: the
    archive made before is not handed to a JVM that would refuse it."""
    from cms_stats.measures import spark_jvm

    first = spark_jvm.spark_class_key()
    assert first == spark_jvm.spark_class_key() and len(first) == 16
    jdk = tmp_path / "jdk"
    (jdk / "bin").mkdir(parents=True)
    (jdk / "bin" / "java").write_text("")
    (jdk / "lib").mkdir()
    (jdk / "lib" / "modules").write_bytes(b"classes")
    monkeypatch.setenv("JAVA_HOME", str(jdk))
    other = spark_jvm.spark_class_key()
    assert other != first
    os.utime(jdk / "lib" / "modules", ns=(1, 1))  # the JDK upgraded in place
    assert spark_jvm.spark_class_key() != other


def test_archiving_leaves_no_old_archive_and_no_part_of_a_stopped_run(tmp_path):
    """Another environment's archive and the part file of a run no longer running are removed;
    the kept archive, its record and a running run's part file stay."""
    from cms_stats.measures.spark_classes import _sweep

    keep = tmp_path / "spark-classes-new.jsa"
    names = ["spark-classes-new.jsa", "spark-classes-new.jsa.json", "spark-classes-old.jsa",
             "spark-classes-old.jsa.json", ".spark-classes-new.jsa.999999999.part",
             f".spark-classes-new.jsa.{os.getpid()}.part"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    _sweep(keep)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["spark-classes-new.jsa", "spark-classes-new.jsa.json", f".spark-classes-new.jsa.{os.getpid()}.part"])


def test_spark_local_gives_what_duckdb_gives_on_a_small_folder(small_data, tmp_path):
    """Spark in local mode, the same expressions, the same figures (to the last bit); the
    optional ``in_enforcement``, ``shared_care_nights``, ``csa_arrears`` and
    ``constituency_code`` columns left out of the first year's snapshots (null there: T21's
    case groups of a quarter reaching into 2013 placed by those rows are not known)."""
    data = tmp_path / "extracts"
    shutil.copytree(small_data, data)
    for path in sorted((data / "snapshots").glob("cases_2013-*.parquet")):
        pq.write_table(pq.read_table(path).drop_columns(
            ["in_enforcement", "shared_care_nights", "csa_arrears", "constituency_code"]), path)
    duck = family_on("duckdb", data, "2016-08")
    spark = family_on("spark", data, "2016-08")
    assert duck["period"].nunique() == 37
    # T2, T17, DQ's check, T19; T7 and T15 from August 2014 (25 months); T18, T8, T20; T5 and
    # T6; T4 (cases paying, and the estimate from the first sample, September 2013); T21's
    # compliance (two measures by 14 areas); DQ's roll-forward (failures and money at stake by
    # three parts, and the arrears leaving with closed cases from the second month); T21 monthly
    # by 14 areas (service types from August 2014), T22 by 632 constituencies at 5 quarter ends;
    # T9 to the month before the period, T10, and T11-T14 from the MI feeds' months
    assert len(duck) == (37 * 3 + (37 * 7 - 1) + (37 * 3 - 1) + 37 * 10 + 25 * 4 * 2 + 37 * 7
                         + 37 * 7 + 37 * 9 + 37 * 6 + (37 + 36 * 8) + 37 * 2 * 14
                         + 37 * 6 + 36 * 2 + 14 * (37 * 2 + 25 * 2) + 632 * 5
                         + 36 * 5 + 37 * 6 + 37 * (4 + 4 + 5 + 3)
                         # T1, DQ's duplicates and fee statuses (3 reasons and all), T3 from
                         # July 2014 (26 months), T16 (15 figures)
                         + 37 * 4 + 37 + 37 * 4 + 26 * 5 + 37 * 15)
    assert duck.loc[duck["measure"] == "cases_closed", "value"].sum() > 0
    assert duck["top1"].notna().sum() == 37 * (3 + 3 + 3) + 36 and duck["top1"].sum() > 0
    for measure in ("arrears_roll_forward_money_at_stake", "arrears_on_closed_cases"):
        assert duck.loc[duck["measure"] == measure, "top1"].sum() > 0
    for measure in ("cases_in_enforcement", "shared_care_cases", "legacy_csa_arrears"):
        cases = duck[duck["measure"] == measure].set_index("period")["value"]
        assert (cases[cases.index < "2014-01"] == 0).all() and cases.sum() > 0
    t21 = duck[duck["table"] == "T21"].set_index(["period", "measure", "breakdown"])["value"]
    for measure in geography.T21_MONTHLY:  # areas add up: not known and the countries to all
        month = t21.xs(("2016-08", measure))
        assert month["all"] > 0 and month["all"] == month[["england", "wales", "scotland",
                                                           "not_known"]].sum()
    assert duck.loc[duck["table"] == "T22", "value"].sum() > 0
    for measure in ("service_type_transfers", "cases_due_to_pay",
                    "changes_of_circumstances_outstanding",
                    "changes_of_circumstances_cleared_within_28_days",
                    "mandatory_reconsiderations_revised",
                    "mandatory_reconsiderations_cleared_within_20_days",
                    "complaints_received_scheme_to_date", "accurate_checks",
                    "duplicate_new_applications_removed", "fee_exemptions",
                    "applications_cleared", "applications_uncleared"):
        assert duck.loc[duck["measure"] == measure, "value"].sum() > 0
    assert_frame_equal(spark, duck)


def test_an_earlier_period_sees_only_its_months(small_data):
    whole = family_on("duckdb", small_data, "2016-08")
    early = family_on("duckdb", small_data, "2015-02")
    assert early["period"].max() == "2015-02"
    # T22's quarter ends are the last five of each edition's period
    t22 = early["table"] == "T22"
    assert sorted(early.loc[t22, "period"].unique()) == ["2014-02", "2014-05", "2014-08",
                                                         "2014-11", "2015-02"]
    # T9 stops at the month before each edition's period (28 days must have passed)
    whole = whole[(whole["period"] <= "2015-02") & (whole["table"] != "T22")
                  & ~((whole["table"] == "T9") & (whole["period"] == "2015-02"))]
    assert_frame_equal(early[~t22].reset_index(drop=True), whole.reset_index(drop=True))


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_input_stops_with_one_line_on_either_engine(small_data, tmp_path, engine):
    data = tmp_path / "extracts"
    shutil.copytree(small_data, data)
    path = data / "snapshots" / "cases_2015-03.parquet"
    table = pq.read_table(path)
    origin = table.column("origin").to_pylist()
    origin[16] = "new_aplication"
    pq.write_table(table.set_column(table.schema.get_field_index("origin"), "origin",
                                    pa.array(origin, table.schema.field("origin").type)), path)
    with pytest.raises(ExtractError) as err:
        compute_all(open_extracts(data), "2016-08", engine=engine)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("snapshots/cases_2015-03.parquet: column 'origin', row 17:")


def test_the_engine_is_one_setting(monkeypatch):
    monkeypatch.delenv("CMS_STATS_ENGINE", raising=False)
    assert engine_name() == "duckdb"
    monkeypatch.setenv("CMS_STATS_ENGINE", "spark")
    assert engine_name() == "spark" and engine_name("duckdb") == "duckdb"
    with pytest.raises(EngineError, match="unknown measures engine 'polars': one of duckdb, spark"):
        engine_name("polars")


def test_duckdb_threads_are_half_the_cores_or_the_setting(monkeypatch):
    from cms_stats.measures.engine import Engine, duckdb_threads

    monkeypatch.delenv("CMS_STATS_DUCKDB_THREADS", raising=False)
    for cores, threads in ((1, 1), (2, 1), (8, 4), (None, 1)):
        monkeypatch.setattr("os.cpu_count", lambda cores=cores: cores)
        assert duckdb_threads() == threads
    monkeypatch.setenv("CMS_STATS_DUCKDB_THREADS", "3")
    assert duckdb_threads() == 3
    engine = Engine("duckdb")  # the connection is set as said
    assert engine.con.raw_sql("SELECT current_setting('threads')").fetchone()[0] == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("CMS_STATS_DUCKDB_THREADS", bad)
        with pytest.raises(EngineError, match=f"CMS_STATS_DUCKDB_THREADS='{bad}' is not a number"):
            duckdb_threads()


def test_duckdb_memory_is_one_gigabyte_or_the_setting(monkeypatch):
    """DuckDB's memory limit is 1GB unless ``CMS_STATS_DUCKDB_MEMORY`` says otherwise (a bad
    value: one line), it spills into a folder of the engine's, removed with the engine, and
    does not keep the order of rows."""
    import gc

    import duckdb

    from cms_stats.measures.engine import DEFAULT_DUCKDB_MEMORY, Engine, duckdb_memory_limit

    def shown(limit):  # how DuckDB itself shows the limit, set on a plain connection
        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{limit}'")
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    def setting(engine, name):
        return engine.con.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0]

    monkeypatch.delenv("CMS_STATS_DUCKDB_MEMORY", raising=False)
    assert duckdb_memory_limit() == DEFAULT_DUCKDB_MEMORY == "1GB"
    engine = Engine("duckdb")  # the default: 1GB, not DuckDB's own 80% of the machine
    assert setting(engine, "memory_limit") == shown("1GB") != duckdb.connect().execute(
        "SELECT current_setting('memory_limit')").fetchone()[0]
    spill = Path(setting(engine, "temp_directory"))
    assert spill.is_dir() and spill.name.startswith("cms-duckdb-")
    assert setting(engine, "preserve_insertion_order") is False
    del engine
    gc.collect()
    assert not spill.exists()
    # a folder left by a process that no longer runs (killed before its clean-up) is removed
    # by the next engine; a running process's is not
    import os
    import subprocess
    import tempfile

    gone = subprocess.Popen(["true"])
    gone.wait()
    left = Path(tempfile.mkdtemp(prefix=f"cms-duckdb-{gone.pid}-"))
    running = Path(tempfile.mkdtemp(prefix=f"cms-duckdb-{os.getppid()}-"))
    Engine("duckdb")
    assert not left.exists() and running.exists()
    running.rmdir()
    for good in ("1500MB", "2GiB", "4 gb"):
        monkeypatch.setenv("CMS_STATS_DUCKDB_MEMORY", good)
        assert setting(Engine("duckdb"), "memory_limit") == shown(good)
    for bad in ("lots", "1.5", "-1GB", "1GB'; SET threads = 8; --", "80%"):
        monkeypatch.setenv("CMS_STATS_DUCKDB_MEMORY", bad)
        with pytest.raises(EngineError) as caught:
            Engine("duckdb")
        assert str(caught.value) == (f"CMS_STATS_DUCKDB_MEMORY={bad!r} is not a size of memory "
                                     "(a number and a unit: 1500MB, 4GB, 2GiB)")


def test_the_quarters_a_block_of_months_at_a_time_give_the_same_figures(
        small_data, monkeypatch):
    """T4, T5, T6, T21's compliance, T8 (its running totals over the blocks) and T20 are the same
    whether the quarters' case groups and the months' are worked one month, five months
    (blocks not on a quarter's boundary, the last one short), twelve (the default) or every
    month at a time; a bad setting is one line; Spark takes every month
    at once."""
    from cms_stats.measures.engine import DEFAULT_MONTHS_AT_ONCE, month_integer, months_at_once

    def compliance_figures(at_once):
        if at_once is None:
            monkeypatch.delenv("CMS_STATS_MONTHS_AT_ONCE", raising=False)
        else:
            monkeypatch.setenv("CMS_STATS_MONTHS_AT_ONCE", str(at_once))
        ctx = Context(open_extracts(small_data), "2016-08", engine="duckdb")
        blocks = ctx.engine.quarter_blocks(ctx.months)
        assert len(blocks) == -(-37 // (at_once or DEFAULT_MONTHS_AT_ONCE))
        return pd.concat([compliance.t5_t6(ctx), geography.t21_compliance(ctx),
                          children.t4(ctx), arrears.t8(ctx), arrears.legacy_csa_arrears(ctx)],
                         ignore_index=True)

    whole = compliance_figures(37)
    assert whole["period"].nunique() == 37 and whole["value"].sum() > 0
    for at_once in (1, 5, None):
        assert_frame_equal(compliance_figures(at_once), whole)
    # each block's quarters reach back to the quarter's first month with a snapshot
    monkeypatch.setenv("CMS_STATS_MONTHS_AT_ONCE", "5")
    ctx = Context(open_extracts(small_data), "2016-08", engine="duckdb")
    reach = [(first, last) for first, last, _, _ in ctx.engine.quarter_blocks(ctx.months)]
    start = month_integer("2013-08")
    assert reach[:2] == [(start, start + 4), (start + 3, start + 9)] and reach[-1][1] == start + 36
    for bad in ("0", "twelve", "-3"):
        monkeypatch.setenv("CMS_STATS_MONTHS_AT_ONCE", bad)
        with pytest.raises(EngineError, match=f"CMS_STATS_MONTHS_AT_ONCE={bad!r} is not a number "
                           r"of months \(1 or more\)"):
            months_at_once("duckdb")
    assert months_at_once("spark") is None


@pytest.mark.parametrize("pattern", ["C[0-9]{16}", "C[0-9]+", "[0-9]{8}"])
def test_t5_t6s_packed_case_number_refuses_identifiers_it_cannot_order(monkeypatch, pattern):
    """T5/T6's first case of a group packs the case's digits into 64 bits: a contract whose
    ``case_id`` is not a letter and at most 15 fixed-width digits stops it with one line."""
    import ibis

    from cms_stats.extracts.contract import CONTRACT
    from cms_stats.measures import compliance

    ids = ibis.memtable({"case_id": ["C00000001"]}).case_id
    assert compliance.id_number(ids) is not None  # the contract's own C[0-9]{8}
    column = CONTRACT["snapshot"].column("case_id")

    class Spec:
        def column(self, name):
            return type("Column", (), {"pattern": pattern})() if name == "case_id" else column

    monkeypatch.setattr(compliance, "CONTRACT", {"snapshot": Spec()})
    with pytest.raises(ValueError, match=r"case_id's pattern .* is not a letter and at most 15"):
        compliance.id_number(ids)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_month_with_no_case_due_to_pay_has_counts_of_zero_and_no_share(engine):
    """September: the one case has no liability (and its 60 nights no longer count): T7, T15
    and T18 count zeros and their shares, of nothing, are NaN (null on the engine, never a
    division error: Spark's ANSI mode raises on 0)."""
    rows = {"2014-08": ("direct_pay", 20.0), "2014-09": ("no_liability", 0.0)}

    class Folder:
        months = list(rows)
        sample_months: list[str] = []

        def snapshot(self, month):
            service_type, weekly = rows[month]
            return pd.DataFrame({"snapshot_month": [month], "case_id": ["C00000001"],
                                 "origin": ["new_application"], "service_type": [service_type],
                                 "weekly_liability": [weekly],
                                 "shared_care_nights": pd.array([60], dtype="Int64")})

    ctx = Context(Folder(), "2014-09", engine=engine)
    got = pd.concat([compliance.t7(ctx), compliance.transfers(ctx), children.shared_care(ctx)])
    september = got[got["period"] == "2014-09"].set_index(["table", "measure", "breakdown"])["value"]
    shares = september[september.index.get_level_values("measure").str.endswith("share")]
    assert sorted(shares.index.get_level_values("table")) == ["T15", "T18", "T7"]
    assert shares.isna().all()
    assert (september.drop(shares.index) == 0).all() and len(september) == 4 + 4 + 7
    august = got[got["period"] == "2014-08"].set_index(["table", "measure", "breakdown"])["value"]
    assert august["T7", "direct_pay_share", "all"] == 1.0
    assert august["T18", "shared_care_cases", "nights_52_to_103"] == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_t8_opening_balances_and_closed_cases_worked_by_hand_on_either_engine(engine, tmp_path):
    """The hand-built folder ``opening_balances`` (tests/handbuilt: its figures worked by hand
    in the YAML): T8's cumulative liability starts from ``extract.json``'s opening balances and
    adds the liability due on a case closed in April 2015 (in the total, in neither part)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "handbuilt"))
    import build

    spec = build.load("opening_balances")
    folder = open_extracts(build.write_folder(spec, tmp_path / "opening_balances"))
    got = arrears.t8(Context(folder, spec["expected"]["period"], engine=engine))
    want = pd.DataFrame([r for r in spec["expected"]["measures"] if r[0] == "T8"],
                        columns=["table", "period", "measure", "breakdown", "value"])
    got = got.merge(want[["period"]].drop_duplicates(), on="period")
    assert_frame_equal(got[want.columns].reset_index(drop=True),
                       want.astype({"value": "float64"}), check_dtype=False)
