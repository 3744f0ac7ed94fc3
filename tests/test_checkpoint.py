import json
import pickle

import pytest
import torch

from melody.errors import ModelFileError
from melody.network.checkpoint import load_model, load_train_state, resolve_model_path, save_model_file, shipped_models
from melody.network.model import ModelConfig, SequenceModel


def test_fp16_model_file_loads_back_close_to_the_original(tiny_run, tmp_path):
    model = load_model(tiny_run["run_dir"])
    path = model.save(tmp_path, "half.safetensors", dtype=torch.float16)
    again = load_model(path)
    assert again.config == model.config and again.tokenizer.vocab == model.tokenizer.vocab
    for p, q in zip(model.network.parameters(), again.network.parameters()):
        torch.testing.assert_close(p, q, atol=2e-3, rtol=1e-2)
    assert path.stat().st_size < (tiny_run["run_dir"] / "best.safetensors").stat().st_size * 0.6


def test_model_argument_takes_a_file_a_run_folder_or_a_shipped_name(tiny_run):
    assert resolve_model_path(tiny_run["run_dir"]).name == "best.safetensors"
    assert resolve_model_path(tiny_run["run_dir"] / "last.safetensors").name == "last.safetensors"
    assert "folk" in shipped_models()
    assert resolve_model_path("folk").name == "folk.safetensors"
    assert resolve_model_path(None) == resolve_model_path("folk")
    with pytest.raises(ModelFileError, match="shipped: .*folk"):
        resolve_model_path("no-such-model")


def _rewrite(tiny_run, tmp_path, change):
    model = load_model(tiny_run["run_dir"])
    data = (tiny_run["run_dir"] / "best.safetensors").read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    change(header)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path = tmp_path / "changed.safetensors"
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + data[8 + length :])
    return model, path


def test_wrong_format_version_is_refused(tiny_run, tmp_path):
    _, path = _rewrite(tiny_run, tmp_path, lambda h: h["__metadata__"].update(format_version="99"))
    with pytest.raises(ModelFileError, match="format_version '99'"):
        load_model(path)


def test_weights_that_do_not_fit_the_config_are_refused(tiny_run, tmp_path):
    def bigger(header):
        config = json.loads(header["__metadata__"]["model_config"])
        header["__metadata__"]["model_config"] = json.dumps(config | {"hidden_size": 99})

    _, path = _rewrite(tiny_run, tmp_path, bigger)
    with pytest.raises(ModelFileError, match="do not match the model config"):
        load_model(path)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_model_files_give_a_clean_error(tiny_run, tmp_path, damage):
    data = (tiny_run["run_dir"] / "best.safetensors").read_bytes()
    path = tmp_path / "bad.safetensors"
    path.write_bytes({"truncate": data[: len(data) // 2], "garbage": b"\xff" * 100, "empty": b""}[damage])
    with pytest.raises(ModelFileError, match="bad.safetensors"):
        load_model(path)


class _CreatesAFile:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_pickles_are_never_run_as_a_model_or_as_training_state(tmp_path):
    target = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"model": _CreatesAFile(str(target))}))
    with pytest.raises(ModelFileError):
        load_model(evil)
    with pytest.raises(ModelFileError, match="refused or unreadable"):
        load_train_state(evil)
    assert not target.exists()


def test_saved_file_has_config_vocabulary_and_version_in_metadata(tmp_path):
    from safetensors import safe_open

    from melody.tokenizers.char import CharTokenizer

    tok = CharTokenizer().fit(["ABC"])
    network = SequenceModel(ModelConfig(len(tok), hidden_size=8, embed_dim=4))
    save_model_file(tmp_path / "m.safetensors", network, tok, {"steps": 0})
    with safe_open(tmp_path / "m.safetensors", framework="pt") as handle:
        meta = handle.metadata()
    assert meta["format_version"] == "1"
    assert json.loads(meta["tokenizer"])["vocab"] == tok.vocab
    assert json.loads(meta["model_config"])["hidden_size"] == 8
