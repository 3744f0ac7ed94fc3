"""abc2midi is the referee for what ABC means: our player's notes (onset, pitch) equal the notes
abc2midi plays, tune by tune, on the fixtures and on music21's folk collections."""

from __future__ import annotations

from collections import Counter

import pytest

from melody.formats.abc.abc2midi import agreement
from melody.formats.abc.text import decode_abc_bytes, read_abc_text
from melody.formats.corpus import FOLK_COLLECTIONS, music21_corpus_dir
from tests.conftest import DATA, needs_abc2midi

SAMPLE_FILES = 3  # of each folk collection, in CI; bench/abc2midi_agreement.py reads them all
AGREEING = 0.995  # measured 1.0 on this sample (1,615 of 1,615); bench/abc2midi_agreement.py: all of it


@needs_abc2midi
@pytest.mark.parametrize("name", ["dialects.abc", "folk_sample.abc", "repeats.abc"])
def test_every_fixture_tune_abc2midi_plays_sounds_the_same_with_us(name):
    verdicts = agreement((DATA / name).read_text(encoding="utf-8"))
    played = [(verdict, detail) for verdict, detail in verdicts if verdict in ("same", "differs", "unread")]
    assert played and all(verdict == "same" for verdict, _ in played), [v for v in played if v[0] != "same"]


@pytest.mark.slow
@needs_abc2midi
def test_the_folk_collections_sound_as_abc2midi_plays_them():
    counts = Counter()
    for collection in FOLK_COLLECTIONS:
        for path in sorted((music21_corpus_dir() / collection).glob("*.abc"))[:SAMPLE_FILES]:
            counts.update(verdict for verdict, _ in agreement(decode_abc_bytes(path.read_bytes())[0]))
    played = counts["same"] + counts["differs"] + counts["unread"]
    assert played > 300 and counts["same"] / played >= AGREEING, counts


def test_each_dialect_of_the_fixture_is_read():
    tunes, dropped = read_abc_text((DATA / "dialects.abc").read_text(encoding="utf-8"), "dialects.abc")
    assert not dropped and len(tunes) == 18
    by_title = {tune.title: tune.text for tune in tunes}
    assert "!" not in by_title["Legacy Line Breaks"] and "L:1/8" in by_title["Legacy Line Breaks"]
    assert "[M:3/4]" in by_title["Fields In The Body"] and "\nM:6/8\n" in by_title["Fields In The Body"]
    assert '"' not in by_title["Chords Lyrics And Spacers"] and "w:" not in by_title["Chords Lyrics And Spacers"]
