import pytest

from melody.formats.abc.checker import abc_problems, tune_problems
from melody.formats.abc.text import read_abc_file, tune_to_abc
from tests.conftest import FOLK_SAMPLE, abc2midi_errors, needs_abc2midi

HEADER = "T:t\nM:4/4\nL:1/8\nK:G\n"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("T:t\nM:4/4\nL:1/8\nK:Gow\nGABc|\n", "unknown mode"),
        (HEADER + "GABc dádf|\n", "stray characters 'á'"),
        (HEADER + "GABc- dBAG|\n", "tie to d, not to the same pitch"),
        (HEADER + "GABc d2-|\n", "ends on a tie"),
        (HEADER + "|: GABc dBAG | GABc d4 |\n", "repeat opened and never closed"),
        (HEADER + "GA /B c4|\n", "length slash"),
        (HEADER + "GABc d,efg|\n", "comma after a lowercase note"),
        (HEADER + "GABc d2~\nB2 c2|\n", "decoration with no note"),
    ],
)
def test_each_kind_of_problem_is_found(text, fragment):
    assert any(fragment in problem for problem in tune_problems(text)), tune_problems(text)


@pytest.mark.parametrize("key", ["G", "Dmix", "Ador", "Em", "F#m", "Bb", "G major", "A minor", "none", "D dorian"])
def test_real_keys_pass(key):
    assert abc_problems(f"T:t\nM:4/4\nL:1/8\nK:{key}\n|: GABc dBAG :| GA-Ac d4 |]\n") == []


@needs_abc2midi
def test_no_false_alarms_on_real_tunes_that_abc2midi_accepts(tmp_path):
    tunes, _ = read_abc_file(FOLK_SAMPLE)
    for number, tune in enumerate(tunes):
        path = tmp_path / f"{number}.abc"
        path.write_text(tune_to_abc(tune.text))
        if not abc2midi_errors(path, tmp_path):
            assert abc_problems(tune.text) == [], tune.text
