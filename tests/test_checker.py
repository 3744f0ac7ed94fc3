"""The bar-by-bar checker: every bar must fit the meter (anacrusis and endings aside), and where
abc2midi is installed our verdict agrees with it."""

import subprocess

from melody.formats.abc.checker import tune_problems
from melody.formats.abc.text import read_abc_file, tune_to_abc
from tests.conftest import FOLK_SAMPLE, needs_abc2midi


def test_full_bars_and_an_anacrusis_pass():
    assert tune_problems("T:a\nM:6/8\nL:1/8\nK:D\nA|d2e f2g|a3 a2A|d2e f2g|a3 a2|]\n") == []


def test_a_short_bar_is_reported_with_its_number():
    problems = tune_problems("T:a\nM:4/4\nL:1/8\nK:G\nGABc d2B2|c2A2 F3|G8|]\n")
    assert problems and problems[0].startswith("bar 2:")


def test_a_long_bar_is_reported():
    assert tune_problems("T:a\nM:3/4\nL:1/8\nK:G\nG2A2B2|c2A2F2G2|G6|]\n")


def test_a_section_pickup_completes_the_short_bar_before_it():
    text = "T:a\nM:6/8\nL:1/8\nK:D\nA|:d2e f2g|a3 a2:|\nf|:g2f e2d|c3 d2:|\n"
    assert tune_problems(text) == []


def test_tuplets_broken_rhythm_and_endings_count_right():
    text = "T:a\nM:2/4\nL:1/8\nK:G\n|:(3GAB c2|d>c B/A/G|1 A4:|2 G4|]\n"
    assert tune_problems(text) == []


def test_a_chord_counts_as_one_note_of_a_tuplet():
    assert tune_problems("T:a\nM:2/4\nL:1/8\nK:G\nd4|(3GB[GB] c2|d4|]\n") == []


def test_odd_tuplets_are_timed_exactly_and_reported_in_whole_notes():
    """Bars are timed in integer ticks; a quintuplet and a septuplet must still fill a bar exactly."""
    assert tune_problems("T:a\nM:1/4\nL:1/16\nK:G\n(5GABcd (7efgabc'd'|G4|G4|]\n") == []
    problems = tune_problems("T:a\nM:1/4\nL:1/16\nK:G\nG4|(5GABcd (7efgabc'd'e'|G4|]\n")
    assert problems == ["bar 2: 5/16 of a whole note where the meter wants 1/4 of a whole note"]


@needs_abc2midi
def test_a_quintuplet_in_compound_meter_takes_the_time_of_three_as_abc2midi_reads_it(tmp_path):
    """By the ABC standard (5 is 5 notes in the time of 3 in 6/8, of 2 in 2/4; 6/8 as a fraction is
    3/4, so the meter must be read from its text)."""
    head = "X:1\nT:a\nM:6/8\nL:1/8\nK:G\nG6|"
    full, long = head + "(5GABcd d3|G6|G6|]\n", head + "(5GABcd d4|G6|G6|]\n"
    assert tune_problems(full.split("\n", 1)[1]) == []
    problems = tune_problems(long.split("\n", 1)[1])
    assert problems == ["bar 2: 7/8 of a whole note where the meter wants 3/4 of a whole note"]
    verdicts = []
    for number, text in enumerate((full, long)):
        path = tmp_path / f"{number}.abc"
        path.write_text(text)
        result = subprocess.run(["abc2midi", str(path), "-c"], capture_output=True, text=True, timeout=60)
        verdicts.append("time units" in result.stdout + result.stderr)
    assert verdicts == [False, True]


def test_a_duration_that_does_not_divide_into_ticks_stays_exact():
    from fractions import Fraction

    from melody.formats.abc.syntax import TICKS, ticks
    from melody.formats.abc.syntax import times as _times

    assert ticks(Fraction(3, 8)) == 3 * TICKS // 8 and type(ticks(Fraction(3, 8))) is int
    eleventh = _times(TICKS, Fraction(1, 11))
    assert eleventh == Fraction(TICKS, 11) and _times(eleventh, Fraction(11)) == TICKS


def test_free_meter_is_not_counted():
    assert tune_problems("T:a\nM:none\nL:1/8\nK:G\nGABcdefg|ab|c'|]\n") == []


def test_tie_to_another_pitch_is_reported():
    assert any("tie" in p for p in tune_problems("T:a\nM:2/4\nL:1/8\nK:G\nG4-|A4|G4|G4|]\n"))


@needs_abc2midi
def test_tunes_we_pass_abc2midi_reads_without_errors(tmp_path):
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    clean = [tune for tune in tunes if not tune_problems(tune.text)]
    assert len(clean) >= 20
    complaints = 0
    for number, tune in enumerate(clean):
        path = tmp_path / f"{number}.abc"
        path.write_text(tune_to_abc(tune.text), encoding="utf-8")
        out = subprocess.run(["abc2midi", str(path), "-c"], capture_output=True, text=True, cwd=tmp_path).stdout
        complaints += any("Error" in line or "time units" in line for line in out.splitlines())
    assert complaints <= 0.1 * len(clean)
