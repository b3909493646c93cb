"""The real ``kaohe`` command line, in-process, for every test folder that drives it."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner

from kaohe.cli import app


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


class Kaohe:
    """The real ``kaohe`` command, run in-process through typer's CliRunner.

    COLUMNS is set wide so that rich does not fold long messages; the folding of messages on a
    narrow, non-terminal stderr is tested on its own through a subprocess.
    """

    def __call__(self, *args: str, lang: str | None = "en") -> CliRun:
        env = {"COLUMNS": "1000", "KAOHE_LANG": lang}  # None unsets: the default language
        result = CliRunner().invoke(app, [str(a) for a in args], env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliRun(result.exit_code, result.stdout, result.stderr)
