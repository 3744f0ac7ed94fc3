"""Every command of README.md and of the tour in docs/ runs, so the documentation cannot rot.

The commands (lines that start with `melody `) are read from the pages themselves and run
through the CLI in a sandbox that holds the files they name (`tune.abc`, `song.mid`, `~/tunes/`...),
made from our fixtures. Only sizes change: training stops after 2 steps on a tiny network (the
sizes of `--init-from` and `--resume` runs aside), `--samples` judges 2 tunes, and the shipped
model is evaluated on a fixture file rather than all of folk. Training comes first and conversions
next, so the files later commands use exist, as they would for a reader who has followed along.
"""

import re
import shlex
import shutil
from pathlib import Path

import pytest

from melody.cli.program import main
from melody.formats.abc.checker import clean_tunes
from melody.formats.abc.text import read_abc_file
from tests.conftest import DATA, FOLK_SAMPLE, TINY_TRAIN_FLAGS

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "docs" / "tour.md", ROOT / "docs" / "midi.md"]
CLEAN_FAILURES = {"--port"}  # of play: no MIDI port here, so a one-line error is the right answer


def tour_commands() -> list[str]:
    """Each command once, in the order the pages give them."""
    lines = [line for page in PAGES for line in page.read_text(encoding="utf-8").splitlines()]
    commands = [re.sub(r"\s+# .*$", "", line).strip() for line in lines if line.startswith("melody ")]
    return list(dict.fromkeys(commands))


def sandbox(root: Path) -> dict[str, str]:
    """The files the tour names, and what its paths stand for here."""
    tunes, midi = root / "tunes", root / "midi"
    tunes.mkdir()
    midi.mkdir()
    shutil.copy(FOLK_SAMPLE, tunes / "book.abc")
    for name in ("bwv66.6", "bwv1.6"):
        shutil.copy(DATA / f"{name}.mid", midi / f"{name}.mid")
    shutil.copy(FOLK_SAMPLE, root / "book.abc")
    clean, _unclean = clean_tunes([tune.text for tune in read_abc_file(FOLK_SAMPLE)[0]])
    first_tune = "X:1\n" + clean[0]
    (root / "tune.abc").write_text(first_tune, encoding="utf-8")
    (root / "new_tunes.abc").write_text(first_tune, encoding="utf-8")
    (root / "my_start.abc").write_text("T:Start\nM:6/8\nL:1/8\nK:D\nA|d2e f2g|", encoding="utf-8")
    shutil.copy(DATA / "bwv66.6.mid", root / "song.mid")
    shutil.copy(DATA / "bwv10.7.mid", root / "start.mid")
    shutil.copytree(DATA / "songs", root / "songs")
    return {"~/tunes/": str(tunes), "~/midi/": str(midi), "~/songs/": str(root / "songs"), "chorales": str(midi)}


def runnable(command: str, places: dict[str, str]) -> list[str]:
    """The command's arguments, sized for a test (see the module's doc)."""
    words = shlex.split(command)[1:]
    if words[0] != "train":  # "chorales" names the built-in corpus to train, the shipped model elsewhere
        places = {name: place for name, place in places.items() if name.startswith("~")}
    words = [places.get(word, word) for word in words]
    if words[0] == "train":
        if "--max-minutes" in words:
            at = words.index("--max-minutes")
            words[at : at + 2] = []
        words += ["--max-steps", "2"]
        if "--resume" not in words and "--init-from" not in words:
            words += [*TINY_TRAIN_FLAGS, "--hidden-size", "16"]
    if words[0] == "generate" and "--seed" not in words:  # a 2-step model's luck must not decide the test
        words += ["--seed", "1"]
    if "--samples" in words:
        words[words.index("--samples") + 1] = "2"
    if words[:2] == ["evaluate", "folk"]:
        words.insert(2, str(FOLK_SAMPLE))
    return words


def test_the_changelog_names_the_version_pyproject_has():
    import tomllib

    root = Path(__file__).resolve().parent.parent
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    newest = re.search(r"^## (\S+) ", (root / "CHANGELOG.md").read_text(), flags=re.M)
    assert newest and newest.group(1) == version


def test_readme_has_a_tour():
    commands = tour_commands()
    assert len(commands) >= 30 and {c.split()[1] for c in commands} >= {"generate", "train", "play", "evaluate"}


@pytest.mark.slow
def test_every_tour_command_runs(tmp_path, monkeypatch, capsys):
    import melody.audio.preview as preview
    import melody.studio as studio

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(preview, "output_device", lambda: None)  # never make a sound in a test
    served = []  # `melody serve` runs until stopped: here it stops at the server (test_studio.py runs one)
    monkeypatch.setattr(studio, "serve", lambda host, port, models, device, ready: served.append((host, port, models)))
    places = sandbox(tmp_path)
    commands = tour_commands()
    order = sorted(commands, key=lambda c: (c.split()[1] != "train", c.split()[1] != "convert"))
    for command in order:
        argv = runnable(command, places)
        code = main(argv)
        err = capsys.readouterr().err
        if argv[0] == "play" and CLEAN_FAILURES & set(argv):
            assert code == 1 and "error" in err and "Traceback" not in err, command
        else:
            assert code == 0, f"{command}\n{err[-2000:]}"
    assert ("127.0.0.1", 8080, "runs/") in served


@pytest.mark.parametrize("line", ["melody play tune.mid --port x  # a comment", "melody doctor"])
def test_comments_are_not_arguments(line):
    assert "#" not in " ".join(runnable(re.sub(r"\s+# .*$", "", line), {}))


def _cold_corpus(kind: str, root: Path) -> str:
    """A corpus of one kind as a newcomer brings it: a folder of MusicXML (exported by a notation
    program: here music21's), of MIDI, of ABC, or the built-in chorales."""
    if kind == "chorales":
        return "chorales"
    folder = root / kind
    folder.mkdir()
    if kind == "musicxml":
        from music21 import corpus

        for name in ("bach/bwv66.6", "bach/bwv1.6", "bach/bwv846"):
            corpus.parse(name).write("musicxml", fp=str(folder / f"{name.split('/')[1]}.musicxml"))
    elif kind == "midi":
        for name in ("bwv66.6", "bwv1.6", "bwv10.7"):
            shutil.copy(DATA / f"{name}.mid", folder)
    else:
        shutil.copy(FOLK_SAMPLE, folder / "book.abc")
    return str(folder)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["musicxml", "chorales", "midi", "abc"])
def test_corpus_and_train_run_on_a_cold_cache(kind, tmp_path, capsys):
    """`melody corpus` and `melody train` on each kind of corpus, nothing cached (conftest gives each
    test an empty MELODY_CACHE): the first thing a newcomer runs."""
    corpus = _cold_corpus(kind, tmp_path)
    for argv in (
        ["corpus", corpus],
        ["train", corpus, "--out", str(tmp_path / "run"), "--max-steps", "2", *TINY_TRAIN_FLAGS, "--hidden-size", "16"],
    ):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 0 and "Traceback" not in err, f"{argv}\n{err[-2000:]}"
    assert (tmp_path / "run" / "last.safetensors").exists()
