"""One error family for everything a user can get wrong, so the CLI can catch it in one place."""

from __future__ import annotations


class MelodyError(Exception):
    """Base class: a problem the user can fix. Carries the file and, where known, tune or line."""

    def __init__(self, message: str, path: str | None = None, where: str | None = None):
        self.message = " ".join(str(message).split())  # one line, whatever a library put in it
        self.path = path
        self.where = where
        super().__init__(str(self))

    def __str__(self) -> str:
        place = ""
        if self.path:
            place = f"{self.path}"
            if self.where:
                place += f" ({self.where})"
            place += ": "
        return place + self.message


class InputError(MelodyError):
    """A file or piece of music that cannot be read."""


class VocabularyError(MelodyError):
    """A primer holds characters or tokens the model never saw."""


class ModelFileError(MelodyError):
    """A model or training-state file that is missing, damaged or of another format."""


class ConfigError(MelodyError):
    """An option value that makes no sense."""


class OutputError(MelodyError):
    """An output that cannot be written (exists, read-only, disk full)."""


def did_you_mean(word: str, known: list[str]) -> str:
    """ "; did you mean X?" for the closest of `known` to a mistyped word, else ""."""
    import difflib

    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""
