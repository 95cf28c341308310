"""Helpers for tests that run the ``ccsim`` command in a real process (signals, workers)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def ccsim_command() -> list[str]:
    """The installed ``ccsim`` script beside this Python, or the CLI through ``python -c``."""
    script = Path(sys.executable).with_name("ccsim")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from ccsim.cli import main; main()"]


def processes_naming(marker: str) -> list[int]:
    """Processes (a command and its forked workers) whose command line names ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids
