"""Ranges shared by the commands' options, so that Typer checks them and names the flag (``--seed``, ``--jobs``)
before any work starts. Imports nothing, so that ``tension --help`` stays fast.

Typer's ``min=`` and ``max=`` are closed bounds; an open one (``--test-size`` strictly between 0 and 1, a weight
above 0) is given its closed bound here and its open end is refused by the library function, whose error names
the parameter.
"""

from __future__ import annotations

#: Seeds feed numpy and scikit-learn, which take 0 to 2**32 - 1.
SEED_RANGE = {"min": 0, "max": 2**32 - 1}
#: A fraction of the reports, a score or a rate.
FRACTION_RANGE = {"min": 0.0, "max": 1.0}
#: The training weight of hard negatives given by `classifier.training.train.HARD_NEGATIVE_WEIGHT` (kept equal by a
#: test; the constant is not imported so that ``tension --help`` stays fast).
HARD_NEGATIVE_WEIGHT_DEFAULT = 6
#: ``--text-column``: a name, or a number where an error shows a column by its number (its name may be report text).
TEXT_COLUMN_HELP = ("Text column, by name or by number (1 is the first column; an error shows a column by its number "
                    "when its name may be report text, as a form's question can). Default: found by name.")
