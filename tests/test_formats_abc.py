from pathlib import Path

import pytest

from melody.errors import InputError
from melody.formats.abc.text import (
    abc_to_stream,
    header_fields,
    normalize_tune,
    read_abc_file,
    read_abc_text,
    split_tunes,
    tune_to_abc,
)
from melody.music.theory import meter_fraction
from tests.conftest import FOLK_SAMPLE, abc2midi_errors, needs_abc2midi


def test_split_tunes_on_x_lines_with_any_line_endings():
    text = "% book\r\nX:1\r\nT:A\r\nK:G\r\nGABc|\r\n\r\nX:2\rT:B\rK:D\rdefg|\r"
    tunes = split_tunes(text)
    assert [line for line, _ in tunes] == [2, 7]
    assert "\r" not in tunes[1][1]


def test_normalize_gives_canonical_header_and_strips_non_music():
    raw = """T: First title
T: Second title
N: a note
O: Europe
M: 6/8
R: jig
K: D
"D"A2B c2d|e2f "^slow"g3| % comment
w: some lyrics here
P:A
ABc  \t def|
"""
    text, reason = normalize_tune(raw)
    assert reason == ""
    assert text == "T:First title\nR:jig\nM:6/8\nL:1/8\nK:D\nA2B c2d|e2f g3|\nABc def|\n"


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("T:x\nM:4/4\nABC|\n", "no K: field"),
        ("T:x\nM:4/4\nK:G\n", "no notes in body"),
        ("T:x\nK:G\nABcd|\n", "no M: field"),
    ],
)
def test_unusable_tunes_are_dropped_with_a_reason(raw, reason):
    assert normalize_tune(raw) == (None, reason)


def test_voices_are_kept_as_v_blocks():
    text, _ = normalize_tune("T:x\nM:4/4\nV:1 name=top\nV:2\nK:G\nV:1\nABcd|\nV:2\nGFED|\n")
    assert text == "T:x\nM:4/4\nL:1/8\nK:G\nV:1\nABcd|\nV:2\nGFED|\n"


def test_parts_are_played_in_order_each_in_the_key_it_was_written_in():
    raw = "T:x\nM:2/4\nL:1/8\nP:ABA\nK:D\nP:A\ndA Af|d4:|\nP:B\nK:A\nag gb|a4||\n"
    text, _ = normalize_tune(raw)
    assert text.split("\n")[4:] == [
        "P:A", "dA Af|d4:|", "P:B", "K:A", "ag gb|a4||", "P:A", "K:D", "dA Af|d4:|", ""
    ]  # fmt: skip


def test_parts_marked_inside_a_line_are_parts_too():
    text, _ = normalize_tune("T:x\nM:2/4\nL:1/8\nP:ABA\nK:G\n[P:A] G2 B2|A4:|\n[P:B] d2 B2|G4||\n")
    assert text.split("\n")[4:] == ["P:A", "G2 B2|A4:|", "P:B", "d2 B2|G4||", "P:A", "G2 B2|A4:|", ""]


def test_meter_and_unit_given_after_the_key_are_the_tunes():
    """Some tunebooks write K: first (English country dance books): abc2midi reads M: and L: given
    before any note as the tune's own."""
    text, _ = normalize_tune("T:x\nK:Bb\nM:6/8\nL:1/8\ng2d c2B|A3 G3|]\n")
    assert text.split("\n")[:4] == ["T:x", "M:6/8", "L:1/8", "K:Bb"]


def test_missing_unit_length_follows_the_abc_rule():
    assert normalize_tune("M:2/4\nK:G\nAB|\n")[0].split("\n")[2] == "L:1/16"
    assert normalize_tune("M:6/8\nK:G\nAB|\n")[0].split("\n")[2] == "L:1/8"
    assert meter_fraction("C|") == meter_fraction("2/2")
    assert meter_fraction("none") is None


def test_a_blank_line_ends_the_tune():
    text, _ = normalize_tune("M:4/4\nK:G\nABcd|\n\nfree text after the tune\n")
    assert "free text" not in text


def test_tune_to_abc_puts_x_first_t_second_k_last():
    abc = tune_to_abc("M:3/4\nL:1/8\nT:Late title\nK:Am\nABc|", number=5)
    assert abc.split("\n")[:5] == ["X:5", "T:Late title", "M:3/4", "L:1/8", "K:Am"]
    assert header_fields(abc)["K"] == "Am"


def test_reading_the_fixture_keeps_every_real_tune():
    tunes, dropped = read_abc_file(FOLK_SAMPLE)
    assert len(tunes) == 60 and dropped == {}
    assert all(t.text.startswith("T:") and "\nK:" in t.text for t in tunes)
    assert tunes[0].title == "Das Hildebrandslied"


def test_latin1_files_are_read(tmp_path):
    path = tmp_path / "old.abc"
    path.write_bytes("X:1\nT:Mädchen\nM:4/4\nK:G\nGABc|\n".encode("latin-1"))
    tunes, _ = read_abc_file(path)
    assert tunes[0].title == "Mädchen"


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "empty file"),
        (b"\x00\x01\x02", "binary"),
        (b"just some text\n", "no tunes found"),
        (b"X:1\nT:t\nM:4/4\nabc\n", "no usable tunes (1 no K: field)"),
    ],
)
def test_unreadable_files_raise_one_clear_error(tmp_path, content, fragment):
    path = tmp_path / "bad.abc"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"bad\.abc: .*" + fragment.replace("(", r"\(").replace(")", r"\)")):
        read_abc_file(path)


def test_music21_reads_canonical_tunes():
    tunes, _ = read_abc_text(Path(FOLK_SAMPLE).read_text(), "fixture")
    score = abc_to_stream(tune_to_abc(tunes[0].text))
    assert len(score.flatten().notes) > 20


@needs_abc2midi
def test_abc2midi_accepts_our_canonical_essen_tunes(tmp_path):
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    failures = {}
    for number, tune in enumerate(tunes[:40], start=1):
        path = tmp_path / f"tune{number}.abc"
        path.write_text(tune_to_abc(tune.text, number))
        failures[number] = abc2midi_errors(path, tmp_path)
    assert {n: e for n, e in failures.items() if e} == {}


def test_a_byte_order_mark_does_not_hide_the_first_tune(tmp_path):
    """Windows editors start UTF-8 files with a byte-order mark, or save them as UTF-16."""
    book = "X:1\nT:First\nM:2/4\nL:1/8\nK:G\nGABc|d4|]\n\nX:2\nT:Second\nM:2/4\nL:1/8\nK:G\ndcBA|G4|]\n"
    for name, data in (("bom.abc", b"\xef\xbb\xbf" + book.encode()), ("utf16.abc", book.encode("utf-16"))):
        (tmp_path / name).write_bytes(data)
        tunes, dropped = read_abc_file(tmp_path / name)
        assert [tune.title for tune in tunes] == ["First", "Second"] and not dropped


def test_an_indented_tunebook_is_read_as_abc2midi_reads_it():
    """ABC pasted from a web page or a program's source often comes indented."""
    book = "    X:1\n    T:Indented\n    M:4/4\n    L:1/8\n    K:Ador\n    EDEG A2A2|ABcd e2ed|cBAc BAGB|A4 A4:|\n"
    tunes, dropped = read_abc_text(book, "pasted.abc")
    assert [tune.title for tune in tunes] == ["Indented"] and not dropped
    assert tunes[0].text.endswith("K:Ador\nEDEG A2A2|ABcd e2ed|cBAc BAGB|A4 A4:|\n")
