"""``python -m classifier.cli``: the same as the ``tension`` command."""

from classifier.cli.tension import main

main()
