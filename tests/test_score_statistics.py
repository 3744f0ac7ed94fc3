"""Event-model statistics: voices, notes in the key's scale, pitch classes and voice ranges."""

from melody.evaluation.score_statistics import compare_scores, score_stats
from melody.formats.midi import midi_to_score
from melody.music.score import Note, Score
from tests.conftest import DATA


def test_a_chorale_has_four_voices_mostly_in_its_scale():
    stats = score_stats(midi_to_score(DATA / "bwv66.6.mid"))
    assert stats["voices"] == 4 and stats["in_scale"] > 0.85
    lows = [low for low, _high in stats["ranges"]]
    assert lows == sorted(lows, reverse=True)  # soprano first, bass last


def test_the_same_pieces_are_at_distance_zero_and_chromatic_ones_are_not():
    chorales = [score_stats(midi_to_score(DATA / f"{name}.mid")) for name in ("bwv66.6", "bwv1.6", "bwv10.7")]
    assert compare_scores(chorales, chorales)["distance"] == 0
    chromatic = Score(tuple(Note(i, i + 1, 60 + i, voice=i % 6) for i in range(24)))
    report = compare_scores([score_stats(chromatic)], chorales)
    assert report["statistics"]["voices"]["generated"] == 6 and report["statistics"]["in_scale"]["generated"] < 0.7
    assert report["distance"] > 0.3
