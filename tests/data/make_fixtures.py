"""How the committed MIDI fixtures were made: real Bach chorales from music21's bundled corpus,
read by music21 and written through our own Score -> MIDI writer. Run from the repository root:

    python tests/data/make_fixtures.py
"""

from pathlib import Path

from music21 import corpus

from melody.formats.midi import write_midi
from melody.formats.stream import stream_to_score

CHORALES = ("bwv66.6", "bwv1.6", "bwv10.7")

if __name__ == "__main__":
    for name in CHORALES:
        write_midi(stream_to_score(corpus.parse(f"bach/{name}")), Path(__file__).parent / f"{name}.mid")
