"""melody: learn symbolic music with recurrent networks, and write new tunes you can read and hear.

    import melody
    model = melody.load("folk")                  # a shipped name, a run folder or a model file
    tunes = model.generate(4, type="reel", seed=1)
    tunes                                        # in a notebook: engraving and sound, inline
    tunes[0].vary(bars=(5, 8))                   # bars 5-8 written again, leading into bar 9
    tunes[0].save("reel.mid")                    # .abc .mid .musicxml .wav .svg .png
    melody.read("tunes.abc")                     # the tunes of a file (.abc, .mid, MusicXML)
    melody.train("my_tunes/", out="runs/mine", minutes=5)
    melody.evaluate("runs/mine", samples=50)

See docs/api.md.
"""

from importlib.metadata import PackageNotFoundError, version

from melody.api import Model, Tune, Tunes, evaluate, load, read, train

try:
    __version__ = version("melody")
except PackageNotFoundError:  # a checkout run without installing
    __version__ = "unknown"

__all__ = ["Model", "Tune", "Tunes", "evaluate", "load", "read", "train"]
