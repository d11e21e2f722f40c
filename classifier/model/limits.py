"""Limits on what a prediction reads and flags, in a module of their own so that batch labelling's parent process
can read and check them without importing the model's libraries."""

from numbers import Real

from classifier.errors import ConfigError

#: Characters per report beyond which a text is not classified (never preprocessed): a backlog cell this
#: long is a pasted document or a broken export, and spaCy would spend seconds and megabytes on it.
MAX_TEXT_CHARS = 20_000


def checked_review_band(band) -> float:
    """``band`` as a float: how close a score must be to its threshold for a report to need review.

    Raises
    ------
    ConfigError
        ``band`` is not a number from 0 up to (not including) 1.
    """
    if isinstance(band, bool) or not isinstance(band, Real) or not 0 <= band < 1:  # numpy's numbers too
        raise ConfigError(f"The review band must be a number from 0 up to (not including) 1: how close a score "
                          f"must be to its threshold for the row to need review. Got {band!r}.")
    return float(band)
