"""``python -m unmask.cli``: the same as the ``unmask`` console script."""

from unmask.cli import app

app()
