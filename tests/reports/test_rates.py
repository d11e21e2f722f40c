"""Rates as people read them."""

from classifier.reports.rates import rate, throughput


def test_rates_never_say_zero_rows_a_second():
    assert throughput(3, 0.0421) == "in 0.04 s"  # under a second: the time only
    assert throughput(1, 3.0) == "in 3.0 s"  # under one row a second
    assert throughput(5, 2.0) == "in 2.0 s (2.5 rows/s)"
    assert throughput(12_345, 10.0) == "in 10.0 s (1,234 rows/s)"
    assert rate(0, 5.0) is None and rate(10, 0.5) is None
