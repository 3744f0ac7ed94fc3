from fractions import Fraction

import pytest

from melody.formats.abc.syntax import length_suffix
from melody.formats.abc.text import abc_to_stream, read_abc_file, tune_to_abc
from melody.formats.abc.writer import score_to_abc, simple_lengths
from melody.formats.midi import midi_to_score
from melody.formats.stream import stream_to_score
from melody.music.score import Note, Score
from melody.music.theory import estimate_key
from tests.conftest import DATA, FOLK_SAMPLE, abc2midi_errors, needs_abc2midi


def _steps(score: Score, with_voice: bool = True) -> set:
    return {(round(n.start * 12), round(n.end * 12), n.pitch) + ((n.voice,) if with_voice else ()) for n in score.notes}


def _read_back(abc: str) -> Score:
    return stream_to_score(abc_to_stream(abc))


@pytest.mark.parametrize("name", ["bwv66.6", "bwv1.6", "bwv10.7"])
def test_chorale_midi_through_our_abc_gives_the_same_notes(name, tmp_path):
    score = midi_to_score(DATA / f"{name}.mid")
    abc = score_to_abc(score, name)
    assert abc.count("\nV:") == score.voices
    assert _steps(_read_back(abc)) == _steps(score.quantize(12))


@pytest.mark.slow
def test_folk_melodies_through_our_abc_keep_at_least_99_percent_of_notes():
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    kept = total = 0
    for tune in tunes:
        score = stream_to_score(abc_to_stream(tune_to_abc(tune.text)))
        expected = _steps(score.quantize(12), with_voice=False)
        kept += len(expected & _steps(_read_back(score_to_abc(score)), with_voice=False))
        total += len(expected)
    assert kept >= 0.99 * total


@needs_abc2midi
def test_abc2midi_accepts_what_we_write(tmp_path):
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    scores = [midi_to_score(DATA / f"{n}.mid") for n in ("bwv66.6", "bwv1.6", "bwv10.7")]
    scores += [stream_to_score(abc_to_stream(tune_to_abc(t.text))) for t in tunes[::4]]
    errors = {}
    for number, score in enumerate(scores):
        path = tmp_path / f"{number}.abc"
        path.write_text(score_to_abc(score))
        errors[number] = abc2midi_errors(path, tmp_path)
    assert {n: e for n, e in errors.items() if e} == {}


def test_triplets_sextuplets_ties_and_rests():
    notes = [
        Note(0, 1 / 3, 67),
        Note(1 / 3, 2 / 3, 69),
        Note(2 / 3, 1, 71),  # a triplet
        Note(1, 1 + 1 / 6, 72),
        Note(1 + 1 / 6, 1 + 1 / 2, 74),
        Note(1.5, 2, 72),  # 1/6 and 1/3 in a beat
        Note(3, 6, 67),  # across the bar line: tied
        Note(7, 8, 60),
    ]  # after a rest
    score = Score(tuple(notes), meter=(4, 4), key="G")
    abc = score_to_abc(score)
    assert "(3:2:3" in abc and "-" in abc and "z" in abc
    assert _steps(_read_back(abc)) == _steps(score.quantize(12))


def test_accidentals_are_relative_to_the_key_and_naturals_follow_sharps():
    score = Score((Note(0, 1, 66), Note(1, 2, 65), Note(2, 3, 65), Note(3, 4, 66)), key="C")
    body = score_to_abc(score).split("\n")[-2]
    assert body.startswith("^F2=F2F2^F2")
    in_d = Score((Note(0, 1, 66), Note(1, 2, 65)), key="D")
    assert score_to_abc(in_d).split("\n")[-2].startswith("F2=F2")
    assert _steps(_read_back(score_to_abc(score))) == _steps(score)


def test_a_flat_major_key_spells_its_relative_minors_leading_tone_sharp():
    """F# in Bb major (the leading tone of G minor), C# in F major: not Gb and Db."""
    in_b_flat = Score((Note(0, 1, 67), Note(1, 2, 66), Note(2, 4, 67)), key="Bb")
    assert score_to_abc(in_b_flat).split("\n")[-2].startswith("G2^F2G4")
    in_f = Score((Note(0, 1, 74), Note(1, 2, 73), Note(2, 4, 74)), key="F")
    assert score_to_abc(in_f).split("\n")[-2].startswith("d2^c2d4")


def test_key_is_estimated_when_the_score_has_none():
    g_major = Score(tuple(Note(i, i + 1, p) for i, p in enumerate([67, 71, 74, 66, 69, 72, 67])))
    assert estimate_key(g_major) == "G"
    a_minor = Score(tuple(Note(i, i + 1, p) for i, p in enumerate([69, 72, 76, 74, 71, 69])))
    assert estimate_key(a_minor) == "Am"


def test_lengths_are_written_the_abc_way():
    assert [length_suffix(Fraction(x)) for x in ("1", "2", "1/2", "3/2", "1/4")] == ["", "2", "/2", "3/2", "/4"]
    assert simple_lengths(Fraction(5, 2)) == [2, Fraction(1, 2)]
    assert simple_lengths(Fraction(7, 4)) == [Fraction(3, 2), Fraction(1, 4)]


def test_notes_below_the_writable_range_move_up_an_octave():
    score = Score((Note(0, 1, 10), Note(1, 2, 60), Note(2, 3, 0)))
    assert [n.pitch for n in _read_back(score_to_abc(score)).notes] == [22, 60, 12]
