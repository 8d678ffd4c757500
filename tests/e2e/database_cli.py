"""One `sluicegate` command group run as a real process against the database its command line
names, and what a successful or a refused command prints."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.processes import run_cli

DATABASE_ENV = "SLUICEGATE_DATABASE_URL"


@dataclass(frozen=True)
class DatabaseCommands:
    """`sluicegate GROUP ARGS --database-url URL`, with the environment's URL unset so that
    only the one given counts."""

    group: str

    def run(self, url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(self.group, *args, "--database-url", url, cwd=cwd, unset=(DATABASE_ENV,))

    def ok(self, url: str, cwd: Path, *args: str) -> str:
        """What a command that succeeds prints."""
        result = self.run(url, cwd, *args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def refused(self, url: str, cwd: Path, code: int, *args: str) -> str:
        """What a command that exits with `code` says: an error line or its usage, never a
        traceback."""
        result = self.run(url, cwd, *args)
        assert result.returncode == code, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("error: ") or "Usage:" in result.stderr, result.stderr
        return result.stderr
