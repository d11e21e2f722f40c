"""Files in and out: tables (CSV, TSV, XLSX, JSONL) read in chunks and written atomically, labelled files read
into `LabelledData`, and the lock files that keep two processes from writing one folder.

The bottom layer with `classifier.errors`: it imports nothing else from the package.
"""
