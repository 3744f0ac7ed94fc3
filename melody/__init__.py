"""melody: learn symbolic music with recurrent networks, and write new tunes you can read and hear."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("melody")
except PackageNotFoundError:  # a checkout run without installing
    __version__ = "unknown"
