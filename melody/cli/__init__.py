"""The `melody` command: argument parsing and one handler per subcommand."""

from melody.cli.program import main

__all__ = ["main"]
