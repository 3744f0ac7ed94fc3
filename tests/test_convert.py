import pytest

from melody.cli import main
from melody.convert import read_score, write_score
from melody.errors import ConfigError, InputError, OutputError
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
