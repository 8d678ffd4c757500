"""`python -m sluicegate` runs the command line."""

from sluicegate.cli.main import app

app()
