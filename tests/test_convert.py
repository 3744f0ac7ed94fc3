import pytest

from melody.cli.program import main
from melody.errors import ConfigError, InputError, OutputError
from melody.formats.convert import read_notation, read_score, write_score
from tests.conftest import DATA, FOLK_SAMPLE


def _steps(score):
    return sorted((round(n.start * 12), round(n.end * 12), n.pitch, n.voice) for n in score.notes)


def test_abc_to_midi_to_abc_keeps_the_notes(tmp_path):
    score, title = read_score(FOLK_SAMPLE, tune=5)
    write_score(score, tmp_path / "t.mid", title)
    from_midi, _ = read_score(tmp_path / "t.mid")
    assert _steps(from_midi) == _steps(score.quantize(480))
    write_score(from_midi, tmp_path / "t.abc", title)
    again, again_title = read_score(tmp_path / "t.abc")
    assert _steps(again) == _steps(from_midi.quantize(12)) and again_title == title


def test_midi_to_musicxml_and_back(tmp_path):
    score, _ = read_score(DATA / "bwv10.7.mid")
    write_score(score, tmp_path / "c.musicxml", "Chorale")
    back, _ = read_score(tmp_path / "c.musicxml")
    assert _steps(back) == _steps(score.quantize(12)) and back.voices == 4


def test_cli_convert_refuses_to_overwrite_and_names_bad_tunes(tmp_path, capsys):
    out = tmp_path / "x.mid"
    assert main(["convert", str(FOLK_SAMPLE), str(out)]) == 0
    assert main(["convert", str(FOLK_SAMPLE), str(out)]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["convert", str(FOLK_SAMPLE), str(out), "--force", "--tune", "2"]) == 0
    with pytest.raises(InputError, match="no tune number 99"):
        read_score(FOLK_SAMPLE, tune=99)
    with pytest.raises(ConfigError, match=r"\.txt"):
        read_score(tmp_path / "x.txt")
    with pytest.raises(OutputError):
        write_score(read_score(out)[0], out)


BLACK_EYED = """X:1
T:Black Eyed Susan
M:6/8
L:1/8
K:G
D|:G2B d2B|c2A F2A|G2B d2g|fed cAF:|
|:g2d B2G|c2e dBG|1 ABc d2B:|2 ABc d3||
"""


def test_abc_to_musicxml_keeps_the_pickup_repeats_endings_and_title(tmp_path):
    import warnings

    from music21 import converter

    source = tmp_path / "susan.abc"
    source.write_text(BLACK_EYED)
    score, title, abc = read_notation(source)
    assert score.pickup == 0.5  # the anacrusis D, as abc2midi reads it
    xml = write_score(score, tmp_path / "susan.musicxml", title, abc=abc)
    text = xml.read_text()
    assert '<measure implicit="yes" number="0"' in text and text.count("<repeat") == 4 and text.count("<ending") >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = converter.parse(str(xml))
    measures = list(parsed.parts[0].getElementsByClass("Measure"))
    assert measures[0].duration.quarterLength == 0.5 and measures[1].duration.quarterLength == 3.0
    assert parsed.metadata.bestTitle == "Black Eyed Susan"
    back, back_title = read_score(xml)
    assert back_title == "Black Eyed Susan" and back.pickup == 0.5
    assert [(n.start, n.pitch) for n in back.notes] == [(n.start, n.pitch) for n in score.notes]


def test_musicxml_back_to_abc_writes_the_repeats_and_endings_again(tmp_path):
    from melody.formats.abc.lexer import tune_tokens

    source = tmp_path / "susan.abc"
    source.write_text(BLACK_EYED)
    score, title, abc = read_notation(source)
    xml = write_score(score, tmp_path / "susan.musicxml", title, abc=abc)
    back_score, back_title, back_abc = read_notation(xml)
    written = write_score(back_score, tmp_path / "back.abc", back_title, abc=back_abc).read_text()
    tokens = tune_tokens(written)
    assert tokens.count(":|") + tokens.count("::") == 2 and "[1" in tokens and "[2" in tokens  # :| |: may be ::
    assert "T:Black Eyed Susan" in written
    again, _ = read_score(tmp_path / "back.abc")
    assert _steps(again) == _steps(score) and again.pickup == score.pickup


def test_verovio_reads_our_musicxml_with_a_pickup(tmp_path):
    pytest.importorskip("verovio")
    import verovio

    source = tmp_path / "susan.abc"
    source.write_text(BLACK_EYED)
    score, title, abc = read_notation(source)
    xml = write_score(score, tmp_path / "susan.musicxml", title, abc=abc)
    toolkit = verovio.toolkit()
    assert toolkit.loadData(xml.read_text())
    svg = toolkit.renderToSVG(1)
    assert svg.count('class="measure') >= 9  # the pickup, 8 bars and the second ending


def test_a_minor_key_spells_its_leading_tone_with_a_sharp():
    from melody.formats.abc.writer import score_to_abc
    from melody.music.score import Note, Score

    abc = score_to_abc(Score((Note(0, 1, 67), Note(1, 2, 66), Note(2, 3, 64), Note(3, 4, 67)), key="Gm"), "t")
    assert "^F" in abc and "_G" not in abc and "=E" in abc


def test_a_meter_change_survives_musicxml_and_back(tmp_path):
    from melody.formats.abc.lexer import tune_tokens

    source = tmp_path / "changes.abc"
    source.write_text("X:1\nT:Changes\nM:4/4\nL:1/8\nK:D\nA2 FA dAFA|[M:3/4] d2 f2 a2|[M:4/4] d f a f d2 c2|]\n")
    score, title, abc = read_notation(source)
    xml = write_score(score, tmp_path / "changes.musicxml", title, abc=abc)
    back_score, back_title, back_abc = read_notation(xml)
    tokens = tune_tokens(write_score(back_score, tmp_path / "back.abc", back_title, abc=back_abc).read_text())
    assert tokens[:2] == ["M:4/4", "L:1/8"] and "[M:3/4]" in tokens and "[M:4/4]" in tokens
    assert _steps(read_score(tmp_path / "back.abc")[0]) == _steps(score)


def test_musicxml_built_from_our_bars_keeps_chords_together():
    """The MusicXML written from our own reading (where music21 reads a tune's ABC otherwise)."""
    from music21 import chord

    from melody.formats.abc.lexer import tune_tokens
    from melody.formats.abc.player import written_bars
    from melody.formats.stream import bars_to_stream, stream_to_bars

    bars = written_bars(tune_tokens("T:a\nM:2/4\nL:1/4\nK:Bb\nG,A,|[bd] [bd]|[A^f] [B/g/]>d/|B2|]\n"))
    stream = bars_to_stream(*bars, "a")
    assert len(list(stream.flatten().getElementsByClass(chord.Chord))) == 4
    assert [bar.length for bar in stream_to_bars(stream)[0]] == [bar.length for bar in bars[0]]


def test_a_tune_of_two_voices_keeps_both_in_abc_and_musicxml(tmp_path):
    from music21 import converter

    tune = "X:1\nT:Two\nM:2/4\nL:1/8\nK:D\nV:1\nd2 fd|ed cB:|\nV:2\nD2 FD|E2 A,2:|\nV:1\nfg af|d4|]\nV:2\nD2 F2|D4|]\n"
    (tmp_path / "two.abc").write_text(tune)
    assert main(["convert", str(tmp_path / "two.abc"), str(tmp_path / "back.abc")]) == 0
    written = (tmp_path / "back.abc").read_text()
    assert written.endswith("K:D\nV:1\n|: d2 fd| edcB:| fgaf| d4|]\nV:2\n|: D2 FD| E2 A,2:| D2 F2| D4|]\n")
    assert main(["convert", str(tmp_path / "two.abc"), str(tmp_path / "two.musicxml")]) == 0
    assert len(converter.parse(str(tmp_path / "two.musicxml")).parts) == 2


def _sounding(midi_path, bpm: float) -> list[tuple[int, int, int]]:
    """(onset, duration, pitch) in twelfths of a beat of every note pretty_midi reads from a file; an
    onset counts from the step it falls in (abc2midi staggers a chord's notes by a few ticks)."""
    import math

    import pretty_midi

    notes = [n for i in pretty_midi.PrettyMIDI(str(midi_path)).instruments for n in i.notes]
    steps = [(math.floor(n.start * bpm / 5 + 0.01), round(n.end * bpm / 5), n.pitch) for n in notes]  # 60 s / 12
    return sorted((onset, end - onset, pitch) for onset, end, pitch in steps)


@pytest.mark.abc2midi
def test_convert_keeps_two_voices_on_one_staff_apart(tmp_path):
    """Bach's C major prelude: the left hand's staff holds a held bass note under a second voice's
    line. Both written files play what music21 reads from the score, note for note, none doubled."""
    import subprocess
    import warnings

    from music21 import corpus

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = corpus.parse("bach/bwv846")
        source.write("musicxml", fp=str(tmp_path / "prelude.musicxml"))
        voices = [voice for part in source.parts for voice in part.voicesToParts().parts]  # ties join per voice
        expected = sorted(
            (round(float(n.offset) * 12), round(float(n.quarterLength) * 12), p.midi)
            for voice in voices
            for n in voice.stripTies().flatten().notes
            for p in n.pitches
        )
    assert main(["convert", str(tmp_path / "prelude.musicxml"), str(tmp_path / "p.abc")]) == 0
    assert main(["convert", str(tmp_path / "prelude.musicxml"), str(tmp_path / "p.mid")]) == 0
    abc = (tmp_path / "p.abc").read_text()
    assert abc.count("V:") == 3 and "T:bwv846\n" in abc  # the right hand, and the left hand's two voices
    referee = subprocess.run(
        ["abc2midi", str(tmp_path / "p.abc"), "-o", str(tmp_path / "referee.mid")], capture_output=True, text=True
    )
    assert "Warning" not in referee.stdout + referee.stderr and "Error" not in referee.stdout + referee.stderr
    bpm = read_score(tmp_path / "prelude.musicxml")[0].tempo
    ours, theirs = _sounding(tmp_path / "p.mid", bpm), _sounding(tmp_path / "referee.mid", bpm)
    assert ours == expected and theirs == expected
    assert len({(onset, pitch) for onset, _, pitch in ours}) == len(ours)  # no note doubled


def test_convert_of_a_pedalled_performance_sounds_as_the_pianist_played_it(tmp_path):
    """A key released under the sustain pedal sounds until the pedal lifts: converted to a MIDI file
    without the pedal, the notes hold as long and as many sound together (pretty_midi, pedal applied)."""
    import sys

    sys.path.insert(0, str(DATA.parents[1] / "bench"))
    from performance_fixtures import sounding_figures

    sources = sorted((DATA / "pedalled").glob("*.mid"))
    for source in sources:
        assert main(["convert", str(source), str(tmp_path / source.name)]) == 0
    before, after = sounding_figures(sources), sounding_figures([tmp_path / s.name for s in sources])
    assert before["polyphony"] > 3.0  # the pedal holds the chorale's four voices together
    assert after["polyphony"] == pytest.approx(before["polyphony"], rel=0.1)
    assert after["median_seconds"] == pytest.approx(before["median_seconds"], rel=0.1)
