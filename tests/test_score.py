from fractions import Fraction

import pytest

from melody.music.score import Note, Score


def test_notes_are_kept_in_time_order():
    score = Score((Note(2, 3, 60), Note(0, 1, 64), Note(0, 1, 60)))
    assert [(n.start, n.pitch) for n in score.notes] == [(0, 60), (0, 64), (2, 60)]
    assert score.duration == 3


def test_transpose_moves_every_pitch_and_refuses_to_leave_the_midi_range():
    score = Score((Note(0, 1, 60), Note(1, 2, 67)), key="C")
    assert [n.pitch for n in score.transpose(2).notes] == [62, 69]
    with pytest.raises(ValueError):
        Score((Note(0, 1, 125),)).transpose(5)


def test_quantize_keeps_sixteenths_and_triplets_and_never_makes_empty_notes():
    score = Score((Note(0.0, 1 / 3 + 0.01, 60), Note(0.26, 0.49, 62), Note(1.0, 1.001, 64)))
    quantized = score.quantize(12)
    assert [(n.start, n.end) for n in quantized.notes] == [(0.0, 4 / 12), (3 / 12, 6 / 12), (1.0, 13 / 12)]


def test_bar_length_follows_the_meter():
    assert Score(meter=(6, 8)).bar_beats == Fraction(3)
    assert Score(meter=(3, 4)).bar_beats == Fraction(3)


def test_a_score_on_columns_is_the_same_score_as_one_of_notes():
    from melody.music.roles import by_role
    from melody.music.score import NoteTable
    from melody.tokenizers.events import EventTokenizer

    notes = (Note(2, 3, 48, 80, 1), Note(0, 1, 72, 90, 0), Note(0, 2, 48, 70, 1), Note(1, 2, 74, 90, 0))
    columns = NoteTable(*zip(*[(n.start, n.end, n.pitch, n.velocity, n.voice) for n in reversed(notes)]))
    plain, table = Score(notes, programs=(0, 33), pickup=1.0), Score(columns, programs=(0, 33), pickup=1.0)
    assert table.notes == plain.notes and plain.notes == table.notes and table == plain
    assert list(table.notes) == sorted(notes) and table.notes[0] == Note(0, 1, 72, 90, 0)
    assert table.content_key == plain.content_key and table.duration == plain.duration == 3
    assert table.roles == plain.roles == ("melody", "bass") and table.estimated_key == plain.estimated_key
    assert by_role(Score(notes[::-1], programs=(0, 33))) == by_role(Score(columns, programs=(0, 33)))
    tokenizer = EventTokenizer()
    assert tokenizer.encode(table) == tokenizer.encode(plain)
