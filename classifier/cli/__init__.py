"""The ``tension`` command line, one module per command group.

`tension` holds the Typer app, the model commands (train, evaluate, predict, info, validate) and registers
the groups in `label`, `summarise`, `report`, `retrain` and `serve`. Each module imports only Typer at module
level, so that ``tension --help`` stays fast.
"""

from classifier.cli.tension import app, main

__all__ = ["app", "main"]
