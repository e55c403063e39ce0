"""Tested solutions to the RNN/BPTT exercises of NNDL chapter 6 (NumPy + PyTorch).

The models and the tools a student imports sit at the top (``solutions.cell``,
``solutions.sequence``, ``solutions.lstm``, ...). The rest is grouped by purpose:
``solutions.course`` (the deeplearning.ai course's adapters and values),
``solutions.experiments`` (training experiments), ``solutions.publish`` (what writes the site's
outputs, figures and notebooks) and ``solutions.demos`` (one module per printed output).

Old import paths: the modules that moved into those folders are still importable under their
old names, listed in ``MOVED``; ``import solutions.compat`` gives the very module object
``solutions.course.compat`` (the same functions, classes and constants). The finder below is
the only place that knows about them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

MOVED: dict[str, str] = {
    "solutions.compat": "solutions.course.compat",
    "solutions.course_reference": "solutions.course.reference",
    "solutions.train": "solutions.experiments.train",
    "solutions.remedies": "solutions.experiments.remedies",
    "solutions.report": "solutions.publish.report",
    "solutions.plotting": "solutions.publish.plotting",
}
"""Old import path -> the module's place now."""


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old path of ``MOVED`` as its new module: the import system returns whatever
    ``sys.modules`` holds under the name after ``exec_module``, so both names are one module."""

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name in MOVED else None

    def exec_module(self, module) -> None:
        sys.modules[module.__name__] = importlib.import_module(MOVED[module.__name__])


sys.meta_path.insert(0, _MovedModules())  # before the path finders: an old path never finds a stale file
