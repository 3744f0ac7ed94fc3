"""Run folders: a training run lives in one folder (train_state.pt to carry it on, best.safetensors
and last.safetensors, metrics.jsonl). What a run folder is, starting one, carrying one on, and the
corpus a run remembers, decided here so every front end (the CLI, a notebook) gets the same rules."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from melody.errors import ConfigError
from melody.network.model import ModelConfig
from melody.training.config import TrainConfig
from melody.training.data import TokenizedCorpus
from melody.training.train import Trainer, resume_trainer, warm_start

RUN_FILES = ("train_state.pt", "best.safetensors", "last.safetensors")


def default_run_dir(corpus: list[str]) -> Path:
    """Where a run on `corpus` goes when no folder is named: runs/<the first source's name>."""
    return Path("runs") / Path(corpus[0]).name


def holds_a_run(run_dir: str | Path) -> bool:
    return any((Path(run_dir) / name).exists() for name in RUN_FILES)


def free_run_dir(run_dir: str | Path, force: bool = False) -> Path:
    """`run_dir`, when a new run may start there: one that holds a run is refused unless `force`."""
    run_dir = Path(run_dir)
    if holds_a_run(run_dir) and not force:
        raise ConfigError(
            f"{run_dir} already holds a trained run: `resume` {run_dir} carries it on, `force` starts it anew, "
            "`out` names another folder"
        )
    return run_dir


def recorded_corpus(run: str | Path) -> dict:
    """What a run was trained on, as `prepare_corpus` takes it: the corpus arguments, the tokenizer
    and its reading options. ConfigError when the run does not record them."""
    from melody.network.checkpoint import load_model

    model = load_model(run)
    recorded = model.training.get("corpus", {})
    if not recorded.get("arguments"):
        raise ConfigError(f"{run} does not record its corpus; name the `corpus` to carry it on with")
    return {
        "corpus": recorded["arguments"],
        "tokenizer": model.tokenizer.name,
        "clean": recorded.get("clean", True),
        "val_fraction": recorded.get("val_fraction", 0.05),
        "decorations": model.tokenizer.settings().get("decorations", True),
    }


def start_run(
    corpus: TokenizedCorpus,
    model_config: ModelConfig,
    config: TrainConfig,
    run_dir: str | Path,
    progress=None,
    force: bool = False,
) -> tuple[Trainer, int | None]:
    """A Trainer for a new run in `run_dir`, and how many tokens a model it starts from
    (`config.init_from`, whose sizes it keeps) carried over. A folder that holds a run is refused
    unless `force`, which starts its log anew."""
    run_dir = free_run_dir(run_dir, force)
    if force:
        (run_dir / "metrics.jsonl").unlink(missing_ok=True)  # a new run's log starts at step 0
    source = None
    if config.init_from:
        from melody.network.checkpoint import load_model

        source = load_model(config.init_from)
        sizes = source.config
        model_config = replace(
            model_config,
            cell=sizes.cell,
            embed_dim=sizes.embed_dim,
            hidden_size=sizes.hidden_size,
            num_layers=sizes.num_layers,
        )
        config = replace(config, init_from=source.path)
    trainer = Trainer(corpus, model_config, config, run_dir, progress)
    if source is None:
        return trainer, None
    return trainer, warm_start(trainer.model, source.network, source.tokenizer.vocab, corpus.tokenizer.vocab)


def resume_run(corpus: TokenizedCorpus, run_dir: str | Path, progress=None, **limits) -> Trainer:
    """A Trainer carrying a run on from its folder; `limits` (epochs, max_steps, max_minutes: minutes
    more than it has trained) replace the run's own where given."""
    return resume_trainer(corpus, run_dir, progress, **{name: v for name, v in limits.items() if v is not None})
