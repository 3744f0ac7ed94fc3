import pytest
import torch

from melody.errors import ConfigError
from melody.network.model import ModelConfig, SequenceModel, select_state


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_state_carried_steps_equal_full_sequence_scoring(cell):
    torch.manual_seed(0)
    model = SequenceModel(ModelConfig(vocab_size=20, cell=cell, embed_dim=8, hidden_size=16, num_layers=2)).eval()
    ids = torch.randint(0, 20, (3, 12))
    with torch.no_grad():
        full, _ = model(ids)  # (B, T, V)
        state, steps = None, []
        for t in range(ids.shape[1]):
            logits, state = model(ids[:, t : t + 1], state)
            steps.append(logits)
        chunked_a, state_a = model(ids[:, :5])
        chunked_b, _ = model(ids[:, 5:], state_a)
    assert full.shape == (3, 12, 20)
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(torch.cat([chunked_a, chunked_b], dim=1), full, rtol=1e-5, atol=1e-5)


def test_dropping_finished_rows_keeps_the_others_exact():
    torch.manual_seed(0)
    model = SequenceModel(ModelConfig(vocab_size=10, hidden_size=8, embed_dim=4)).eval()
    ids = torch.randint(0, 10, (4, 6))
    with torch.no_grad():
        full, _ = model(ids)
        _, state = model(ids[:, :3])
        rest, _ = model(ids[[0, 2], 3:], select_state(state, torch.tensor([0, 2])))
    torch.testing.assert_close(rest, full[[0, 2], 3:], rtol=1e-5, atol=1e-5)


def test_bad_configs_are_refused():
    with pytest.raises(ConfigError, match="unknown cell"):
        ModelConfig(vocab_size=10, cell="transformer")
    with pytest.raises(ConfigError):
        ModelConfig(vocab_size=10, dropout=1.5)
    assert ModelConfig.from_dict(ModelConfig(10).to_dict()) == ModelConfig(10)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_one_step_equals_forward_and_follows_weight_changes(cell):
    torch.manual_seed(1)
    model = SequenceModel(ModelConfig(vocab_size=15, cell=cell, embed_dim=6, hidden_size=10, num_layers=2)).eval()
    ids = torch.randint(0, 15, (3, 7))
    with torch.no_grad():
        full, _ = model(ids)
        state, steps = None, []
        for t in range(ids.shape[1]):
            logits, state = model.step(ids[:, t], state)
            steps.append(logits)
        torch.testing.assert_close(torch.stack(steps, dim=1), full, rtol=1e-5, atol=1e-5)
        for p in model.rnn.parameters():
            p.add_(0.1)  # the cached step weights must notice
        torch.testing.assert_close(model.step(ids[:, 0])[0], model(ids[:, :1])[0][:, 0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("onednn", [True, False])
@pytest.mark.parametrize("rows", [1, 2, 7, 64])
def test_packed_linear_computes_a_linear_layer(rows, onednn, monkeypatch):
    """The sampler's CPU kernel (oneDNN-packed where available, F.linear otherwise) at any batch."""
    from melody.network import cpu_matmul
    from melody.network.cpu_matmul import PackedLinear

    if not onednn:
        monkeypatch.setattr(cpu_matmul, "_onednn_ops", lambda: None)
    torch.manual_seed(0)
    weight, bias, x = torch.randn(96, 40), torch.randn(96), torch.randn(rows, 40)
    layer = PackedLinear(weight, bias)
    torch.testing.assert_close(layer(x), torch.nn.functional.linear(x, weight, bias))
    if onednn and torch.backends.mkldnn.is_available():
        assert layer.packed is not None  # the packed path really ran for rows > 1


def test_repeated_state_continues_like_a_batch_fed_together():
    """Pieces sharing their start are fed once at batch 1, then the state is copied to every row."""
    from melody.network.model import repeat_state

    torch.manual_seed(0)
    model = SequenceModel(ModelConfig(vocab_size=20, embed_dim=8, hidden_size=16, num_layers=2)).eval()
    start, next_ids = torch.randint(0, 20, (1, 6)), torch.randint(0, 20, (4,))
    with torch.no_grad():
        _, state = model(start)
        logits, _ = model.step(next_ids, repeat_state(state, 4))
        _, together = model(start.repeat(4, 1))
        expected, _ = model.step(next_ids, together)
    torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)


def test_scoring_a_held_out_stream_builds_no_graph_however_long_it_is():
    """Validation and `melody evaluate` score under no_grad: a graph carried across a stream would
    keep every window's activations, and memory would grow with the corpus."""
    import numpy as np

    from melody.network.model import stream_bits

    model = SequenceModel(ModelConfig(vocab_size=20, hidden_size=16, embed_dim=8, num_layers=1))
    seen = []
    model.register_forward_hook(lambda module, inputs, output: seen.append(output[0].requires_grad))
    stream = np.random.default_rng(0).integers(0, 20, size=20_000)
    bits, count = stream_bits(model, stream, batch_size=4, seq_len=64, device="cpu")
    assert seen and not any(seen) and count > 19_000 and bits > 0
    assert model.training  # left as it was found
