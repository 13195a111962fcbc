"""The computed texts each chapter glues into its narrative: one module per chapter.

Each chapter's function takes a :class:`~cms_stats.book.chapter.Chapter` and returns
``{glue name: text}``; every number is the published figure (rounded by the policy) or a change
computed from unrounded values, and months are words computed from the period. A notebook calls
``book.glue_texts(book.texts.intake(ch))`` and writes ``{glue:text}`intake_total``` in its prose.

A chapter's module is imported only when its function is first used, so a chapter's kernel
imports only its own texts (the chapter cache keys each chapter on the modules it imported).
Wording several chapters share is in :mod:`cms_stats.book.texts.shared`.
"""

from __future__ import annotations

import importlib
import sys
import types

from cms_stats.registry import load_registry

#: The chapters' texts modules: one per chapter of the registry, named as the chapter.
CHAPTERS = load_registry().chapter_order

#: texts function -> the module that defines it (a chapter's function has the chapter's name).
FUNCTIONS = {name: name for name in CHAPTERS} | {"common": "shared", "methodology_all": "methodology"}

__all__ = sorted(FUNCTIONS)


def __getattr__(name: str):
    if name not in FUNCTIONS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{FUNCTIONS[name]}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(FUNCTIONS))


class _TextsPackage(types.ModuleType):
    """Keeps ``texts.<chapter>`` the chapter's function once its module is loaded.

    Importing ``cms_stats.book.texts.caseload`` binds the *module* to the package's name
    ``caseload``; the chapter's function of the same name is what callers mean.
    """

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and FUNCTIONS.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _TextsPackage
