"""melody's public Python API: load a model, generate and vary tunes, train, evaluate.

The CLI's `generate`, `vary` and `evaluate` and the studio's worker call it (`melody train` and
`train` share `start_run`), so a seed gives the same tunes from the terminal, the page and Python."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from melody.api.tunes import Tune, Tunes
from melody.errors import ConfigError


class Model:
    """A model to write tunes with (`load` one): `generate` new tunes, `vary` a tune's bars."""

    def __init__(self, inner):
        self.inner = inner  # the network, its tokenizer and its training record (network/checkpoint.py)

    @property
    def path(self) -> str | None:
        return self.inner.path

    @property
    def training(self) -> dict:
        """How it was trained: steps, minutes, held-out bits per token, the corpus."""
        return self.inner.training

    def __repr__(self) -> str:
        kind = "MIDI events" if self.kind == "score" else f"{self.inner.tokenizer.name} ABC"
        weights = sum(p.numel() for p in self.inner.network.parameters())
        return f"<melody.Model {self._name()}: {kind}, {weights:,} weights>"

    def _name(self) -> str:
        """A shipped model by its name (a saved notebook shows no folder of this machine), else its path."""
        from melody.network.checkpoint import SHIPPED_DIR

        if self.path is None:
            return "in memory"
        path = Path(self.path)
        return f"{path.stem} (shipped)" if path.parent.resolve() == SHIPPED_DIR.resolve() else str(path)

    def generate(
        self,
        n: int | None = None,
        *,
        type: str | None = None,  # noqa: A002 - the name a musician uses
        key: str | None = None,
        meter: str | None = None,
        form: str | None = None,
        part_bars: int | None = None,
        cadence: str | None = None,
        title: str | None = None,
        primer: str | None = None,
        seed: int | None = None,
        temperature: float | None = None,
        top_k: int | None = None,
        top_p: float | None = None,
        tracks: tuple[str, ...] | None = None,
        tempo: float | None = None,
        device: str = "cpu",
    ) -> Tunes:
        """`n` new tunes; every argument is the `melody generate` flag of the same name (left out:
        its default, as SampleConfig has it)."""
        config = _config(
            {"count": n, "temperature": temperature, "top_k": top_k, "top_p": top_p},
            tune_type=type,
            key=key,
            meter=meter,
            form=form,
            part_bars=part_bars,
            cadence=cadence,
            title=title,
            primer=primer,
            seed=seed,
            tracks=tuple(tracks) if tracks else None,
            tempo=tempo,
        )
        return self.sample(config, device)

    @property
    def kind(self) -> str:
        """What it writes: "abc" (ABC tunes) or "score" (MIDI events)."""
        return self.inner.tokenizer.piece_kind

    def primer_from_file(self, path: str | Path, text: str | None = None):
        """A primer file as this model continues it: (ABC text, None) for a model of ABC, with `text`
        after an ABC file's; (None, the Score) for a model of scores."""
        return self.inner.tokenizer.read_primer(Path(path), text)

    def sample(self, config, device: str = "cpu", progress=None) -> Tunes:
        """The tunes a SampleConfig asks for (what `generate` builds from its arguments), sampled as
        one batch; `progress(done, total)` hears as they finish."""
        from melody.sampling.pieces import sample

        (result,) = sample(self.inner, config, device, progress)
        return self._tunes(result)

    def stream(self, config, device: str = "cpu") -> Iterator[Tunes]:
        """The same tunes one at a time, each as soon as it is ready (tune i has seed `config.seed + i`)."""
        from melody.sampling.pieces import sample

        for result in sample(self.inner, config, device, one_at_a_time=True):
            yield self._tunes(result)

    def _tunes(self, result) -> Tunes:
        return Tunes(
            (
                Tune(p.abc, p.title, p.score, list(p.problems), p.copied_bars, self, self.kind, tokens=p.tokens)
                for p in result.pieces
            ),
            result.resampled,
            result.dropped,
        )

    def vary(
        self,
        tune: Tune | str,
        bars: tuple[int, int] = (5, 8),
        n: int = 1,
        candidates: int = 8,
        seed: int = 0,
        *,
        temperature: float | None = None,
        top_k: int | None = None,
        top_p: float | None = None,
        device: str = "cpu",
    ) -> Tunes:
        """Variants of `tune` (a Tune or ABC text) that keep every other bar exactly and sample
        `bars` (first, last; counted as a musician counts, the anacrusis not a bar) again, the
        best of `candidates` for leading into the bars after them (sampling/vary.py), drawn as
        `generate` draws (temperature, top-k, top-p, device). A tune read from a file (or given
        as text with its X: line) is edited in place: every character of it outside those bars is
        kept."""
        from melody.formats.abc.checker import tune_problems
        from melody.formats.abc.player import tokens_to_score
        from melody.formats.abc.text import header_fields, tune_to_abc
        from melody.sampling.pieces import copy_index
        from melody.sampling.vary import canonical_tune, varied_in_place, vary_tokens

        own = tune if isinstance(tune, str) else tune.written or tune.abc  # the text as the user wrote it
        canonical = canonical_tune(own)
        title = header_fields(canonical).get("T") or "Untitled"
        drawn = _config({"temperature": temperature, "top_k": top_k, "top_p": top_p})  # checked there
        filters = {"temperature": drawn.temperature, "top_k": drawn.top_k, "top_p": drawn.top_p}
        variants = vary_tokens(self.inner, canonical, bars[0], bars[1], n, candidates, seed, **filters, device=device)
        copies = copy_index(self.inner)
        tunes = Tunes()
        for number, variant in enumerate(variants, start=1):
            text = variant.text(title)
            edited = varied_in_place(own, variant)  # only the varied bars' notes change
            abc = edited if edited.lstrip().startswith("X:") else tune_to_abc(text, number, title)
            problems = [str(problem) for problem in tune_problems(text)]
            copied = copies.longest_run(abc)[0] if copies is not None else None
            score = tokens_to_score(variant.tokens)
            tunes.append(Tune(abc, title, score, problems, copied, self, variant=variant, tokens=len(variant.tokens)))
        return tunes


def shipped() -> list[str]:
    """The names of the models that come with melody (`folk`, `folk-char`, `chorales`)."""
    from melody.network.checkpoint import shipped_models

    return shipped_models()


def holds_a_model(folder: str | Path) -> bool:
    """Whether a folder is a run folder with a model file in it."""
    from melody.network.checkpoint import MODEL_FILE_NAMES

    return any((Path(folder) / name).is_file() for name in MODEL_FILE_NAMES)


def header(name_or_path: str | Path) -> dict:
    """What a model writes and can do (kind, voices, accompaniment), read from its file's header
    without loading its weights."""
    from melody.network.checkpoint import model_header

    return model_header(name_or_path)


def load(name_or_path: str | Path = "folk", device: str = "cpu") -> Model:
    """A shipped model by name (`folk`, `folk-char`, `chorales`), a run folder or a model file."""
    from melody.network.checkpoint import load_model

    return Model(load_model(name_or_path, device))


def train(
    corpus: str | Path | list[str | Path],
    out: str | Path | None = None,
    minutes: float | None = None,
    *,
    tokenizer: str = "auto",
    init_from: str | None = None,
    seed: int = 0,
    **settings,
) -> dict:
    """Train a model on a corpus (files, folders, or `folk`/`chorales`) into the run folder `out`
    (else a new temporary folder, never the working folder a notebook's kernel happens to run in)
    for `minutes` (else the default epochs); `settings` are further TrainConfig/ModelConfig fields
    (hidden_size, num_layers, batch_size, lr...). Returns the run's figures, with `model`: the best
    model, loaded."""
    from dataclasses import fields

    from melody.network.config import ModelConfig
    from melody.training.config import TrainConfig
    from melody.training.data import prepare_corpus
    from melody.training.runs import start_run

    arguments = [str(c) for c in (corpus if isinstance(corpus, list) else [corpus])]
    model_fields = {f.name for f in fields(ModelConfig)} - {"vocab_size"}
    train_fields = {f.name for f in fields(TrainConfig)}
    unknown = set(settings) - model_fields - train_fields
    if unknown:
        raise ConfigError(f"unknown training settings: {', '.join(sorted(unknown))}")
    tokenized = prepare_corpus(arguments, tokenizer)
    model_config = ModelConfig(len(tokenized.tokenizer), **{k: v for k, v in settings.items() if k in model_fields})
    limits = {"max_minutes": minutes, "epochs": None} if minutes is not None else {}
    config = TrainConfig(
        seed=seed, init_from=init_from, **limits, **{k: v for k, v in settings.items() if k in train_fields}
    )
    run_dir = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="melody-run-"))
    trainer, _carried = start_run(tokenized, model_config, config, run_dir)
    result = trainer.run()
    best = run_dir / "best.safetensors"
    return result | {"run": str(run_dir), "model": load(best if best.exists() else run_dir / "last.safetensors")}


def _config(defaulted: dict, **fields):
    """A SampleConfig with `fields`, and `defaulted`'s where given (None: the field's default)."""
    from melody.sampling.config import SampleConfig

    return SampleConfig(**{name: value for name, value in defaulted.items() if value is not None}, **fields)


def evaluate(
    model: Model | str | Path = "folk",
    corpus: str | Path | list[str | Path] | None = None,
    *,
    samples: int = 0,
    seed: int = 0,
    split: str = "auto",
    clean: bool | None = None,
    baseline: bool = True,
    device: str = "cpu",
    progress=None,
) -> dict:
    """`melody evaluate`'s figures as a dict: held-out bits, the n-gram baseline and, with
    `samples`, the generated tunes judged (form, statistics, copies, the classifier figure). The
    corpus: the one the model was trained on unless given; `clean`: score only the tunes the checker
    passes (None: as the model was trained)."""
    from melody.evaluation.evaluate import evaluate_model

    chosen = model if isinstance(model, Model) else load(model, device)
    recorded = chosen.training.get("corpus", {}).get("arguments")
    arguments = [str(c) for c in (corpus if isinstance(corpus, list) else [corpus])] if corpus else None
    arguments = arguments or recorded or list(chosen.inner.tokenizer.default_corpus)
    return evaluate_model(
        chosen.inner,
        arguments,
        split,
        device,
        progress=progress,
        clean=clean,
        baseline=baseline,
        samples=samples,
        seed=seed,
    )
