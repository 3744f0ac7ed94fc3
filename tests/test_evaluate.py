import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from melody.network.model import ModelConfig, SequenceModel, stream_bits

DIALECTS = Path(__file__).parent / "data" / "dialects.abc"


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


@pytest.mark.slow
def test_evaluate_on_a_tunebook_the_model_never_saw_scores_every_tune_and_checks_copies_against_its_training():
    from melody.evaluation.evaluate import evaluate_model
    from melody.formats.corpus import find_files
    from melody.network import load_model

    folk = load_model("folk")
    new = evaluate_model(folk, [str(DIALECTS)], samples=4, seed=1)
    assert new["split"] == "all" and new["pieces_in_training_data"] == 0
    listed = new["pieces"] + new.get("unclean_pieces", 0) + len(new["left_out"])
    assert listed == len(re.findall(r"^X:", DIALECTS.read_text(), re.M))  # every tune scored or listed
    assert new["copies_checked_against"] == "the model's training tunes" and "copy_4_bars" in new["samples"]
    assert new["ngram_bits_per_char"] > 0
    own_file = str(find_files("folk")[0])  # a file of the corpus the model was trained on
    own = evaluate_model(folk, [own_file])
    assert own["split"] == "all" and own["pieces_in_training_data"] >= 0.8 * own["pieces"]
