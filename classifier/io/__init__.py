"""Files in and out: tables (CSV, TSV, XLSX, JSONL) read in chunks and written atomically, labelled files read
into `LabelledData`, the output-file contract (`columns`: the columns added, the score prefix, how rows are
numbered), the one atomic writer (`atomic`) and the lock files that keep two processes from writing one folder.

The bottom layer with `classifier.errors`: it imports nothing else from the package.
"""
