"""How the committed MIDI fixtures were made: real Bach chorales from music21's bundled corpus,
read by music21 and written through our own Score -> MIDI writer; and two small folders of songs
with the quirks users' files have (bench/song_fixtures.py): songs/ on a grid, played/ humanised;
pop/, songs as a sequencer exports them (placeholder C major key signatures, the melody under a
counter-line); and pedalled/, piano performances with a pianist's sustain pedal
(bench/performance_fixtures.py).
Run from the repository root:

    python tests/data/make_fixtures.py
"""

from pathlib import Path

from music21 import corpus

from melody.formats.midi import write_midi
from melody.formats.stream import stream_to_score

CHORALES = ("bwv66.6", "bwv1.6", "bwv10.7")

if __name__ == "__main__":
    import sys

    for name in CHORALES:
        write_midi(stream_to_score(corpus.parse(f"bach/{name}")), Path(__file__).parent / f"{name}.mid")
    sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
    from performance_fixtures import build_performances
    from song_fixtures import build_songs

    build_songs(Path(__file__).parent / "songs", 8)
    build_songs(Path(__file__).parent / "played", 3, humanise=True)
    build_performances(Path(__file__).parent / "pedalled", 3)
    build_songs(Path(__file__).parent / "pop", 4, pop=True)
