"""Labelling whole backlog files with a model, row by row, streamed and written atomically (`batch`)."""
