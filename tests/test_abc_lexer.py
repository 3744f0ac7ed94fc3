"""The abc token lexer: one spelling per musical unit, and text that reads back to the same tokens."""

from fractions import Fraction

import pytest

from melody.formats.abc.lexer import (
    LexError,
    body_tokens,
    explicit_repeat_starts,
    normalize_key,
    parse_length,
    token_kind,
    tokens_to_abc,
    tune_tokens,
)
from melody.formats.abc.text import read_abc_file
from tests.conftest import FOLK_SAMPLE, needs_abc2midi

JIG = "T:Jig\nM:6/8\nL:1/8\nK:D mixolydian\n|:A|d2e f>ga|(3bag ~f2e|1 d3 d2:|2 d3-d2||\n"


def test_tokens_of_a_tune():
    tokens = tune_tokens(JIG)
    assert tokens[:3] == ["M:6/8", "L:1/8", "K:Dmix"]
    assert tokens[3:9] == ["|:", "A", "|", "d", "2", "e"]
    assert ">" in tokens and "(3" in tokens and "~" in tokens and "-" in tokens
    assert "[1" in tokens and "[2" in tokens and ":|" in tokens and "||" in tokens
    assert {token_kind(t) for t in tokens} >= {"header", "bar", "note", "length", "tuplet", "deco", "tie", "ending"}


@pytest.mark.parametrize(
    "text, value",
    [
        ("2", Fraction(2)),
        ("/", Fraction(1, 2)),
        ("//", Fraction(1, 4)),
        ("3/2", Fraction(3, 2)),
        ("3/", Fraction(3, 2)),
    ],
)
def test_lengths(text, value):
    assert parse_length(text) == value


@pytest.mark.parametrize(
    "key, spelled",
    [
        ("G", "G"),
        ("Gmaj", "G"),
        ("E minor", "Em"),
        ("A Dorian", "Ador"),
        ("F#m", "F#m"),
        ("Bb", "Bb"),
        ("Dmix=c", "Dmix =c"),  # a natural glued to the mode (Ryan's Mammoth), not a setting
        ("D middle=B", "D"),
    ],
)
def test_keys(key, spelled):
    assert normalize_key(key) == spelled


def test_unknown_key_is_refused_and_a_second_voice_is_left_out():
    assert normalize_key("H") is None
    assert normalize_key("G clef=bass") == "G" and normalize_key("D Mixolydian ^g") == "Dmix ^g"
    assert normalize_key("HP") == "D" and normalize_key("none") == "C" and normalize_key("A minor") == "Am"
    two_voices = "T:x\nM:4/4\nL:1/8\nK:C\n[V:1] CDEF GABc|\n[V:2] C,4 G,4|\nV:1\nc4 G4|]\nV:2\nC,8|]\n"
    assert tune_tokens(two_voices)[3:] == ["C", "D", "E", "F", "G", "A", "B", "c", "|", "c", "4", "G", "4", "|]"]


def test_every_sample_tune_reads_back_to_the_same_tokens():
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    read = 0
    for tune in tunes:
        try:
            tokens = tune_tokens(tune.text)
        except LexError:
            continue
        read += 1
        back = tune_tokens(tokens_to_abc(tokens))
        assert back[: len(tokens)] == tokens
        assert back[len(tokens) :] in ([], ["|]"])  # a tune that stops mid-line gets its closing bar line
    assert read >= 0.9 * len(tunes)


def test_an_ending_after_a_double_bar_keeps_its_bracket():
    """`|1` and `:|2` are fine shorthand, but abc2midi cannot read `||1`: that one is written `||[1`."""
    tokens = ["M:2/4", "L:1/8", "K:G", "|:", "G", "4", "|", "d", "4", "||", "[1", "c", "4", ":|", "[2", "B", "4", "|]"]
    text = tokens_to_abc(tokens)
    assert "||[1 c4:|2" in text.replace("\n", " ")
    assert tune_tokens(text.split("\n", 1)[1]) == tokens


IMPLIED_REPEATS = "M:2/4 L:1/8 K:G G4 | d4 :| c4 | B4 :| A4 || G4 | C4 :|".split()


def test_repeats_that_only_a_later_close_implies_are_opened_explicitly():
    assert explicit_repeat_starts(IMPLIED_REPEATS) == (
        "M:2/4 L:1/8 K:G G4 | d4 :| |: c4 | B4 :| A4 || |: G4 | C4 :|".split()
    )
    opened = "M:2/4 L:1/8 K:G |: G4 | d4 :| |: c4 | B4 :|".split()
    assert explicit_repeat_starts(opened) == opened  # the first :| goes back to the start: nothing implied
    second_ending = "M:2/4 L:1/8 K:G |: G4 [1 d4 :| [2 c4 | B4 :|".split()
    assert explicit_repeat_starts(second_ending) == second_ending  # no bar line to open it on


def test_opened_repeats_play_the_same_notes():
    from melody.formats.abc.player import tokens_to_score

    assert tokens_to_score(explicit_repeat_starts(IMPLIED_REPEATS)) == tokens_to_score(IMPLIED_REPEATS)
    assert len(tokens_to_score(IMPLIED_REPEATS).notes) == 13  # G d G d c B c B A G C G C


@needs_abc2midi
def test_opened_repeats_play_the_same_in_abc2midi_without_its_warnings(tmp_path):
    import subprocess

    def abc2midi(tokens, name):
        path = tmp_path / f"{name}.abc"
        path.write_text("X:1\n" + tokens_to_abc(tokens), encoding="utf-8")
        run = subprocess.run(
            ["abc2midi", str(path), "-o", str(tmp_path / f"{name}.mid")], capture_output=True, text=True
        )
        return [line for line in run.stdout.splitlines() if "Warning" in line], (tmp_path / f"{name}.mid").read_bytes()

    implied_warnings, implied_midi = abc2midi(IMPLIED_REPEATS, "implied")
    opened_warnings, opened_midi = abc2midi(explicit_repeat_starts(IMPLIED_REPEATS), "opened")
    assert any("Assuming repeat" in line for line in implied_warnings)
    assert opened_warnings == [] and opened_midi == implied_midi


def test_a_chord_takes_its_length_after_the_bracket():
    from melody.formats.abc.player import tokens_to_score

    tokens = body_tokens("[CE]2 D|")
    assert tokens == ["[", "C", "E", "]", "2", "D", "|"]
    notes = tokens_to_score(["M:2/4", "L:1/8", "K:C", *tokens]).notes
    assert [(n.start, n.end) for n in notes] == [(0.0, 1.0), (0.0, 1.0), (1.0, 1.5)]
