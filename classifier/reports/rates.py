"""Rates as people read them: rows per second, or only the time when a rate would mislead."""

from __future__ import annotations


def rate(rows: int, seconds: float) -> str | None:
    """Rows per second as shown (``"1,234"``, ``"2.5"``), or ``None`` when it would mislead: under a second of work,
    or under one row a second (never "0 rows/s")."""
    if seconds < 1 or rows < seconds:
        return None
    per_second = rows / seconds
    return f"{per_second:,.0f}" if per_second >= 10 else f"{per_second:.1f}"


def throughput(rows: int, seconds: float) -> str:
    """``"in 12.3 s (1,234 rows/s)"``, or only the time when a rate would mislead (``"in 0.42 s"``)."""
    shown = rate(rows, seconds)
    if shown is None:
        return f"in {seconds:.2f} s" if seconds < 1 else f"in {seconds:.1f} s"
    return f"in {seconds:.1f} s ({shown} rows/s)"
