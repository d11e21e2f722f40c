"""Documents for people: the evaluation report, the model card, the learning-curve page and the trend summary
(`summarise` counts, `summary_disclosure` withholds small counts, `summary_report` draws the HTML page)."""
