"""Publication layer: rounding and disclosure policy, revisions, spreadsheet (xlsx and ODS), tidy
CSV (and the Explore Education Statistics layout), provenance manifest and the disclosure check
run on every release.

Input everywhere is the unrounded tidy measures frame
``table, period, measure, breakdown, value, unit`` (``cms_stats.measures.compute_all``).
Typical use::

    policy = load_policy()
    published = publish_tidy(measures, policy)                     # rounded, symbols
    published, log = apply_revisions(published, read_csv(prev_release), policy)
    tables = publication_tables(published, policy)                 # wide, readable
    write_spreadsheet(tables, release / "tables.xlsx", period=period,
                      is_synthetic=True, notes=None, revisions_log=log)
    write_ods(release / "tables.xlsx", release / "tables.ods", title=..., created=...)
    write_csv(published, release, period=period, is_synthetic=True)   # csv/, csv/ees/
    write_manifest(release / "manifest.json", period=period, parameters=params,
                   input_files=data_dir)
    assert_release_clean(release, policy)
"""

import importlib

#: Public name -> the module that defines it. Loaded on first use: a chapter imports only the
#: policy and rounding it publishes with, so its cache key does not cover the spreadsheet,
#: manifest or disclosure code (nor the extracts layer that the disclosure check reads).
_EXPORTS = {
    "DisclosureError": "disclosure", "assert_release_clean": "disclosure", "check_release": "disclosure",
    "build_manifest": "manifest", "hash_folder": "manifest", "sha256_file": "manifest",
    "write_manifest": "manifest",
    "Policy": "policy", "PolicyError": "policy", "load_metadata": "policy", "load_policy": "policy",
    "apply_revisions": "revisions",
    "format_value": "rounding", "publication_tables": "rounding", "publish_tidy": "rounding",
    "round_half_up": "rounding", "round_value": "rounding", "sort_tidy": "rounding",
    "to_number": "rounding",
    "sheet_name": "spreadsheet", "write_spreadsheet": "spreadsheet",
    "csv_metadata": "tidy_csv", "read_csv": "tidy_csv", "split_value": "tidy_csv", "write_csv": "tidy_csv",
    "write_ods": "ods", "ees_table": "ees", "write_ees": "ees",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DisclosureError",
    "Policy",
    "PolicyError",
    "apply_revisions",
    "assert_release_clean",
    "build_manifest",
    "check_release",
    "csv_metadata",
    "ees_table",
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
    "split_value",
    "to_number",
    "write_csv",
    "write_ees",
    "write_manifest",
    "write_ods",
    "write_spreadsheet",
]
