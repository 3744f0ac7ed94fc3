"""Playing abc tokens into notes: key, accidentals, ties, tuplets, broken rhythm, repeats; and
the same notes abc2midi plays, where it is installed."""

import pytest

from melody.formats.abc.checker import tune_problems
from melody.formats.abc.lexer import tune_tokens
from melody.formats.abc.player import tokens_to_score
from melody.formats.abc.text import normalize_tune, read_abc_file, tune_to_abc
from melody.formats.midi import import_pretty_midi
from melody.music.theory import key_signature
from tests.conftest import FOLK_SAMPLE, needs_abc2midi


def notes(text):
    return [(n.start, n.end, n.pitch) for n in tokens_to_score(tune_tokens(text)).notes]


def test_key_signatures():
    assert key_signature("D") == {"F": 1, "C": 1}
    assert key_signature("Ador") == {"F": 1}
    assert key_signature("Gm") == {"B": -1, "E": -1}


def test_accidentals_hold_to_the_bar_line():
    played = notes("T:a\nM:3/4\nL:1/4\nK:C\n^F F G|F3|]\n")
    assert [p for _, _, p in played] == [66, 66, 67, 65]


def test_ties_tuplets_and_broken_rhythm():
    played = notes("T:a\nM:2/4\nL:1/8\nK:C\nc2 c2-|c4|(3cde c>d|]\n")
    assert played[1] == (1.0, 4.0, 72)  # tied across the bar: one note of three beats
    assert [round(e - s, 3) for s, e, _ in played[2:5]] == [0.333] * 3
    assert [e - s for s, e, _ in played[5:]] == [0.75, 0.25]


def test_each_note_of_a_tied_chord_holds_over():
    assert notes("T:a\nM:2/4\nL:1/8\nK:C\n[c2-e2-][ec] z|]\n") == [(0.0, 1.5, 72), (0.0, 1.5, 76)]


def test_a_chord_is_one_note_of_a_tuplet():
    played = notes("T:a\nM:2/4\nL:1/8\nK:C\n(3ce[ce] [c2e2]|]\n")  # as abc2midi counts (Ryan's Mammoth)
    assert [round(s, 3) for s, _, _ in played] == [0.0, 0.333, 0.667, 0.667, 1.0, 1.0]


def test_repeats_and_endings_are_played_out():
    played = notes("T:a\nM:2/4\nL:1/4\nK:C\n|:C D|1 E F:|2 G A|]\n")
    assert [p for _, _, p in played] == [60, 62, 64, 65, 60, 62, 67, 69]


LETTERS = {60: "C", 62: "D", 64: "E", 65: "F", 67: "G", 69: "A", 71: "B", 72: "c", 74: "d", 76: "e", 77: "f", 79: "g"}


@pytest.mark.parametrize(
    "body, heard",  # what abc2midi 4.84 plays, note by note: its quirks are what its MIDI holds
    [
        ("AB|cd:|ef|gA|Bc:|", "ABcdABcdefgABcefgABc"),  # a :| with no |: repeats from the last :|
        ("AB||cd:|", "ABcdABcd"),  # ... from the start: a double bar before any repeat starts none
        ("AB:|cd||ef:|", "ABABcdefef"),  # ... from a double bar after a closed repeat
        ("AB ||: cd :|", "ABcdABcd"),  # ||: is a double bar
        ("AB|[1 cd:|[2 ef||gA|Bc:|", "ABcdABefgABcABgABc"),  # after a second ending: to the start once
        ("AB|[1 cd:|[2 ef:|gA|Bc:|", "ABcdABefABgABc"),
        ("AB|[1 cd:|[2 ef||gA|[1 Bc:|[2 de|]", "ABcdABefgAde"),  # a second pass skips the first ending
        ("AB::cd|[1 ef:|[2 gA|]", "ABABcdefcdgA"),
        ("AB|[1 cd:|[2 ef|]|:gA|Bc:|", "ABcdABefgABcgABc"),
        ("|:AB|[1,3 cd:|[2,4 ef:|", "ABcdABefABcdABef"),  # endings for several passes
        ("|:AB|[1-3 cd:|[4 ef|]", "ABcdABcdABcdABef"),
    ],
)
def test_repeats_are_played_as_abc2midi_plays_them(body, heard):
    played = notes(f"T:a\nM:2/4\nL:1/4\nK:C\n{body}\n")
    assert "".join(LETTERS[p] for _, _, p in played) == heard


@pytest.mark.parametrize(
    "head, body, heard",  # abc2midi 4.84 again: in voices or parts it implies one |: per voice and part
    [
        ("", "V:1\nAB:|cd:|\nV:2\nCD:|EF:|", "ABABcd"),  # so the second strain plays once
        ("", "V:1\nAB:|cd::ef:|\nV:2\nCD:|EF::CD:|", "ABABcdefef"),  # and a later :: only opens a repeat
        ("", "V:1\nAB|[1 cd:|[2 ef||gA:|\nV:2\nCD|[1 EF:|[2 CD||EF:|", "ABcdABefgAABgA"),
        ("P:AB\n", "P:A\nAB:|cd:|\nP:B\nef:|gA||", "ABABcdefefgA"),  # each part starts afresh
    ],
)
def test_tunes_in_voices_or_parts_repeat_as_abc2midi_plays_them(head, body, heard):
    canonical, _ = normalize_tune(f"T:a\nM:2/4\nL:1/4\n{head}K:C\n{body}\n")
    assert "".join(LETTERS[p] for _, _, p in notes(canonical)) == heard


def test_an_ending_inside_a_bar_leaves_the_bar_before_it_played():
    played = notes("T:a\nM:3/4\nL:1/4\nK:C\nC D E|F G [1 A:|[2 B|]\n")
    assert [p for _, _, p in played] == [60, 62, 64, 65, 67, 69, 60, 62, 64, 65, 67, 71]


@needs_abc2midi
def test_same_notes_as_abc2midi(tmp_path):
    """abc2midi plays grace notes and ornaments; compare tunes without them."""
    import subprocess

    pretty_midi = import_pretty_midi()
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    body = lambda text: text.split("\nK:", 1)[1]  # noqa: E731
    plain = [t.text for t in tunes if not tune_problems(t.text) and not any(c in body(t.text) for c in "{~HT")]
    assert len(plain) >= 10
    same = 0
    for number, text in enumerate(plain):
        path = tmp_path / f"{number}.abc"
        path.write_text(tune_to_abc(text), encoding="utf-8")
        subprocess.run(["abc2midi", str(path), "-o", str(path.with_suffix(".mid")), "-Q", "120"], capture_output=True)
        midi = pretty_midi.PrettyMIDI(str(path.with_suffix(".mid")))
        theirs = sorted((round(n.start * 2 * 48), n.pitch) for i in midi.instruments for n in i.notes)  # 120 bpm
        ours = sorted((round(start * 48), pitch) for start, _, pitch in notes(text))
        same += theirs == ours
    assert same == len(plain)


def test_a_tune_the_tokens_cannot_read_raises():
    from melody.formats.abc.lexer import LexError

    with pytest.raises(LexError):
        tune_tokens("T:a\nM:2/4\nL:1/8\nK:C\nC2 @ D2|]\n")
