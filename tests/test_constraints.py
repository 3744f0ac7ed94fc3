"""Constrained sampling: whatever the network says, every tune it finishes has full bars."""

import subprocess

import numpy as np
import pytest

from melody.formats.abc.state import check_tokens
from melody.formats.abc.text import read_abc_file
from melody.network.checkpoint import Model
from melody.network.model import ModelConfig, SequenceModel
from melody.sampling.abc_mask import Constraint
from melody.sampling.pieces import sample
from melody.sampling.sampler import SampleConfig, sample_ids
from melody.sampling.tune_rules import StrictTune, strict_problems
from melody.tokenizers.abc_tokens import AbcTokenizer
from tests.conftest import FOLK_SAMPLE, needs_abc2midi


@pytest.fixture(scope="module")
def untrained_abc_model():
    """Random weights: the worst case for well-formedness, so the constraint alone must do it."""
    import torch

    tunes, _ = read_abc_file(FOLK_SAMPLE)
    tokenizer = AbcTokenizer().fit([tune.text for tune in tunes])
    torch.manual_seed(0)
    return Model(SequenceModel(ModelConfig(len(tokenizer), "lstm", 8, 16, 1)), tokenizer)


class Masked:
    """A StrictTune fed token by token, and the tokens the constraint's mask allows next."""

    def __init__(self, vocab: list[str], min_bars: int = 1):
        self.vocab, self.constraint, self.state = vocab, Constraint(vocab, min_bars=min_bars), StrictTune()

    def feed(self, *tokens: str) -> "Masked":
        for token in tokens:
            self.state.feed(token)
        return self

    def allowed(self) -> set[str]:
        return {self.vocab[i] for i in np.flatnonzero(self.constraint.mask(self.state))}


def test_sampled_tunes_have_full_bars(untrained_abc_model):
    model = untrained_abc_model
    rows = sample_ids(model, SampleConfig(count=12, seed=1, max_tokens=600))
    finished = [row for row in rows if row[-1] == model.tokenizer.eos_id]
    assert len(finished) >= 6
    for row in finished:
        tokens = [model.tokenizer.vocab[i] for i in row[:-1]]
        assert strict_problems(tokens) == []
        assert sum(token in ("|", "||", ":|", "::", "|]", "|:") for token in tokens) >= 7


def test_unconstrained_sampling_breaks_bars(untrained_abc_model):
    """The same network without the constraint: the check above is not vacuous."""
    model = untrained_abc_model
    rows = sample_ids(model, SampleConfig(count=12, seed=1, max_tokens=200, constrained=False))
    assert any(check_tokens([model.tokenizer.vocab[i] for i in row if i >= 3]) for row in rows)


def test_masks_follow_the_bar():
    vocab = ["<pad>", "<bos>", "<eos>", "M:2/4", "L:1/8", "K:G", "G", "A", "2", "4", "|", "|]", ":|", "|:"]
    tune = Masked(vocab)
    assert tune.allowed() == {"M:2/4"}
    tune.feed("M:2/4", "L:1/8", "K:G")
    assert "|" not in tune.allowed() and "G" in tune.allowed()  # no bar line before any note
    tune.feed("G", "2")  # half the bar: notes, or a bar line that makes it an anacrusis
    assert "<eos>" not in tune.allowed() and "|" in tune.allowed() and ":|" not in tune.allowed()
    tune.feed("A")
    assert "2" in tune.allowed() and "4" not in tune.allowed()  # A4 would overflow the bar
    tune.feed("2")
    assert {"|", "<eos>"} <= tune.allowed() and "G" not in tune.allowed()  # full: the bar must end


@needs_abc2midi
def test_generated_abc_passes_abc2midi_without_a_warning(untrained_abc_model):
    """Random weights write grace notes and rolls on short notes, odd repeats and every bar line."""
    from melody.formats.abc.abc2midi import abc2midi_complaints

    (result,) = sample(untrained_abc_model, SampleConfig(count=8, seed=2, max_tokens=600))
    pieces = result.pieces
    for piece in pieces:
        assert abc2midi_complaints(piece.abc) == [], piece.abc  # no Error, and not even a Warning
        assert piece.problems == [] or "unfinished" in piece.problems[-1]


def test_a_long_tune_ends_at_the_first_chance():
    vocab = ["<pad>", "<bos>", "<eos>", "M:2/4", "L:1/8", "K:G", "G", "4", "|", "|]"]
    constraint = Constraint(vocab, min_bars=8, max_bars=10)
    state = StrictTune()
    for token in ["M:2/4", "L:1/8", "K:G"] + ["G", "4", "|"] * 10 + ["G", "4"]:
        state.feed(token)
    assert {vocab[i] for i in np.flatnonzero(constraint.mask(state))} == {"|]", "<eos>"}


def test_cached_masks_never_end_a_tune_too_early():
    """Masks are cached by state; the bar count must be part of that state up to min_bars."""
    vocab = ["<pad>", "<bos>", "<eos>", "M:2/4", "L:1/8", "K:G", "G", "4", "|", "|]"]
    constraint = Constraint(vocab, min_bars=4)
    late, early = StrictTune(), StrictTune()
    for token in ["M:2/4", "L:1/8", "K:G"] + ["G", "4", "|"] * 3 + ["G", "4"]:
        late.feed(token)
    for token in ["M:2/4", "L:1/8", "K:G"] + ["G", "4", "|"] + ["G", "4"]:
        early.feed(token)
    assert constraint.mask(late)[2] and not constraint.mask(early)[2]


FOLK_FORM = "T:a\nM:6/8\nL:1/8\nK:D\nA|d2e f2g|a3 a2:|f|:g2f e2d|c3 d3|g2f e2d|c3 d3:|\n"


def test_a_part_repeating_to_the_start_closes_short_and_the_b_part_opens_with_the_pickup():
    """The commonest folk form: the A part's :| replays the anacrusis, so its last bar is short by
    it, and the B part opens with a pickup of that length and |: (abc2midi carries the time over)."""
    from melody.formats.abc.lexer import tune_tokens

    assert strict_problems(list(tune_tokens(FOLK_FORM))) == []
    no_pickup = FOLK_FORM.replace(":|f|:", ":|")
    assert "pickup into the next section" in strict_problems(list(tune_tokens(no_pickup)))[0]
    plain_bar = FOLK_FORM.replace(":|f|:", ":|f|")
    assert "must open the next repeat" in strict_problems(list(tune_tokens(plain_bar)))[0]

    vocab = ["<pad>", "<bos>", "<eos>", "M:6/8", "L:1/8", "K:D", "A", "d", "f", "2", "3", "|", ":|", "|]", "|:"]
    tune = Masked(vocab).feed("M:6/8", "L:1/8", "K:D", "A", "|", "d", "3", "d", "2")
    assert ":|" in tune.allowed() and "|" not in tune.allowed()  # 5/8 + the 1/8 anacrusis: back to the start
    tune.feed("d")
    assert ":|" not in tune.allowed() and "|" in tune.allowed()  # a full bar would replay the anacrusis into it
    tune.feed("|", "d", "3", "d", "2", ":|")
    assert tune.allowed() == {"A", "d", "f", "|:", "<eos>"}  # the pickup (one eighth), |: before it, or the end
    tune.feed("f")
    assert tune.allowed() == {"|:"}


# How most books write it: the B part's |: before its pickup, so its :| goes back to the pickup
# and its last bar is short by it, as the A part's is.
PICKUP_INSIDE = "T:a\nM:6/8\nL:1/8\nK:D\nA|d2e f2g|a3 a2:|\n|:f|g2f e2d|c3 d2:|\n"


def test_a_b_part_opening_with_its_repeat_before_the_pickup_closes_short_too():
    from melody.formats.abc.lexer import tune_tokens

    assert strict_problems(list(tune_tokens(PICKUP_INSIDE))) == []
    full_bar = PICKUP_INSIDE.replace("c3 d2:|", "c3 d3:|")
    assert "goes back to the part's pickup" in strict_problems(list(tune_tokens(full_bar)))[0]

    vocab = ["<pad>", "<bos>", "<eos>", "M:6/8", "L:1/8", "K:D", "A", "d", "f", "2", "3", "|", ":|", "|]", "|:"]
    tune = Masked(vocab).feed("M:6/8", "L:1/8", "K:D", "A", "|", "d", "3", "d", "2", ":|", "|:", "f")
    assert tune.allowed() == {"|"}  # the pickup inside the repeat, closed by a plain bar line
    tune.feed("|", "d", "3", "d", "2")
    assert ":|" in tune.allowed() and "|" not in tune.allowed()  # short by the pickup: back to it
    tune.feed("d")
    assert ":|" not in tune.allowed() and "|" in tune.allowed()  # a full bar would replay the pickup into it


@needs_abc2midi
@pytest.mark.parametrize("tune", [FOLK_FORM, PICKUP_INSIDE])
def test_that_folk_form_passes_abc2midi_without_a_bar_warning(tmp_path, tune):
    path = tmp_path / "form.abc"
    path.write_text("X:1\n" + tune)
    result = subprocess.run(["abc2midi", str(path), "-c"], capture_output=True, text=True, timeout=60)
    assert "Warning" not in result.stdout + result.stderr and "Error" not in result.stdout + result.stderr


# abc2midi gives a grace note a quarter of its written length, taken from the next note, and warns
# "Grace sequence exceeds host note" (cutting the grace notes off) when that is not shorter. It
# plays a roll (~) as grace notes too, and cuts them on a note written 1/4 unit long or shorter.
GRACE_HOSTS = {  # bar (2/4, L:1/8) -> whether abc2midi cuts the grace notes
    "{gfed}d d3": True,
    "{gfe}d d3": False,
    "{gfed}d2 d2": False,
    "{gf}d/2 d/2d3": True,
    "{g/f/}d/2 d/2d3": False,
    "{gf}d<e d2": True,
    "{gfed}d>e d2": False,
    "{gfed}[df] d3": True,
    "{gfed}[d2f2] d2": False,
    "~d/4 d/4 d/2 d3": True,
    "~d/8 d/8 d3/4 d3": True,
    "~d3/8 d/8 d/2 d3": False,
    "~d/2 d/2 d3": False,
    "~d d3": False,
}


@pytest.mark.parametrize("bar", GRACE_HOSTS)
def test_grace_notes_must_be_shorter_than_their_host_as_abc2midi_reads_them(bar):
    from melody.formats.abc.lexer import tune_tokens

    problems = strict_problems(list(tune_tokens(f"M:2/4\nL:1/8\nK:D\n{bar}|\n")))
    assert bool(problems) == GRACE_HOSTS[bar], problems
    assert check_tokens(list(tune_tokens(f"M:2/4\nL:1/8\nK:D\n{bar}|\n"))) == []  # lenient: corpus unchanged


@needs_abc2midi
def test_the_grace_rule_agrees_with_abc2midi():
    from melody.formats.abc.abc2midi import abc2midi_complaints

    for bar, cut in GRACE_HOSTS.items():
        complaints = abc2midi_complaints(f"X:1\nM:2/4\nL:1/8\nK:D\n{bar}|\n")
        assert any("Grace sequence exceeds host note" in line for line in complaints) == cut, bar


def test_masks_keep_grace_notes_shorter_than_a_host_that_fits_the_bar():
    vocab = ["<pad>", "<bos>", "<eos>", "M:2/4", "L:1/8", "K:D", "d", "2", "3", "/2", ">", "<", "|", "{", "}"]
    tune = Masked(vocab).feed("M:2/4", "L:1/8", "K:D", "d", "2", "{", "d", "d", "d")
    assert tune.allowed() == {"d", "}"}  # two units left: a fourth grace note still leaves a host of 2
    tune.feed("d")
    assert tune.allowed() == {"}"}
    tune.feed("}", "d")
    assert tune.allowed() == {"2", ">"}  # a host of one unit is as long as four grace notes: lengthen it
    tune.feed("2")
    assert "<" not in tune.allowed() and "|" in tune.allowed()

    tune = Masked(vocab).feed("M:2/4", "L:1/8", "K:D", "d", "3", "{", "d", "d", "d")
    assert tune.allowed() == {"}"}  # one unit left: at most three grace notes lead into it


def test_masks_give_a_rolled_note_room_for_its_roll():
    vocab = ["<pad>", "<bos>", "<eos>", "M:2/4", "L:1/8", "K:D", "d", "3", "/2", "/4", "~", "|"]
    tune = Masked(vocab).feed("M:2/4", "L:1/8", "K:D", "d", "3", "~", "d")
    assert "/2" in tune.allowed() and "/4" not in tune.allowed()
    tune.feed("/2", "d", "/4")
    assert "~" not in tune.allowed()  # a quarter unit left: no note there is long enough to roll


def test_a_first_ending_closes_within_four_bars():
    from melody.formats.abc.lexer import tune_tokens
    from melody.sampling.tune_rules import MAX_ENDING_BARS

    def tune(ending_bars: int) -> list[str]:
        body = "|:" + "d4|" * 8 + "[1 " + "c4|" * (ending_bars - 1) + "c4:|[2 B4|]"
        return list(tune_tokens(f"M:2/4\nL:1/8\nK:G\n{body}\n"))

    assert strict_problems(tune(MAX_ENDING_BARS)) == []
    assert "first ending longer than 4 bars" in " ".join(strict_problems(tune(MAX_ENDING_BARS + 1)))
    assert check_tokens(tune(MAX_ENDING_BARS + 1)) == []  # lenient: the corpus keeps its few long ones

    vocab = ["<pad>", "<bos>", "<eos>", "M:2/4", "L:1/8", "K:G", "d", "4", "|", ":|", "|:", "[1"]
    tune = Masked(vocab).feed("M:2/4", "L:1/8", "K:G", "|:", "d", "4", "|", "[1")
    tune.feed(*["d", "4", "|"] * (MAX_ENDING_BARS - 1), "d", "4")
    assert tune.allowed() == {":|"}


def test_a_free_meter_tune_may_end_before_min_bars():
    """Most M:none tunes mark a few phrases with bar lines, not eight bars; a metered tune must
    still reach min_bars."""
    vocab = ["<pad>", "<bos>", "<eos>", "M:none", "M:2/4", "L:1/8", "K:G", "d", "4", "|", "|]"]
    for meter, can_end in (("M:none", True), ("M:2/4", False)):
        allowed = Masked(vocab, min_bars=8).feed(meter, "L:1/8", "K:G", "d", "4", "|", "d", "4").allowed()
        assert ("|]" in allowed and "<eos>" in allowed) == can_end, meter


def test_a_tuplet_note_in_a_cadence_bar_takes_no_length_of_its_own():
    """abc2midi warns of a tuplet whose notes differ in length; the cadence's length rules must not
    give a tuplet note one."""
    from melody.music.tunes import FormPlan

    vocab = ["<pad>", "<bos>", "<eos>", "M:2/4", "L:1/8", "K:D", "d", "e", "2", "/2", "3/2", "(3", "|", "|]"]
    tune = Masked(vocab)
    tune.state.form = FormPlan((("A", False),), part_bars=2)
    tune.feed("M:2/4", "L:1/8", "K:D", "d", "2", "d", "2", "|", "d", "2", "(3", "e", "e")
    assert not {"2", "/2", "3/2"} & tune.allowed()  # less than a unit left, and not yet the tonic


@needs_abc2midi
def test_a_swung_hornpipe_takes_no_grace_notes_right_after_a_tuplet():
    """abc2midi swings a hornpipe's pairs itself and gives up on grace notes that follow an
    off-beat tuplet ("Cannot apply broken rhythm"); a reel may have them there."""
    from melody.formats.abc.abc2midi import abc2midi_complaints

    body = ["A", "(3", "B", "c", "d"]
    vocab = ["<pad>", "<bos>", "<eos>", "R:hornpipe", "R:reel", "M:C", "L:1/8", "K:D", "{", "}", "G", "2"] + body
    assert "{" not in Masked(vocab).feed("R:hornpipe", "M:C", "L:1/8", "K:D", *body).allowed()
    assert "{" in Masked(vocab).feed("R:reel", "M:C", "L:1/8", "K:D", *body).allowed()
    tune = "X:1\nT:t\nR:hornpipe\nM:C\nL:1/8\nK:D\nA(3Bcd{A}GFGAB|]\n"
    assert abc2midi_complaints(tune) and not abc2midi_complaints(tune.replace("{A}", ""))


@needs_abc2midi
def test_a_swung_hornpipe_writes_broken_rhythm_only_on_the_pairs_abc2midi_swings():
    """abc2midi swings a hornpipe's eighths in pairs from each beat of 4/4 (from each eighth of 2/4,
    its sixteenths); a broken rhythm written there is the same pair dotted, one begun off the beat
    meets a note its swing has already moved ("Cannot apply broken rhythm")."""
    from melody.formats.abc.abc2midi import abc2midi_complaints

    vocab = ["<pad>", "<bos>", "<eos>", "R:hornpipe", "R:reel", "M:C", "M:C|", "M:2/4", "L:1/8", "K:D"]
    vocab += ["A", "B", "c", "/2", ">", "|"]
    for meter in ("M:C", "M:C|"):
        assert ">" in Masked(vocab).feed("R:hornpipe", meter, "L:1/8", "K:D", "A").allowed()
        assert ">" not in Masked(vocab).feed("R:hornpipe", meter, "L:1/8", "K:D", "A", "B").allowed()
        assert ">" in Masked(vocab).feed("R:hornpipe", meter, "L:1/8", "K:D", "A", "B", "c").allowed()
    assert ">" in Masked(vocab).feed("R:hornpipe", "M:2/4", "L:1/8", "K:D", "A", "/2", "B", "/2", "c").allowed()
    off_pair = ("A", "/2", "B", "/2", "c", "/2", "B", "/2")
    assert ">" not in Masked(vocab).feed("R:hornpipe", "M:2/4", "L:1/8", "K:D", *off_pair).allowed()
    assert ">" in Masked(vocab).feed("R:reel", "M:C", "L:1/8", "K:D", "A", "B").allowed()
    tune = "X:1\nT:t\nR:hornpipe\nM:C\nL:1/8\nK:D\nA>Bc>d AB>cd|]\n"
    assert abc2midi_complaints(tune) and not abc2midi_complaints(tune.replace("AB>cd", "A>Bc>d"))


def test_a_cadence_bar_dots_a_pair_only_where_it_leaves_the_tonic_its_hold():
    """Books close parts on dotted pairs (`B>GA>F G2`): in a part's last bar a broken rhythm may
    come while the pair leaves the closing tonic the time the plan holds it (two units here)."""
    from fractions import Fraction

    from melody.music.tunes import FormPlan

    vocab = ["<pad>", "<bos>", "<eos>", "M:C", "L:1/8", "K:D", "B", "A", "d", "2", ">", "<", "|", "|]"]

    def cadence_bar(*tokens: str) -> set[str]:
        tune = Masked(vocab)
        tune.state.form = FormPlan((("A", False),), part_bars=2, last_units=Fraction(2))
        return tune.feed("M:C", "L:1/8", "K:D", "d", "2", "d", "2", "d", "2", "d", "2", "|", *tokens).allowed()

    assert {">", "<"} <= cadence_bar("B")
    assert ">" in cadence_bar("B", "2", "A", "2", "B")  # B>A leaves two units: d2
    assert not {">", "<"} & cadence_bar("B", "2", "A", "2", "B", "A")  # a pair here would take the tonic's time
