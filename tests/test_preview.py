import shutil
import subprocess
import sys
import wave

import numpy as np
import pretty_midi
import pytest

from melody.audio.preview import find_soundfont, piano_roll, write_wav
from melody.errors import ConfigError
from melody.formats.convert import read_score, write_score
from tests.conftest import DATA, FOLK_SAMPLE

HAS_FLUIDSYNTH = shutil.which("fluidsynth") is not None


def _wav(path):
    with wave.open(str(path)) as handle:
        rate, width = handle.getframerate(), handle.getsampwidth()
        audio = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16) / 32768.0
    return rate, width, audio


@pytest.fixture(scope="module")
def folk_midi(tmp_path_factory):
    score, title = read_score(FOLK_SAMPLE, tune=45)  # an O'Neill tune, repeats played out
    return write_score(score, tmp_path_factory.mktemp("midi") / "tune.mid", title)


@pytest.mark.parametrize(
    "renderer",
    [
        pytest.param("fluidsynth", marks=pytest.mark.skipif(not HAS_FLUIDSYNTH, reason="FluidSynth not installed")),
        "sine",
    ],
)
@pytest.mark.parametrize("rate", [22050, 44100])
def test_rendered_wav_is_as_long_as_the_midi_audible_and_at_the_asked_rate(folk_midi, tmp_path, renderer, rate):
    result = write_wav(folk_midi, tmp_path / "out.wav", sample_rate=rate, renderer=renderer)
    midi_seconds = pretty_midi.PrettyMIDI(str(folk_midi)).get_end_time()
    got_rate, width, audio = _wav(tmp_path / "out.wav")
    seconds = audio.size / got_rate
    assert (got_rate, width) == (rate, 2)
    assert midi_seconds <= seconds <= midi_seconds * 1.05 + 3
    assert np.sqrt(np.mean(audio**2)) > 0.02
    assert result["renderer"].startswith(renderer)


def test_fallback_when_fluidsynth_is_absent(folk_midi, tmp_path, monkeypatch):
    import melody.audio.preview as preview

    monkeypatch.setattr(preview, "_fluidsynth_audio", lambda *args: None)
    result = write_wav(folk_midi, tmp_path / "out.wav")
    assert result["renderer"] == "sine" and _wav(tmp_path / "out.wav")[2].size > 0
    with pytest.raises(ConfigError, match="apt-get install fluidsynth"):
        write_wav(folk_midi, tmp_path / "out2.wav", renderer="fluidsynth")


def test_play_without_audio_never_needs_a_device(tmp_path):
    midi = tmp_path / "c.mid"
    shutil.copy(DATA / "bwv66.6.mid", midi)
    result = subprocess.run(
        [sys.executable, "-m", "melody", "play", str(midi), "--no-audio"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "c.wav").is_file() and "c.wav" in result.stderr


def test_piano_roll_fits_in_100_columns_and_marks_bars():
    score, _ = read_score(DATA / "bwv1.6.mid")
    lines = piano_roll(score, width=100)
    pitches = [n.pitch for n in score.notes]
    assert len(lines) == max(pitches) - min(pitches) + 1  # one semitone per row
    assert all(len(line) <= 100 for line in lines)
    assert all("|" in line for line in lines) and any("#" in line for line in lines)


def test_piano_roll_names_rows_in_the_key_and_draws_bars_after_the_pickup():
    from melody.music.score import Note, Score

    notes = (Note(0, 1, 70), Note(1, 5, 67), Note(5, 9, 65))  # a one-beat pickup, then two bars
    lines = piano_roll(Score(notes, key="Bb", pickup=1.0), width=46)
    assert lines[0].split()[0] == "Bb4" and len(lines) == 6
    bars = [i for i, ch in enumerate(lines[1]) if ch == "|"]  # A4: no note hides a bar line
    assert len(bars) == 3 and bars[0] > 6  # at beats 1, 5 and 9, not at 0


def test_soundfont_search_order(tmp_path, monkeypatch):
    font = tmp_path / "mine.sf2"
    font.write_bytes(b"RIFF")
    assert find_soundfont(str(font)) == font
    monkeypatch.setenv("MELODY_SOUNDFONT", str(font))
    assert find_soundfont() == font
    monkeypatch.delenv("MELODY_SOUNDFONT")
    assert find_soundfont() is not None  # a system font, or the one pretty_midi ships
    with pytest.raises(ConfigError, match="no such SoundFont"):
        find_soundfont(str(tmp_path / "missing.sf2"))


def test_piano_roll_png_and_engraved_svg_with_one_staff_per_voice(tmp_path):
    import xml.etree.ElementTree as ElementTree

    from melody.audio.pictures import piano_roll_png, score_svg

    score, title = read_score(DATA / "bwv10.7.mid")
    png = piano_roll_png(score, tmp_path / "roll.png", title).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert 600 <= width <= 3000 and 200 <= height <= 2000
    svg = ElementTree.parse(score_svg(score, tmp_path / "score.svg", title)).getroot()  # one document
    assert svg.tag.endswith("svg")
    first_measure = next(e for e in svg.iter() if e.get("class", "").split()[:1] == ["measure"])
    staves = [e for e in first_measure.iter() if e.get("class", "").split()[:1] == ["staff"]]
    assert len(staves) == score.voices == 4


def test_generate_preview_writes_a_wav_beside_each_midi(tmp_path, capsys):
    import json

    from melody.cli.program import main

    assert main(["generate", "-n", "2", "--seed", "2", "--out", str(tmp_path), "--preview", "--json"]) == 0
    pieces = json.loads(capsys.readouterr().out)["pieces"]
    for piece in pieces:
        assert piece["wav"].endswith(".wav") and _wav(piece["wav"])[2].size > 0
        assert piece["wav"][:-4] == piece["midi"][:-4]


def test_doctor_names_every_part_with_an_install_hint(capsys):
    import json

    from melody.cli.program import main

    assert main(["doctor", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {row["name"] for row in rows}
    assert {"SoundFont", "abc2midi", "verovio (--svg)", "matplotlib (--png)", "audio device"} <= names
    assert all(row["ok"] or row["install"] for row in rows)


THIRTY_TWO_BARS = "X:1\nT:Thirty-two Bars\nM:4/4\nL:1/8\nK:G\n" + "".join(
    f"|:{'CDEF GABc|dcBA GFED|C2E2 G2c2|'}B2G2 E2C2:|\n" if i % 2 == 0 else "G4 A4|B8|c4 B4|A8|\n" for i in range(8)
)


def test_a_32_bar_tune_engraves_4_bars_a_system_and_renders(tmp_path):
    import re
    import subprocess

    from melody.audio.pictures import score_svg

    source = tmp_path / "t32.abc"
    source.write_text(THIRTY_TWO_BARS)
    score, title = read_score(source)
    svg = score_svg(score, tmp_path / "t32.svg", title, source.read_text()).read_text()
    width = float(re.search(r'width="([0-9.]+)px"', svg).group(1))
    systems = [part.count('class="measure') for part in svg.split('class="system"')[1:]]
    assert width <= 1400 and [count for count in systems if count] == [4] * 8
    assert "Thirty-two Bars" in svg and svg.count('href="#E044') >= 8  # title and repeat dots (SMuFL E044) kept
    if shutil.which("rsvg-convert"):
        png = tmp_path / "t32.png"
        subprocess.run(["rsvg-convert", str(tmp_path / "t32.svg"), "-o", str(png)], check=True)
        assert png.read_bytes()[:4] == b"\x89PNG"


def test_play_with_pictures_says_where_and_writes_no_wav_unasked(tmp_path, monkeypatch, capsys):
    import melody.audio.preview as preview
    from melody.cli.program import main

    monkeypatch.setattr(preview, "output_device", lambda: None)
    source = tmp_path / "t32.abc"
    source.write_text(THIRTY_TWO_BARS)
    assert main(["play", str(source), "--png", str(tmp_path / "r.png"), "--svg", str(tmp_path / "s.svg")]) == 0
    err = capsys.readouterr().err
    assert str(tmp_path / "r.png") in err and str(tmp_path / "s.svg") in err
    assert not list(tmp_path.glob("*.wav"))
