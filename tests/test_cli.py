import html
import json
import shutil
import subprocess
import sys

import pretty_midi
import pytest

from melody.cli.program import main
from melody.formats.abc.text import abc_to_stream
from tests.conftest import FOLK_SAMPLE, TINY_TRAIN_FLAGS, needs_abc2midi


def run_json(capsys, argv):
    code = main(argv + ["--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The README's first command: eight tunes from the shipped model."""
    out = tmp_path_factory.mktemp("generated")
    result = subprocess.run(
        [sys.executable, "-m", "melody", "generate", "-n", "8", "--seed", "7", "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_generate_writes_eight_abc_and_midi_files(generated):
    pieces = generated["pieces"]
    assert len(pieces) == 8
    assert len({p["abc"] for p in pieces}) == 8
    for piece in pieces:
        assert piece["title"] and piece["tokens"] > 0
        assert piece["abc"].endswith(".abc") and piece["midi"].endswith(".mid")


def test_generated_tunes_parse_and_their_midi_holds_at_least_16_notes(generated):
    for number, piece in enumerate(generated["pieces"], start=1):
        abc = open(piece["abc"]).read()
        assert abc.startswith(f"X:{number}\nT:")
        assert len(abc_to_stream(abc).flatten().notes) >= 16
        midi = pretty_midi.PrettyMIDI(piece["midi"])
        assert sum(len(i.notes) for i in midi.instruments) >= 16


@needs_abc2midi
def test_abc2midi_accepts_all_eight_with_every_bar_full(generated):
    from melody.formats.abc.abc2midi import abc2midi_complaints

    for piece in generated["pieces"]:
        assert piece["problems"] == []
        assert abc2midi_complaints(open(piece["abc"]).read()) == [], piece["abc"]  # not even a warning


def test_abc_tokenizer_train_evaluate_with_samples_and_corpus_check(tmp_path, capsys):
    run = tmp_path / "run"
    flags = ["--max-steps", "4", "--hidden-size", "16", *TINY_TRAIN_FLAGS, "--val-fraction", "0.2"]
    trained = run_json(capsys, ["train", str(FOLK_SAMPLE), "--tokenizer", "abc", "--out", str(run), *flags])
    corpus = trained["corpus"]
    assert corpus["clean"] and corpus["unclean"] > 0  # the sample holds tunes with short bars
    assert corpus["train_pieces"] + corpus["val_pieces"] + corpus["unclean"] + corpus["untokenizable"] == 60
    report = tmp_path / "reports" / "evaluation.html"
    scored = run_json(
        capsys, ["evaluate", str(run), str(FOLK_SAMPLE), "--samples", "3", "--seed", "1", "--html", str(report)]
    )
    assert scored["tokenizer"] == "abc" and scored["bits_per_char"] < scored["bits_per_token"]
    assert scored["ngram_bits_per_char"] > 0
    samples = scored["samples"]
    assert samples["count"] == 3 and len(samples["tunes"]) == 3 and samples["checker_pass"] == 1.0
    assert 0 <= samples["copy_8_bars"] <= samples["copy_4_bars"] <= 1
    if shutil.which("abc2midi"):
        assert samples["abc2midi_silent"] <= samples["abc2midi_pass"] == 1.0
    assert set(samples["music"]["statistics"]) >= {"pitch_class_entropy", "bars", "key", "form", "ends_on_tonic"}
    page = report.read_text(encoding="utf-8")
    charts = sum("histogram" in row for row in samples["music"]["statistics"].values())
    assert scored["html"] == str(report) and page.startswith("<!doctype html>")
    assert page.count("<svg") >= charts + 3  # a chart per number, sheet music for every tune
    for tune in samples["tunes"]:
        assert tune["title"] in page and html.escape(tune["abc"]) in page
    check = run_json(capsys, ["corpus", str(FOLK_SAMPLE), "--check"])["check"]
    assert check["tunes"] == 60 and 0 < check["clean"] < 60
    assert check["files"][0]["clean_share"] == pytest.approx(check["clean"] / 60)


def test_generate_never_overwrites_unless_forced(tmp_path, capsys):
    argv = ["generate", "-n", "2", "--seed", "3", "--out", str(tmp_path)]
    first = run_json(capsys, argv)["pieces"]
    second = run_json(capsys, argv)["pieces"]
    assert {p["abc"] for p in first}.isdisjoint(p["abc"] for p in second)
    forced = run_json(capsys, argv + ["--force"])["pieces"]
    assert [p["abc"] for p in forced] == [p["abc"] for p in first]
    assert len(list(tmp_path.iterdir())) == 8


def test_generate_with_key_meter_and_title(tmp_path, capsys):
    pieces = run_json(
        capsys,
        [
            "generate",
            "-n",
            "2",
            "--seed",
            "5",
            "--out",
            str(tmp_path),
            "--key",
            "D",
            "--meter",
            "6/8",
            "--title",
            "My Jig",
        ],
    )["pieces"]
    for piece, title in zip(pieces, ["My Jig", "My Jig No. 2"]):
        header = open(piece["abc"]).read().split("\n")
        assert header[1] == f"T:{title}" and "M:6/8" in header and "K:D" in header
    assert pieces[0]["abc"].endswith("my-jig.abc") and pieces[1]["abc"].endswith("my-jig-no-2.abc")


def test_train_evaluate_and_corpus_commands_report_json(tmp_path, capsys):
    run = tmp_path / "run"
    trained = run_json(
        capsys,
        [
            "train",
            str(FOLK_SAMPLE),
            "--out",
            str(run),
            "--max-steps",
            "6",
            "--hidden-size",
            "16",
            *TINY_TRAIN_FLAGS,
            "--val-fraction",
            "0.2",
        ],
    )
    for key in ("run_dir", "checkpoint", "steps", "tokens_per_second", "val_bits_per_token"):
        assert trained[key] is not None, key
    assert trained["steps"] == 6
    scored = run_json(capsys, ["evaluate", str(run), str(FOLK_SAMPLE)])
    assert scored["bits_per_token"] == pytest.approx(trained["val_bits_per_token"], rel=0.02)
    assert scored["bits_per_char"] > 0 and scored["pieces"] > 0
    summary = run_json(capsys, ["corpus", str(FOLK_SAMPLE)])
    assert summary["pieces"] == 60 and summary["meters"]


def test_bad_input_is_one_line_and_exit_one(tmp_path, capsys):
    assert main(["generate", "--model", str(tmp_path / "missing.safetensors")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "missing.safetensors" in err and "Traceback" not in err
    assert main(["train", str(tmp_path / "nowhere")]) == 1
    assert "nowhere" in capsys.readouterr().err


def test_help_lists_commands_with_examples():
    result = subprocess.run([sys.executable, "-m", "melody", "generate", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "examples:" in result.stdout and "--temperature" in result.stdout


def test_generate_with_a_key_alone(tmp_path, capsys):
    pieces = run_json(capsys, ["generate", "-n", "2", "--seed", "4", "--out", str(tmp_path), "--key", "Dmix"])["pieces"]
    assert [p["key"] for p in pieces] == ["Dmix", "Dmix"] and all(not p["problems"] for p in pieces)


def test_version_and_suggestions_for_mistyped_commands_and_flags(capsys):
    from melody import __version__

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["genrate"])
    assert exited.value.code == 2 and "did you mean generate?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["generate", "--temprature", "0.8"])
    err = capsys.readouterr().err
    assert "melody generate: error" in err and "did you mean --temperature?" in err
    assert "usage: melody generate" in err  # the command's own usage, not the top level's


def test_doctor_names_the_missing_piece(monkeypatch):
    from melody.audio import doctor

    monkeypatch.setattr(doctor, "_module", lambda name: name != "sounddevice")
    assert "pip install sounddevice" in doctor._audio_advice()
    monkeypatch.setattr(doctor, "_library", lambda name: False)
    monkeypatch.setattr(doctor, "_module", lambda name: True)
    assert doctor._fluidsynth_advice().startswith("apt-get install fluidsynth")
    assert "Windows" in doctor._fluidsynth_advice() and "brew" in doctor.PORTAUDIO
