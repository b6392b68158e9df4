"""The ``pyai`` command line: the SDK's calls, one subcommand each (one module per group)."""

from pyai.cli import agents, audio, clones  # noqa: F401 - importing registers the commands
from pyai.cli.audio import AudioFormat
from pyai.cli.common import app

__all__ = ["AudioFormat", "app"]
