import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from melody.formats.midi import midi_to_score
from melody.music.score import Note, Score
from melody.tokenizers import tokenizer_from_dict
from melody.tokenizers.events import EventTokenizer
from tests.conftest import DATA

TOKENIZER = EventTokenizer()


@pytest.mark.parametrize("name", ["bwv66.6", "bwv1.6", "bwv10.7"])
@pytest.mark.parametrize("velocity", [True, False])
def test_real_chorales_round_trip_to_their_quantized_notes(name, velocity):
    tokenizer = EventTokenizer(velocity=velocity)
    score = midi_to_score(DATA / f"{name}.mid")
    back = tokenizer.decode(tokenizer.encode(score))
    assert back.notes == tokenizer.prepare(score).notes
    assert back.meter == score.meter and back.programs == score.programs


def test_triplets_and_sixteenths_both_survive():
    score = Score(
        (Note(0, 1 / 3, 60), Note(1 / 3, 2 / 3, 62), Note(2 / 3, 1, 64), Note(1, 1.25, 65), Note(1.25, 1.5, 67)),
        meter=(3, 4),
    )
    assert TOKENIZER.decode(TOKENIZER.encode(score)).notes == TOKENIZER.prepare(score).notes


def test_empty_bars_and_long_notes_keep_their_time():
    score = Score((Note(0, 1, 60), Note(9, 30, 62)))  # a rest of two bars, then a 21-beat note (capped at 16)
    back = TOKENIZER.decode(TOKENIZER.encode(score))
    assert [(n.start, n.end) for n in back.notes] == [(0, 1), (9, 25)]


def _ids(*tokens):
    return [TOKENIZER.index[t] for t in tokens]


def test_decoding_repairs_what_a_model_may_write():
    ids = _ids(
        "METER_3_4", "BAR", "POS_12", "PITCH_60", "DUR_7", "DUR_5", "POS_24", "PITCH_64", "BAR", "METER_2_4", "PITCH_67"
    )
    notes = TOKENIZER.decode(ids).notes
    # the second DUR has no pitch (ignored); PITCH_64 lasts to its bar's end; METER after the first BAR is ignored
    assert [(n.start, n.end, n.pitch) for n in notes] == [(1, 19 / 12, 60), (2, 3, 64), (3, 6, 67)]


@pytest.mark.slow
@settings(max_examples=1000, deadline=None)
@given(st.lists(st.integers(min_value=-5, max_value=len(TOKENIZER) + 5), max_size=200))
def test_any_id_sequence_decodes_without_error(ids):
    score = TOKENIZER.decode(ids)
    assert all(n.end > n.start and 0 <= n.pitch < 128 for n in score.notes)


def test_vocabulary_is_fixed_and_travels_through_a_dict():
    assert EventTokenizer().vocab == EventTokenizer().fit([]).vocab
    again = tokenizer_from_dict(EventTokenizer(velocity=False).to_dict())
    assert again.velocity is False and not any(t.startswith("VEL_") for t in again.vocab)


def test_the_key_is_a_header_token_that_moves_with_transposition():
    import numpy as np

    score = Score((Note(0, 1, 64), Note(1, 2, 67), Note(2, 4, 71)), key="Em")
    ids = TOKENIZER.encode(score)
    assert "KEY_4_minor" in [TOKENIZER.vocab[i] for i in ids]
    assert TOKENIZER.decode(ids).key == "Em"
    flat, offsets = np.array(ids), np.array([0, len(ids)])
    for seed in range(6):
        moved = [TOKENIZER.vocab[i] for i in TOKENIZER.transpose(flat, offsets, 5, seed)]
        shift = int(moved[moved.index("DUR_12") - 1][6:]) - 64  # the first pitch's move
        assert f"KEY_{(4 + shift) % 12}_minor" in moved


def test_a_model_from_before_key_tokens_still_encodes():
    old = EventTokenizer([t for t in TOKENIZER.vocab if not t.startswith("KEY_")])
    assert not old.keys and old.key_ids is None
    assert old.decode(old.encode(Score((Note(0, 1, 60),), key="G"))).notes[0].pitch == 60


def test_sampled_pieces_play_only_the_voices_their_header_declares():
    import torch

    from melody.network.checkpoint import Model
    from melody.network.model import ModelConfig, SequenceModel
    from melody.sampling.sampler import SampleConfig, sample_ids

    torch.manual_seed(0)
    network = SequenceModel(ModelConfig(len(TOKENIZER), "lstm", 8, 16, 1))
    with torch.no_grad():  # a network that loves the last voice and starts bars soon: left free, it
        network.head.bias[TOKENIZER.index["V_7"]] += 6.0  # plays voices its header never declared
        network.head.bias[TOKENIZER.index["BAR"]] += 5.0
    model = Model(network, TOKENIZER)

    def undeclared(constrained: bool) -> int:
        count = 0
        for ids in sample_ids(model, SampleConfig(count=8, seed=1, max_tokens=120, constrained=constrained)):
            tokens = [TOKENIZER.vocab[i] for i in ids]
            header = tokens[: tokens.index("BAR")] if "BAR" in tokens else tokens
            declared = max(1, sum(t.startswith("PROGRAM_") for t in header))
            count += any(int(t[2:]) >= declared for t in tokens if t.startswith("V_"))
            count += constrained and any(t.startswith("PROGRAM_") for t in tokens[len(header) :])
        return count

    assert undeclared(constrained=False) > 0 and undeclared(constrained=True) == 0
