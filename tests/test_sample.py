import pytest
import torch

from melody.errors import ConfigError
from melody.network.checkpoint import load_model
from melody.sampling.plans import primer_segments
from melody.sampling.sampler import SampleConfig, filter_logits, sample_ids, warm_up_ids


@pytest.fixture(scope="module")
def model(tiny_run):
    return load_model(tiny_run["run_dir"])


def test_count_pieces_in_one_batch_each_ending_at_eos_or_the_cap(model):
    pieces = sample_ids(model, SampleConfig(count=5, seed=1, max_tokens=300))
    assert len(pieces) == 5
    for ids in pieces:
        assert ids[-1] == model.tokenizer.eos_id or len(ids) == 300
        assert model.tokenizer.eos_id not in ids[:-1]


def test_same_seed_same_pieces_other_seed_other_pieces(model):
    config = SampleConfig(count=3, seed=11, max_tokens=200)
    assert sample_ids(model, config) == sample_ids(model, config)
    assert sample_ids(model, config) != sample_ids(model, SampleConfig(count=3, seed=12, max_tokens=200))


def test_sampled_tokens_match_full_sequence_scoring(model):
    """Near-zero temperature makes sampling greedy: each token must be the argmax of the logits
    that scoring the whole sequence at once gives, so carried state loses nothing."""
    ids = sample_ids(model, SampleConfig(count=2, seed=3, temperature=1e-4, max_tokens=80))
    warm_up = warm_up_ids(model.tokenizer)
    assert warm_up[-1] == model.tokenizer.bos_id
    for row in ids:
        sequence = torch.tensor([warm_up + row])
        with torch.no_grad():
            logits, _ = model.network(sequence)  # (1, T, V)
        logits[..., [model.tokenizer.pad_id, model.tokenizer.bos_id]] = float("-inf")
        assert logits[0, len(warm_up) - 1 : -1].argmax(-1).tolist() == row


def test_chosen_header_fields_are_written_and_the_rest_comes_from_the_model(model):
    config = SampleConfig(count=3, seed=2, key="Dm", meter="6/8", title="Test Tune", max_tokens=200)
    for ids in sample_ids(model, config):
        lines = model.tokenizer.decode(ids).split("\n")
        assert lines[0] == "T:Test Tune" and lines[1] == "M:6/8"
        assert lines[2].startswith("L:") and lines[3] == "K:Dm"


def test_primer_text_starts_every_piece(model):
    primer = "T:Primed\nM:4/4\nL:1/8\nK:G\nGABc"
    for ids in sample_ids(model, SampleConfig(count=2, seed=4, primer=primer, max_tokens=100)):
        assert model.tokenizer.decode(ids).startswith(primer)


def test_primer_with_a_full_header_is_made_canonical():
    segments = primer_segments(SampleConfig(primer="X:3\nT: A tune\nR: reel\nM: 4/4\nK: G\nGABc|"))
    assert segments == [("T:A tune\nR:reel\nM:4/4\nL:1/8\nK:G\nGABc|\n", False)]
    with pytest.raises(ConfigError, match="not both"):
        primer_segments(SampleConfig(primer="M:4/4\nK:G\n", key="D"))


def test_top_k_and_top_p_keep_the_likeliest_tokens():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert torch.isfinite(filter_logits(logits, 1.0, 2, 1.0)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(filter_logits(logits, 1.0, 0, 0.7)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(filter_logits(logits, 1.0, 0, 0.4)).tolist() == [[True, False, False, False]]
    probs = torch.softmax(filter_logits(logits, 0.5, 0, 1.0), -1)
    assert probs[0, 0] > 0.5  # a lower temperature sharpens


@pytest.mark.parametrize("field, value", [("temperature", 0), ("count", 0), ("top_p", 1.5), ("key", "G\nX")])
def test_bad_sampling_options_are_refused(field, value):
    with pytest.raises(ConfigError):
        SampleConfig(**{field: value})


def test_draw_follows_the_distribution_and_never_picks_an_impossible_token():
    import torch

    from melody.sampling.sampler import draw

    probs = torch.tensor([[0.0, 0.5, 0.0, 0.3, 0.2, 0.0]]).repeat(20_000, 1)
    drawn = draw(probs, torch.Generator().manual_seed(0))
    counts = torch.bincount(drawn, minlength=6).float() / len(drawn)
    assert counts[[0, 2, 5]].sum() == 0
    torch.testing.assert_close(counts, probs[0], atol=0.015, rtol=0)


def test_draw_stays_on_a_possible_token_when_rounding_reaches_the_total(monkeypatch):
    import torch

    from melody.sampling.sampler import draw

    monkeypatch.setattr(torch, "rand", lambda *shape, **kw: torch.ones(*shape))  # the top of [0, 1)
    assert draw(torch.tensor([[0.25, 0.75, 0.0]]), torch.Generator()).tolist() == [1]
