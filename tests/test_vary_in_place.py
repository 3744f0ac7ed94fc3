"""`melody vary` edits the user's own tune in place: the varied bars' notes are written anew and every
other character (fields, parts, comments, chords, spacing, beamed groups, line breaks) is kept."""

from __future__ import annotations

import subprocess

from melody.cli.program import main
from melody.sampling.vary import bar_regions
from tests.conftest import DATA, needs_abc2midi

REEL = DATA / "session_reel.abc"  # as a public tunebook has it: P:, S:, Y:, % comments, "chords", e/2g/2


def test_bars_are_found_in_the_text_as_a_musician_counts_them():
    text = REEL.read_text()
    regions = [text[start:end] for start, end in bar_regions(text)]
    assert len(regions) == 16 and regions[0] == '"D"d2fd e/2g/2fed' and regions[7] == "d2f2 d2"
    assert regions[8] == "afdf afdf"  # the B part's pickup belongs to no bar


def _warnings(path, tmp_path) -> list[str]:
    done = subprocess.run(["abc2midi", str(path), "-o", str(tmp_path / "x.mid")], capture_output=True, text=True)
    return [
        line.split(":", 1)[-1]
        for line in (done.stdout + done.stderr).splitlines()
        if "Warning" in line or "Error" in line
    ]


@needs_abc2midi
def test_vary_keeps_every_line_outside_the_varied_bars(tmp_path):
    out = tmp_path / "out"
    assert main(["vary", str(REEL), "--bars", "5-8", "-n", "2", "--seed", "1", "--out", str(out)]) == 0
    original = REEL.read_text().splitlines()
    varied_line = next(i for i, line in enumerate(original) if line.startswith("dAFD"))  # bars 5-8
    for written in sorted(out.glob("*.abc")):
        lines = written.read_text().splitlines()
        assert len(lines) == len(original)
        assert [a for i, a in enumerate(lines) if i != varied_line] == [
            b for i, b in enumerate(original) if i != varied_line
        ]
        assert lines[varied_line] != original[varied_line] and lines[varied_line].endswith(":|")
        assert _warnings(written, tmp_path) == _warnings(REEL, tmp_path)  # abc2midi adds no complaint
