import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from melody.network.model import ModelConfig, SequenceModel, stream_bits


def test_stream_bits_with_carried_state_equal_one_full_pass():
    torch.manual_seed(0)
    model = SequenceModel(ModelConfig(vocab_size=12, hidden_size=16, embed_dim=8)).eval()
    stream = np.random.default_rng(0).integers(0, 12, size=300)
    bits, count = stream_bits(model, stream, batch_size=1, seq_len=7, device="cpu")
    ids = torch.from_numpy(stream).unsqueeze(0)
    with torch.no_grad():
        logits, _ = model(ids[:, :-1])
    nats = F.cross_entropy(logits[0], ids[0, 1:], reduction="sum").item()
    assert count == 299
    assert bits == pytest.approx(nats / math.log(2), rel=1e-5)


def test_a_uniform_model_needs_log2_of_the_vocabulary():
    model = SequenceModel(ModelConfig(vocab_size=16, hidden_size=8, embed_dim=4)).eval()
    torch.nn.init.zeros_(model.head.weight), torch.nn.init.zeros_(model.head.bias)
    bits, count = stream_bits(model, np.arange(1000) % 16, batch_size=4, seq_len=50, device="cpu")
    assert abs(bits / count - 4.0) < 1e-6
