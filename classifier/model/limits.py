"""Limits on what a prediction reads, in a module of their own so that batch labelling's parent process can read
them without importing the model's libraries."""

#: Characters per report beyond which a text is not classified (never preprocessed): a backlog cell this
#: long is a pasted document or a broken export, and spaCy would spend seconds and megabytes on it.
MAX_TEXT_CHARS = 20_000
