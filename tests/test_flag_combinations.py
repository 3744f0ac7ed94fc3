"""Every combination of generate's tune flags either says in one line why it cannot be, before
sampling, or writes tunes abc2midi reads without a word (the shipped folk model, real abc2midi).
The suite draws 40 combinations (a second each); MELODY_FLAG_COMBINATIONS=300 is the full run."""

import functools
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from melody.errors import MelodyError
from melody.music.tunes import TYPE_METERS
from melody.network import load_model
from tests.conftest import needs_abc2midi

COMBINATIONS = int(os.environ.get("MELODY_FLAG_COMBINATIONS", "40"))
TYPES = [None, "reel", "jig", "hornpipe", "polka", "waltz", "slip jig", "march", "strathspey", "slide", "song", "air"]
METERS = ["4/4", "6/8", "3/4", "2/4", "9/8", "12/8", "C", "C|", "3/2"]
KEYS = [None, "D", "G", "Ador", "Em", "Dmix", "Bb", "F#m", "Edor"]
FORMS = [None, "AABB", "ABAC", "AB", "ABC", "AABBCC", "free", "AAB"]
BODIES = ["A2B", "d2", "|:D2", "FA dA", "G4", "(3ABc d2", "e/2f/2"]


@st.composite
def flags(draw) -> dict:
    """generate's tune flags: mostly a meter the type is written in (or none), sometimes any meter
    (to be refused in a line); or, instead of type, meter and key, a primer with its own header."""
    shape = {"form": draw(st.sampled_from(FORMS)), "part_bars": draw(st.sampled_from([None, 4, 8, 16]))}
    if draw(st.integers(0, 4)) == 0:
        header = f"M:{draw(st.sampled_from(METERS))}\nL:1/8\nK:{draw(st.sampled_from(KEYS[1:]))}\n"
        return shape | {"primer": header + draw(st.sampled_from(BODIES))}
    tune_type = draw(st.sampled_from(TYPES))
    usual = list(TYPE_METERS.get(tune_type or "", METERS))
    meter = draw(st.sampled_from([None] + (METERS if draw(st.integers(0, 9)) == 0 else usual)))
    return shape | {"tune_type": tune_type, "meter": meter, "key": draw(st.sampled_from(KEYS))}


tried = {"tunes": 0, "refused": 0, "combinations": 0}


@functools.cache
def folk():
    return load_model("folk")


@pytest.fixture(scope="module")
def counted():
    yield tried
    print(tried)  # a property that only ever refuses proves nothing: most combinations must make tunes
    assert tried["tunes"] >= 0.6 * tried["combinations"], tried


@pytest.mark.slow
@needs_abc2midi
@settings(max_examples=COMBINATIONS, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(options=flags(), seed=st.integers(0, 10_000))
def test_every_flag_combination_refuses_in_one_line_or_writes_tunes_abc2midi_reads_silently(counted, options, seed):
    from melody.formats.abc.abc2midi import abc2midi_complaints
    from melody.sampling import SampleConfig
    from melody.sampling.pieces import sample

    counted["combinations"] += 1
    try:
        config = SampleConfig(count=1, seed=seed, **options)
        (result,) = sample(folk(), config)
    except MelodyError as error:
        assert "\n" not in str(error) and str(error).strip(), options
        counted["refused"] += 1
        return
    for piece in result.pieces:
        assert abc2midi_complaints(piece.abc) == [], (options, piece.abc)
        counted["tunes"] += 1


def test_a_type_and_a_meter_that_disagree_are_refused_in_a_line_naming_the_types_that_meter_suits():
    from melody.errors import ConfigError
    from melody.sampling import SampleConfig

    refused = r"a hornpipe is written in C\|, 4/4, C or 2/4, not 6/8: .* jig, march or set dance"
    with pytest.raises(ConfigError, match=refused):
        SampleConfig(tune_type="hornpipe", meter="6/8")
    SampleConfig(tune_type="hornpipe", meter="2/4")  # agree
    SampleConfig(tune_type="song", meter="6/8")  # a song is written in any meter


@needs_abc2midi
def test_a_hornpipe_the_model_writes_in_c_cut_is_printed_in_c_where_abc2midi_swings_it_silently(monkeypatch):
    """The books write their hornpipes in C|, where abc2midi refuses its swing with an error; the
    model writes them there too, and the tune is printed in the same bar as C; vary reads it back
    as the model wrote it."""
    import melody.sampling.vary as vary
    from melody.formats.abc.abc2midi import abc2midi_complaints
    from melody.formats.abc.text import normalize_tune
    from melody.sampling import SampleConfig
    from melody.sampling.pieces import sample

    respelled, with_meter = [], vary._with_meter
    monkeypatch.setattr(
        vary, "_with_meter", lambda tokens, *meters: respelled.append(meters) or with_meter(tokens, *meters)
    )
    (result,) = sample(folk(), SampleConfig(count=1, seed=3, tune_type="hornpipe", meter="C|"))
    (piece,) = result.pieces
    assert "\nM:C\n" in piece.abc and abc2midi_complaints(piece.abc) == []
    (refused,) = abc2midi_complaints(piece.abc.replace("\nM:C\n", "\nM:C|\n"))
    assert refused.endswith("Hornpipe must be in 2/4 or 4/4 time")
    (variant,) = vary.vary_tokens(folk(), normalize_tune(piece.abc.split("\n", 1)[1])[0], 2, 3)
    assert respelled == [("C", "C|"), ("C|", "C")]  # the model reads C|, the variant is printed in C
    assert "\nM:C\n" in variant.text("t") and abc2midi_complaints("X:1\n" + variant.text("t")) == []


def test_a_free_type_before_an_asked_meter_is_one_written_in_it():
    from melody.sampling import sampling_mask

    model = folk()
    mask = sampling_mask(model).header_mask("", type_required=True, meter_asked="6/8")
    types = {model.tokenizer.vocab[i] for i in mask.nonzero()[0]}
    assert "R:jig" in types and "R:song" in types and not {"R:hornpipe", "R:reel", "R:waltz"} & types


def test_tunes_that_share_a_title_are_numbered():
    from melody.sampling import SampleConfig
    from melody.sampling.pieces import sample

    (result,) = sample(folk(), SampleConfig(count=3, seed=1, title="Morning Jig", key="Dmix", meter="6/8"))
    assert [piece.title for piece in result.pieces] == ["Morning Jig", "Morning Jig No. 2", "Morning Jig No. 3"]
    assert all(f"T:{piece.title}\n" in piece.abc for piece in result.pieces)
