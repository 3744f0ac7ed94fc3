"""A tune as a notebook shows it: its ABC, its notes, its files, and its engraving and sound inline."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from melody.errors import ConfigError

if TYPE_CHECKING:  # `import melody` stays quick: numpy and the rest load when a tune is made
    from melody.music.score import Score

SUFFIXES = (".abc", ".mid", ".midi", ".musicxml", ".xml", ".wav", ".svg", ".png")


@dataclass
class Tune:
    """One piece: `abc` (ABC text, also for a MIDI model's piece, as `melody convert` writes it),
    `title`, `score` (the notes played out) and, for a generated tune, the model that wrote it."""

    abc: str
    title: str
    score: Score
    problems: list[str] = field(default_factory=list)
    copied_bars: int | None = None  # its longest run of bars found in one training tune
    model: object | None = field(default=None, repr=False, compare=False)
    kind: str = "abc"  # "abc" for a tune of ABC, "score" for a MIDI model's piece (shown as a piano roll)
    variant: object | None = field(default=None, repr=False, compare=False)  # how `vary` chose it (sampling/vary.py)
    tokens: int = 0  # how many tokens the model wrote for it (0: read from a file)
    written: str | None = field(default=None, repr=False, compare=False)  # as its file has it: what vary edits

    def piece(self):
        """The tune as the sampler's Piece, which `write_pieces` and the studio's views take."""
        from melody.sampling.pieces import Piece

        return Piece(
            self.abc,
            self.title,
            self.tokens,
            self.to_midi(),
            len(self.score.notes),
            list(self.problems),
            self.score,
            self.copied_bars,
        )

    @property
    def _notated_abc(self) -> str | None:
        """The ABC a score drawing or MusicXML file takes the notation from: a tune of ABC's own
        (a MIDI model's piece is notated from its notes)."""
        return self.abc if self.kind == "abc" else None

    def to_midi(self) -> bytes:
        """Standard MIDI file bytes, repeats played out."""
        from melody.formats.midi import score_to_midi_bytes

        return score_to_midi_bytes(self.score)

    def to_wav(self, sample_rate: int = 22050) -> bytes:
        """The tune rendered as `melody play` renders it (FluidSynth where installed, else sine tones)."""
        return wav_of(self.score, sample_rate)

    def save(self, path: str | Path) -> Path:
        """Write the tune in the format its suffix names: .abc .mid .musicxml .wav .svg .png."""
        from melody.fileio import atomic_write_bytes, atomic_write_text

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            raise ConfigError(f"cannot save as {suffix or 'no suffix'}; use one of {' '.join(SUFFIXES)}")
        if suffix == ".abc":
            atomic_write_text(path, self.abc)
        elif suffix in (".mid", ".midi"):
            atomic_write_bytes(path, self.to_midi())
        elif suffix == ".wav":
            atomic_write_bytes(path, self.to_wav(44100))
        elif suffix == ".svg":
            from melody.audio.pictures import score_svg

            score_svg(self.score, path, self.title, self._notated_abc)
        elif suffix == ".png":
            from melody.audio.pictures import piano_roll_png

            piano_roll_png(self.score, path, self.title)
        else:
            from melody.formats.convert import write_score

            write_score(self.score, path, self.title, force=True, abc=self._notated_abc)
        return path

    def vary(self, bars: tuple[int, int] = (5, 8), n: int = 1, candidates: int = 8, seed: int = 0) -> Tunes:
        """Variants that keep every other bar and sample `bars` (first, last) again, so they lead
        into the bar after them (the model that wrote the tune, or the shipped folk model)."""
        from melody.api.models import load

        model = self.model if self.model is not None else load("folk")
        return model.vary(self, bars, n, candidates, seed)

    def _repr_html_(self) -> str:
        from melody.api.display import tune_html

        return tune_html(self)


class Tunes(list):
    """A list of tunes that a notebook shows as a gallery. From a model: `resampled`, how many drawn
    pieces were unreadable or ill-formed and drawn again; `left_out`, why any asked for is missing."""

    def __init__(self, tunes=(), resampled: int = 0, left_out: list[str] | None = None):
        super().__init__(tunes)
        self.resampled = resampled
        self.left_out = list(left_out or [])

    def _repr_html_(self) -> str:
        from melody.api.display import gallery_html

        return gallery_html(list(self))

    def save(self, folder: str | Path, force: bool = False) -> list[dict]:
        """Each tune as .abc and .mid in `folder`, as `melody generate` writes them (names from
        titles; nothing is overwritten unless `force`); returns what was written."""
        from melody.sampling.pieces import write_pieces

        return write_pieces([tune.piece() for tune in self], folder, force)


def read(path: str | Path, tune: int | None = None) -> Tune | Tunes:
    """The tunes of a file: an .abc tunebook (every tune, or number `tune`), a .mid or MusicXML file."""
    from melody.formats.convert import read_notation

    path = Path(path)
    if path.suffix.lower() == ".abc" and tune is None:
        from melody.formats.abc.text import read_abc_file

        count = len(read_abc_file(path)[0])
        return Tunes(read(path, number) for number in range(1, count + 1))
    score, title, abc = read_notation(path, tune or 1)
    if abc is None:
        from melody.formats.abc.writer import score_to_abc

        return Tune(score_to_abc(score, title), title, score, kind="score")
    if path.suffix.lower() == ".abc":
        from melody.formats.abc.text import read_abc_file

        return Tune(abc, title, score, written=read_abc_file(path)[0][(tune or 1) - 1].written)
    return Tune(abc, title, score)


def read_midi_bytes(data: bytes, name: str = "the MIDI file") -> Score:
    """The Score of MIDI file contents (an upload), read as `melody` reads a .mid file; errors name
    it as `name`."""
    import tempfile

    from melody.errors import MelodyError
    from melody.formats.midi import midi_to_score

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.mid"
        path.write_bytes(data)
        try:
            return midi_to_score(path)
        except MelodyError as error:
            raise type(error)(error.message.replace(str(path), name)) from None


def wav_of(score: Score, sample_rate: int) -> bytes:
    """A Score rendered as `melody play --wav` renders it."""
    from melody.audio.preview import render_score, wav_bytes

    audio, _renderer = render_score(score, sample_rate)
    return wav_bytes(audio, sample_rate)


def exported(abc: str, suffix: str, sample_rate: int = 22050) -> tuple[bytes, Score, str]:
    """The first tune of ABC text as a file of `suffix` (.abc .mid .musicxml .wav), as `melody
    convert` and `melody play --wav` write them; also its Score and title."""
    from melody.formats.convert import convert_abc_text, read_abc_notation

    if suffix == ".wav":
        score, title, _ = read_abc_notation(abc)
        return wav_of(score, sample_rate), score, title
    return convert_abc_text(abc, suffix)
