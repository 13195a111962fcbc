"""File rules (fatal): the rules of a file across its columns, beyond each column's own checks.

A rule takes the checked table, its :class:`Ctx` and the folder (for rules that look at other
files, such as a children sample's population).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from cms_stats.months import month_end

from .common import Ctx, first_true, fmt
from .contract import CONTRACT

if TYPE_CHECKING:
    from .folder import ExtractFolder


def _rule_month_matches(table: pa.Table, ctx: Ctx, column: str) -> None:
    i = first_true(pc.not_equal(table.column(column), ctx.month))
    if i is not None:
        raise ctx.error(
            f"{fmt(table.column(column)[i].as_py())} does not match the month in the file name ({ctx.month})",
            column,
            i,
        )


def _rules_snapshot(table: pa.Table, ctx: Ctx, folder: ExtractFolder) -> None:
    _rule_month_matches(table, ctx, "snapshot_month")
    end = month_end(ctx.month)
    opened = table.column("opened_date")
    i = first_true(pc.greater(opened, pa.scalar(end, pa.date32())))
    if i is not None:
        raise ctx.error(
            f"opened_date {opened[i].as_py()} is after the month end ({end})", "opened_date", i
        )
    bad = pc.and_(
        pc.equal(table.column("service_type"), "no_liability"),
        pc.not_equal(table.column("weekly_liability"), 0.0),
    )
    i = first_true(bad)
    if i is not None:
        raise ctx.error(
            f"must be 0 when service_type is no_liability ({fmt(table.column('weekly_liability')[i].as_py())})",
            "weekly_liability",
            i,
        )


def _rules_reconsiderations(table: pa.Table, ctx: Ctx, folder: ExtractFolder) -> None:
    cleared_null = pc.is_null(table.column("cleared_date"))
    outcome_null = pc.is_null(table.column("outcome"))
    i = first_true(pc.not_equal(cleared_null, outcome_null))
    if i is not None:
        state = "null" if outcome_null[i].as_py() else fmt(table.column("outcome")[i].as_py())
        cleared = "null" if cleared_null[i].as_py() else str(table.column("cleared_date")[i].as_py())
        raise ctx.error(
            f"outcome must be given exactly when cleared_date is (outcome {state}, cleared_date {cleared})",
            "outcome",
            i,
        )


def _rules_applications(table: pa.Table, ctx: Ctx, folder: ExtractFolder) -> None:
    """The optional clearance: its type is given exactly when its date is (both present)."""
    if {"cleared_date", "clearance_type"} & set(ctx.absent):
        return
    cleared_null = pc.is_null(table.column("cleared_date"))
    kind_null = pc.is_null(table.column("clearance_type"))
    i = first_true(pc.not_equal(cleared_null, kind_null))
    if i is not None:
        kind = "null" if kind_null[i].as_py() else fmt(table.column("clearance_type")[i].as_py())
        cleared = "null" if cleared_null[i].as_py() else str(table.column("cleared_date")[i].as_py())
        raise ctx.error(f"clearance_type must be given exactly when cleared_date is "
                        f"(clearance_type {kind}, cleared_date {cleared})", "clearance_type", i)


def _rules_payments(table: pa.Table, ctx: Ctx, folder: ExtractFolder) -> None:
    """The optional split: the part paid to arrears is no more than the payment."""
    if "paid_to_arrears" not in table.column_names:
        return
    part = table.column("paid_to_arrears")
    i = first_true(pc.fill_null(pc.greater(part, table.column("amount")), False))
    if i is not None:
        raise ctx.error(f"paid_to_arrears {fmt(part[i].as_py())} is more than the amount "
                        f"({fmt(table.column('amount')[i].as_py())})", "paid_to_arrears", i)


def _rules_children(table: pa.Table, ctx: Ctx, folder: ExtractFolder) -> None:
    _rule_month_matches(table, ctx, "sample_month")
    population = folder._population(ctx.month)
    snap = CONTRACT["snapshot"].path.format(month=ctx.month)
    if table.num_rows > len(population):
        raise ctx.error(
            f"sample of {table.num_rows} cases is larger than its population of {len(population)} "
            f"(cases with weekly_liability > 0 in {snap})"
        )
    ids = table.column("case_id")
    i = first_true(pc.invert(population.contains(ids)))
    if i is not None:
        raise ctx.error(
            f"case {fmt(ids[i].as_py())} is not in the population (weekly_liability > 0 in {snap})",
            "case_id",
            i,
        )


def _rule_not_greater(table: pa.Table, ctx: Ctx, small: str, large: str) -> None:
    i = first_true(pc.greater(table.column(small), table.column(large)))
    if i is not None:
        raise ctx.error(
            f"{small} ({table.column(small)[i].as_py()}) exceeds {large} ({table.column(large)[i].as_py()})",
            small,
            i,
        )


def _rule_sum(table: pa.Table, ctx: Ctx, total: str, parts: tuple[str, str]) -> None:
    expected = pc.add(table.column(parts[0]), table.column(parts[1]))
    i = first_true(pc.not_equal(table.column(total), expected))
    if i is not None:
        raise ctx.error(
            f"{table.column(total)[i].as_py()} is not {parts[0]} + {parts[1]} ({expected[i].as_py()})",
            total,
            i,
        )


def _rules_telephony(table, ctx, folder):
    _rule_not_greater(table, ctx, "calls_answered", "calls_received")
    _rule_not_greater(table, ctx, "calls_answered_within_30_seconds", "calls_answered")


def _rules_complaints(table, ctx, folder):
    _rule_sum(table, ctx, "complaints_total", ("complaints_resolution", "complaints_review"))


def _rules_appeals(table, ctx, folder):
    _rule_sum(
        table, ctx, "appeals_cleared", ("appeals_cleared_tribunal_outcome", "appeals_cleared_cms_outcome")
    )


FILE_RULES = {
    "snapshot": _rules_snapshot,
    "applications": _rules_applications,
    "payments": _rules_payments,
    "reconsiderations": _rules_reconsiderations,
    "children_sample": _rules_children,
    "telephony": _rules_telephony,
    "complaints": _rules_complaints,
    "appeals": _rules_appeals,
}
