"""The data contract of an extract folder, stated once.

Everything the loader checks is read from :data:`CONTRACT` (files, sheets, columns, types,
codes, keys, ranges, identifier patterns, nullable columns, the quarantine rules), and the
column tables of ``data/README.md`` are generated from it (:func:`contract_markdown`), so the
code and the analysts' documentation cannot drift apart. The vocabulary it is written in (column
types, identifier patterns, :class:`Column`, :class:`FileSpec`) is in :mod:`.spec`.
"""

from __future__ import annotations

import datetime as dt

from cms_stats.areas import CONSTITUENCIES_IN_WORDS, constituency_codes

# the language of the contract (re-exported: ``contract.Column`` etc. keep working)
from .spec import ID_PATTERNS, MONTH_PATTERN, TYPES, Column, FileSpec  # noqa: F401
from .spec import delivered_column as _delivered
from .spec import recorded_column as _recorded

#: The 2012 scheme's statistics start here: events dated earlier are quarantined.
SCHEME_START = dt.date(2013, 8, 1)
SCHEME_START_MONTH = "2013-08"

#: Months in which the children sample is drawn (March and September).
SAMPLE_CALENDAR_MONTHS = (3, 9)

#: "The data as known at the cut-off of edition E", defined once (``data/README.md`` and the
#: Methodology show these words; ``open_extracts(path, known_at=...)`` implements them).
KNOWN_AT_DEFINITION = (
    "The data as known at a cut-off (a day) are the extract folder restricted to what had been "
    "recorded by the end of that day. The cut-off of an edition of the release calendar is the "
    "day its extract is taken: the last day of the month after its period (a correction after "
    "publication uses a later day, given in the release calendar). A release of a period built on"
    " its own, outside the calendar, has no cut-off: it uses everything the folder holds, as "
    "known at extraction (the folder's extracted date), and says so. The quarantine rules are "
    "applied to the whole folder first (a row breaking one is left out and counted whatever the "
    "day it was recorded); the measures' rules (duplicates, clearances) to the data as known at "
    "the cut-off. An event (an application, payment, maintenance calculation, change of "
    "circumstances or mandatory reconsideration) counts only if it was recorded in the system on "
    "or before the cut-off; events recorded later are left out and counted as not yet known. "
    "Management information (telephony, complaints, appeals) gives, for each month, the latest "
    "delivery made on or before the cut-off; a month not yet delivered is absent. Monthly "
    "snapshots, children samples and accuracy checks are records taken at a month end and never "
    "revised: they are used as they are. A file that does not say when its rows were recorded or "
    "delivered counts every row as known at extraction, so it is the same at every cut-off. An "
    "application cleared after the cut-off (its clearance date later than the cut-off) was not "
    "yet cleared at it: it counts as uncleared, with no clearance type. Other dates within a row "
    "(such as a change of circumstances' clearance date) are read as recorded; a clearance after "
    "a period's end does not count for that period, so it cannot change an edition. A cut-off "
    "before the folder's first month is refused."
)
#: Where the definition's dates are in the files (``data/README.md`` adds this to it).
KNOWN_AT_COLUMNS = (
    "In the files: the day an event was recorded is its `recorded_date`, the day an MI row "
    "was delivered its `delivered_date` (both optional: see the tables below); the cut-off is "
    "`known_at` (`open_extracts(path, known_at=...)`, `cms-stats validate --known-at`)."
)

#: Enforcement actions (``events/enforcement_actions.parquet`` ``action_type``), in the words of
#: the publication strategy: deduction from earnings order, regular and lump-sum deduction
#: orders (bank accounts), liability order, charging order or order for sale, disqualification
#: from driving or holding a passport, committal to prison.
ENFORCEMENT_ACTION_TYPES = (
    "deduction_from_earnings_order", "regular_deduction_order", "lump_sum_deduction_order",
    "liability_order", "charging_order_or_order_for_sale", "disqualification",
    "committal_to_prison",
)

#: Quarantine reasons (row-level faults the methodology excludes). Rows carrying one are
#: removed before any measure is computed, listed in ``folder.quarantine`` and counted.
QUARANTINE_REASONS: dict[str, str] = {
    "dated before scheme start": "the event (or MI month) is dated before 1 August 2013",
    "dated after last month": "the event (or MI month) is dated after the end of `last_month`",
    "cleared before received": "`cleared_date` is earlier than `received_date`",
    "case never in a snapshot": "a payment for a `case_id` that is in no monthly snapshot",
    "non-positive correct amount": "an accuracy check whose `correct_weekly_amount` is <= 0",
}


def _money(name: str, rule: str = "", **kw) -> Column:
    kw.setdefault("min", 0.0)
    return Column(name, "money", rule, **kw)


def _id(name: str, kind: str, rule: str = "", **kw) -> Column:
    return Column(name, "id", rule, id_kind=kind, **kw)


def _count(name: str, rule: str = "") -> Column:
    return Column(name, "count", rule, min=0)


_SNAPSHOT = FileSpec(
    key="snapshot",
    path="snapshots/cases_{month}.parquet",
    kind="parquet",
    frequency="monthly",
    description=(
        "Monthly 100% case snapshot: one row per case open on the 2012 scheme at the end of "
        "the month. One file per month from `first_month` to `last_month`, no gaps."
    ),
    columns=(
        Column("snapshot_month", "month", "equals the month in the file name"),
        _id("case_id", "case", "key"),
        _id("case_group_id", "case_group", "all cases of one paying parent share it"),
        Column("origin", "code", "", codes=("new_application", "arrears_only")),
        Column("opened_date", "date", "on or before the month end"),
        Column("service_type", "code", "`no_liability`: no current liability (arrears-only, "
               "calculation not yet made, or liability ended)",
               codes=("direct_pay", "collect_and_pay", "no_liability")),
        _money("weekly_liability", "0 when `service_type` is `no_liability`"),
        _money("liability_due", "maintenance due in the calendar month"),
        _money("arrears_opening", "2012-scheme arrears at the start of the month"),
        _money("arrears_accrued", "unpaid liability added in the month (Collect and Pay)"),
        _money("arrears_paid", "payments that reduced arrears in the month"),
        _money("arrears_adjustment", "write-offs, corrections; any sign", min=None),
        _money(
            "arrears_closing",
            "should equal opening + accrued - paid + adjustment (roll-forward: reported, "
            "not fatal)",
        ),
        Column("shared_care_nights", "integer", "nights a year the qualifying children stay "
               "with the paying parent in the current calculation, 0 to 365; null or 0: none "
               "(under 52: no shared-care reduction)", nullable=True, min=0, max=365,
               optional=True, absent="shared care is not known: Table 18 is not available [x]"),
        Column("in_enforcement", "integer", "1 when the case is in enforcement at the month "
               "end, else 0", min=0, max=1, optional=True,
               absent="enforcement is not known: Table 19's cases in enforcement are not available [x]"),
        _money("csa_arrears", "arrears from the 1993 and 2003 (CSA) schemes carried onto the "
               "case, still owed at the month end; not in the 2012-scheme arrears columns",
               optional=True, absent="legacy CSA arrears are not known: Table 20 is not available [x]"),
        Column("constituency_code", "code", "the paying parent's Westminster constituency; null: "
               "not known (for example an address abroad), counted as constituency not known",
               nullable=True,
               codes=tuple(sorted(constituency_codes())), codes_named=CONSTITUENCIES_IN_WORDS,
               optional=True, absent="the area of cases is not known: Tables 21 and 22 (by "
               "country, region and constituency) are not available [x]"),
    ),
    primary_key=("case_id",),
    rules=(
        "`snapshot_month` equals the month in the file name",
        "`opened_date` is on or before the last day of the month",
        "`weekly_liability` is 0 when `service_type` is `no_liability`",
    ),
)

#: How an application is cleared (``clearance_type``) and why a case closed (``closure_reason``).
CLEARANCE_TYPES = ("calculation_made", "closed_without_calculation")
CLOSURE_REASONS = ("family_based_arrangement", "child_leaves_qualifying_age",
                   "applicant_withdraws", "no_further_liability", "other")
_NO_CLEARANCES = ("clearances are not recorded: Table 16 (applications cleared, uncleared and time "
                  "to clear) is not available `[x]`; it needs both `cleared_date` and "
                  "`clearance_type`")

_APPLICATIONS = FileSpec(
    key="applications",
    path="events/applications.parquet",
    kind="parquet",
    description=(
        "One row per application received. Duplicated new applications (same paying parent, "
        "receiving parent and received date) are kept here and removed, counted, by the "
        "intake measures."
    ),
    columns=(
        _id("application_id", "application", "key"),
        Column("received_date", "date", "within the scheme window (else quarantined)"),
        Column("application_type", "code", "", codes=("new_application", "arrears_only")),
        _id("paying_parent_id", "paying_parent"),
        _id("receiving_parent_id", "receiving_parent"),
        Column(
            "fee_status",
            "code",
            "`no_fee` before 30 June 2014 and for all arrears-only applications",
            codes=("fee_paid", "exempt_domestic_violence", "exempt_under_19", "no_fee"),
        ),
        _id("case_id", "case", "the case the application created"),
        _recorded("received_date"),
        Column("cleared_date", "date",
               "the day the application was cleared: its case's initial maintenance calculation "
               "made, or the application closed without one; null when not cleared by "
               "extraction; before `received_date`: quarantined. Read for new applications "
               "(Table 16); an arrears-only application's value is not used",
               nullable=True, optional=True, absent=_NO_CLEARANCES),
        Column("clearance_type", "code", "null exactly when `cleared_date` is null",
               nullable=True, codes=CLEARANCE_TYPES, optional=True, absent=_NO_CLEARANCES),
    ),
    primary_key=("application_id",),
    window_column="received_date",
    rules=("`recorded_date`, when present, is on or after `received_date`",
           "`clearance_type` is given exactly when `cleared_date` is (when both are present)"),
)

_PAYMENTS = FileSpec(
    key="payments",
    path="events/payments.parquet",
    kind="parquet",
    description=(
        "Payments received through Collect and Pay. May have no rows (a folder in which every "
        "case pays by Direct Pay)."
    ),
    columns=(
        _id("payment_id", "payment", "key"),
        _id("case_id", "case", "in some monthly snapshot (else quarantined)"),
        _id("case_group_id", "case_group"),
        Column("payment_date", "date", "within the scheme window (else quarantined)"),
        _money("amount", "> 0", min_inclusive=False),
        _recorded("payment_date"),
        _money("paid_to_arrears", "the part of `amount` that reduced arrears (the rest met "
               "current maintenance); <= `amount`", optional=True,
               absent="payments are not split: the whole amount counts towards current "
               "maintenance in cash paid (Table 6), which may then include arrears payments"),
    ),
    primary_key=("payment_id",),
    window_column="payment_date",
    rules=("`recorded_date`, when present, is on or after `payment_date`",
           "a payment whose `case_id` is in no monthly snapshot is quarantined",
           "`paid_to_arrears` <= `amount`"),
    may_be_empty=True,
)

_LIABILITIES = FileSpec(
    key="liabilities",
    path="events/liabilities.parquet",
    kind="parquet",
    description="Maintenance calculations.",
    columns=(
        _id("calculation_id", "calculation", "key"),
        _id("case_id", "case"),
        Column("effective_date", "date", "within the scheme window (else quarantined)"),
        _money("weekly_amount"),
        Column("service_type", "code", "", codes=("direct_pay", "collect_and_pay")),
        Column("reason", "code", "",
               codes=("initial", "change_of_circumstances", "mandatory_reconsideration")),
        _recorded("effective_date"),
    ),
    primary_key=("calculation_id",),
    window_column="effective_date",
    rules=("`recorded_date`, when present, is on or after `effective_date`",),
)

_SERVICE_REQUESTS = FileSpec(
    key="service_requests",
    path="events/service_requests.parquet",
    kind="parquet",
    description="Service requests: changes of circumstances.",
    columns=(
        _id("request_id", "service_request", "key"),
        _id("case_id", "case"),
        Column("request_type", "code", "", codes=("change_of_circumstances",)),
        Column("received_date", "date", "within the scheme window (else quarantined)"),
        Column("cleared_date", "date", "null when not cleared by the extract date; before "
               "`received_date`: quarantined", nullable=True),
        _recorded("received_date"),
    ),
    primary_key=("request_id",),
    window_column="received_date",
    rules=("`recorded_date`, when present, is on or after `received_date`",),
)

_RECONSIDERATIONS = FileSpec(
    key="reconsiderations",
    path="events/reconsiderations.parquet",
    kind="parquet",
    description="Mandatory reconsiderations.",
    columns=(
        _id("reconsideration_id", "reconsideration", "key"),
        _id("case_id", "case"),
        Column("received_date", "date", "within the scheme window (else quarantined)"),
        Column("cleared_date", "date", "null when not cleared; before `received_date`: quarantined",
               nullable=True),
        Column("outcome", "code", "null exactly when `cleared_date` is null", nullable=True,
               codes=("revised", "not_revised")),
        _recorded("received_date"),
    ),
    primary_key=("reconsideration_id",),
    window_column="received_date",
    rules=(
        "`recorded_date`, when present, is on or after `received_date`","`outcome` is null exactly when `cleared_date` is null",),
)

_CLOSURES = FileSpec(
    key="closures",
    path="events/closures.parquet",
    kind="parquet",
    description=(
        "Optional file: cases closed, with the maintenance due in the month of closure up to "
        "the day the case closed (a month-end snapshot no longer holds a case that closed in "
        "the month, so that liability is otherwise lost). Absent: the total maintenance "
        "liability (Table 8) leaves out the liability due in the month each case closed, and "
        "the cases closed (Table 17) are not available `[x]`. A case closed in month m should "
        "be in the snapshot of m-1 and not in that of m: a closure that disagrees is counted "
        "(data quality), not fixed. May have no rows."
    ),
    columns=(
        _id("case_id", "case", "key"),
        Column("closed_date", "date", "within the scheme window (else quarantined)"),
        _money("liability_due", "maintenance due in the month of closure, to the closed date"),
        Column("closure_reason", "code", "why the case closed (`other`: any other reason)",
               codes=CLOSURE_REASONS, optional=True,
               absent="reasons are not recorded: Table 17 publishes the cases closed, and its "
               "breakdown by reason is not available `[x]`"),
    ),
    primary_key=("case_id",),
    window_column="closed_date",
    may_be_empty=True,
    optional_file=True,
)

_ENFORCEMENT_ACTIONS = FileSpec(
    key="enforcement_actions",
    path="events/enforcement_actions.parquet",
    kind="parquet",
    description=(
        "Optional file: enforcement actions started on cases (one row per action). Absent: "
        "Table 19's enforcement actions are not available [x]. May have no rows."
    ),
    columns=(
        _id("action_id", "enforcement_action", "key"),
        _id("case_id", "case"),
        Column("action_date", "date", "the day the action started; within the scheme window "
               "(else quarantined)"),
        Column("action_type", "code", "", codes=ENFORCEMENT_ACTION_TYPES),
        _recorded("action_date"),
    ),
    primary_key=("action_id",),
    window_column="action_date",
    rules=("`recorded_date`, when present, is on or after `action_date`",),
    may_be_empty=True,
    optional_file=True,
)

_CHILDREN = FileSpec(
    key="children_sample",
    path="samples/children_{month}.parquet",
    kind="parquet",
    frequency="six-monthly",
    description=(
        "Six-monthly simple random sample (about 1,100 cases, without replacement) of the "
        "cases with `weekly_liability > 0` in that month's snapshot (the population). One "
        "file for every March and September from `first_month` to `last_month`."
    ),
    columns=(
        Column("sample_month", "month", "equals the month in the file name"),
        _id("case_id", "case", "key; in the population"),
        Column("qualifying_children", "integer", "1 to 10", min=1, max=10),
    ),
    primary_key=("case_id",),
    rules=(
        "`sample_month` equals the month in the file name",
        "the sample is no larger than its population",
        "every `case_id` is in the population (`weekly_liability > 0` in that month's snapshot)",
    ),
)

_TELEPHONY = FileSpec(
    key="telephony",
    path="mi/telephony.xlsx",
    kind="xlsx",
    sheet="Telephony",
    total_row=True,
    description="Telephony MI: one row per month (per delivery of a month when `delivered_date` is present).",
    columns=(
        Column("month", "month", "key (with `delivered_date`, when present)"),
        _count("calls_received"),
        _count("calls_answered", "<= `calls_received`"),
        _count("calls_answered_within_30_seconds", "<= `calls_answered`"),
        _delivered(),
    ),
    primary_key=("month",),
    delivery_column="delivered_date",
    window_column="month",
    rules=(
        "`delivered_date`, when present: not before the month's last day; a month's re-delivery is dated after its first delivery; (`month`, `delivered_date`) is unique",
        "`calls_answered` <= `calls_received`",
        "`calls_answered_within_30_seconds` <= `calls_answered`",
    ),
)

_COMPLAINTS = FileSpec(
    key="complaints",
    path="mi/complaints.xlsx",
    kind="xlsx",
    sheet="Complaints",
    total_row=True,
    description="Complaints MI: one row per month (per delivery of a month when `delivered_date` is present).",
    columns=(
        Column("month", "month", "key (with `delivered_date`, when present)"),
        _count("complaints_resolution"),
        _count("complaints_review"),
        _count("complaints_total", "= resolution + review"),
        _delivered(),
    ),
    primary_key=("month",),
    delivery_column="delivered_date",
    window_column="month",
    rules=(
        "`delivered_date`, when present: not before the month's last day; a month's re-delivery is dated after its first delivery; (`month`, `delivered_date`) is unique","`complaints_total` = `complaints_resolution` + `complaints_review`",),
)

_APPEALS = FileSpec(
    key="appeals",
    path="mi/appeals.xlsx",
    kind="xlsx",
    sheet="Appeals",
    total_row=True,
    description="Appeals MI (Appeals Tracking System): one row per month (per delivery of a month when `delivered_date` is present).",
    columns=(
        Column("month", "month", "key (with `delivered_date`, when present)"),
        _count("appeals_received"),
        _count("appeals_cleared_tribunal_outcome"),
        _count("appeals_cleared_cms_outcome"),
        _count("appeals_cleared", "= tribunal outcome + CMS outcome"),
        _delivered(),
    ),
    primary_key=("month",),
    delivery_column="delivered_date",
    window_column="month",
    rules=(
        "`delivered_date`, when present: not before the month's last day; a month's re-delivery is dated after its first delivery; (`month`, `delivered_date`) is unique",
        "`appeals_cleared` = `appeals_cleared_tribunal_outcome` + `appeals_cleared_cms_outcome`",
    ),
)

_ACCURACY = FileSpec(
    key="accuracy_checks",
    path="mi/accuracy_checks.xlsx",
    kind="xlsx",
    sheet="Checks",
    total_row=False,
    description="Accuracy checks: one row per checked case (no Total row).",
    columns=(
        _id("check_id", "accuracy_check", "key"),
        Column("check_month", "month"),
        _id("case_id", "case"),
        _money("calculated_weekly_amount"),
        _money(
            "correct_weekly_amount",
            "> 0 (else quarantined)",
            min_inclusive=False,
            below_min="quarantine",
            below_min_label="non-positive correct amount",
        ),
    ),
    primary_key=("check_id",),
    window_column="check_month",
)

#: The contract: every file of an extract folder, in the order they are validated.
CONTRACT: dict[str, FileSpec] = {
    spec.key: spec
    for spec in (
        _SNAPSHOT,
        _APPLICATIONS,
        _PAYMENTS,
        _LIABILITIES,
        _SERVICE_REQUESTS,
        _RECONSIDERATIONS,
        _CLOSURES,
        _ENFORCEMENT_ACTIONS,
        _CHILDREN,
        _TELEPHONY,
        _COMPLAINTS,
        _APPEALS,
        _ACCURACY,
    )
}

EVENT_FILES = ("applications", "payments", "liabilities", "service_requests", "reconsiderations")
#: Files a folder may leave out (each one's description says what its absence means).
OPTIONAL_FILES = ("closures", "enforcement_actions")
MI_FEEDS = ("telephony", "complaints", "appeals", "accuracy_checks")

#: ``extract.json``: the folder's metadata.
METADATA_FIELDS: dict[str, str] = {
    "source": '`"synthetic"` or `"administrative"`',
    "first_month": "`YYYY-MM`, not before `2013-08`",
    "last_month": "`YYYY-MM`, not before `first_month`",
    "generator": (
        'synthetic only: object with `"name"`, `"version"`, `"seed"`, `"scale"`'
    ),
    "extracted": "optional: `YYYY-MM-DD`, the day the extract was taken (absent: not stated)",
    "opening_balances": (
        'optional: object with `"total_maintenance_liability"` (money >= 0: maintenance due on '
        "the 2012 Scheme from its start to the end of the month before `first_month`) and, "
        'optionally, its parts `"direct_pay"` and `"collect_and_pay"` (together no more than '
        "the total). Arrears brought forward are the first snapshot's `arrears_opening`; the "
        "amount collected before `first_month` is the liability less those arrears. Absent "
        "when `first_month` is after `2013-08`: cumulative figures of Table 8 are not "
        "available `[x]`"
    ),
}
#: Fields of ``opening_balances`` in ``extract.json`` (the first is required).
OPENING_BALANCE_FIELDS = ("total_maintenance_liability", "direct_pay", "collect_and_pay")
SOURCES = ("synthetic", "administrative")
GENERATOR_FIELDS = ("name", "version", "seed", "scale")


# who may never be published: the identifier columns and their patterns (re-exported here)
from .identifiers import identifier_columns, identifier_patterns  # noqa: E402,F401
