"""The review queue's storage: uploaded batches, reports with the model's labels, reviewers' decisions (an
append-only history) and accounts, in one SQL database (SQLite by default, any SQLAlchemy URL otherwise).

`store` opens the database and migrates its schema; `queue` enqueues reports, hands each reviewer the next
one and records decisions; `users` manages accounts; `retention` deletes old report text; `export` writes
the reviewed reports as a training file.
"""
