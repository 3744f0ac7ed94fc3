import json
import shutil

import pytest
import torch

from melody.network.checkpoint import load_model, load_train_state
from melody.network.model import ModelConfig
from melody.training.data import prepare_corpus
from melody.training.train import TrainConfig, Trainer, resume_trainer
from tests.conftest import FOLK_SAMPLE


def test_loss_falls_on_real_tunes(tiny_run):
    losses = [r["loss"] for r in tiny_run["trainer"].history if "loss" in r]
    assert len(losses) == 12
    assert losses[-1] < 0.75 * losses[0]


def test_run_folder_holds_checkpoints_and_metrics(tiny_run):
    run_dir = tiny_run["run_dir"]
    for name in ("best.safetensors", "last.safetensors", "train_state.pt", "metrics.jsonl"):
        assert (run_dir / name).is_file()
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in records if "loss" in r]
    assert all(r["grad_norm"] > 0 and r["lr"] > 0 for r in steps)
    assert records[-1]["final"] is True and records[-1]["val_bits_per_token"] > 0


def test_learning_rate_warms_up_then_decays(tiny_run):
    trainer, peak = tiny_run["trainer"], tiny_run["trainer"].config.lr
    rates = []
    for step in range(60):
        trainer.step = step
        rates.append(trainer.learning_rate())
    trainer.step = 60
    assert rates[0] == pytest.approx(peak / 5) and rates[4] == pytest.approx(peak)  # 5 warm-up steps
    assert all(a >= b for a, b in zip(rates[5:], rates[6:])) and rates[-1] < 0.1 * peak


def test_summary_reports_what_the_cli_promises(tiny_run):
    result = tiny_run["result"]
    assert result["steps"] == 60
    assert result["tokens_per_second"] > 0
    assert 0 < result["val_bits_per_token"] < 7
    assert result["checkpoint"].endswith("best.safetensors")


def test_best_checkpoint_loads_and_knows_its_vocabulary(tiny_run):
    model = load_model(tiny_run["run_dir"])
    assert model.tokenizer.vocab == tiny_run["corpus"].tokenizer.vocab
    assert model.training["steps"] == 60


def test_resume_continues_from_the_saved_step(tiny_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run["run_dir"], run_dir)
    trainer = resume_trainer(tiny_run["corpus"], run_dir, max_steps=70)
    assert trainer.step == 60
    trainer.run()
    assert load_train_state(run_dir / "train_state.pt") is not None
    assert load_model(run_dir / "last.safetensors").training["steps"] == 70


def _small_trainer(run_dir, steps=8, progress=None):
    corpus = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1)
    config = TrainConfig(seq_len=16, batch_size=4, max_steps=steps, epochs=None, log_every=2, seed=5)
    return Trainer(corpus, ModelConfig(len(corpus.tokenizer), hidden_size=16, embed_dim=8), config, run_dir, progress)


def test_same_seed_same_weights(tmp_path):
    a, b = _small_trainer(tmp_path / "a"), _small_trainer(tmp_path / "b")
    a.run(), b.run()
    for (name, p), q in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(p, q), name


def test_interrupt_saves_a_checkpoint_before_leaving(tmp_path):
    def stop_at_step_four(event):
        if event["kind"] == "step" and event["step"] == 4:
            raise KeyboardInterrupt

    trainer = _small_trainer(tmp_path / "run", steps=50, progress=stop_at_step_four)
    with pytest.raises(KeyboardInterrupt):
        trainer.run()
    assert load_model(tmp_path / "run" / "last.safetensors").training["steps"] == 4


def test_resuming_with_another_corpus_is_refused(tiny_run, tmp_path):
    from melody.errors import ModelFileError

    other = tmp_path / "other.abc"
    other.write_text("X:1\nT:x\nM:4/4\nL:1/8\nK:G\nGABc dedB|GABc d4|\n")
    with pytest.raises(ModelFileError, match="another vocabulary"):
        resume_trainer(prepare_corpus([str(other)], val_fraction=0.0), tiny_run["run_dir"])


def test_warm_start_keeps_what_the_model_knew_token_by_token():
    import torch

    from melody.network.model import ModelConfig, SequenceModel
    from melody.training.train import warm_start

    torch.manual_seed(0)
    old_vocab, new_vocab = ["<pad>", "<bos>", "<eos>", "a", "b"], ["<pad>", "<bos>", "<eos>", "R:reel", "a", "b"]
    source = SequenceModel(ModelConfig(len(old_vocab), "lstm", 4, 8, 1))
    target = SequenceModel(ModelConfig(len(new_vocab), "lstm", 4, 8, 1))
    assert warm_start(target, source, old_vocab, new_vocab) == 5
    assert torch.equal(target.embed.weight[4], source.embed.weight[3])  # "a" moved one row down
    assert torch.equal(target.head.bias[5], source.head.bias[4])
    assert torch.equal(target.rnn.weight_hh_l0, source.rnn.weight_hh_l0)
