"""Publication layer: rounding and disclosure policy, revisions, spreadsheet, tidy CSV,
provenance manifest and the disclosure check run on every release.

Input everywhere is the unrounded tidy measures frame
``table, period, measure, breakdown, value, unit`` (``cms_stats.measures.compute_all``).
Typical use::

    policy = load_policy()
    published = publish_tidy(measures, policy)                     # rounded, symbols
    published, log = apply_revisions(published, read_csv(prev_release), policy)
    tables = publication_tables(published, policy)                 # wide, readable
    write_spreadsheet(tables, release / "tables.xlsx", period=period,
                      is_synthetic=True, notes=None, revisions_log=log)
    write_csv(published, release)
    write_manifest(release / "manifest.json", period=period, parameters=params,
                   input_files=data_dir)
    assert_release_clean(release, policy)
"""

from cms_stats.publish.disclosure import DisclosureError, assert_release_clean, check_release
from cms_stats.publish.manifest import build_manifest, hash_folder, sha256_file, write_manifest
from cms_stats.publish.policy import Policy, PolicyError, load_metadata, load_policy
from cms_stats.publish.revisions import apply_revisions
from cms_stats.publish.rounding import (
    format_value,
    publication_tables,
    publish_tidy,
    round_half_up,
    round_value,
    sort_tidy,
    to_number,
)
from cms_stats.publish.spreadsheet import sheet_name, write_spreadsheet
from cms_stats.publish.tidy_csv import csv_metadata, read_csv, write_csv

__all__ = [
    "DisclosureError",
    "Policy",
    "PolicyError",
    "apply_revisions",
    "assert_release_clean",
    "build_manifest",
    "check_release",
    "csv_metadata",
    "format_value",
    "hash_folder",
    "load_metadata",
    "load_policy",
    "publication_tables",
    "publish_tidy",
    "read_csv",
    "round_half_up",
    "round_value",
    "sha256_file",
    "sheet_name",
    "sort_tidy",
    "to_number",
    "write_csv",
    "write_manifest",
    "write_spreadsheet",
]
