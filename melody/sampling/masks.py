"""Which mask keeps a model's pieces well-formed (by the tokenizer's declared `constraint`), built
once per model and choice of tracks and tempo, and each row's constraint state to start from."""

from __future__ import annotations

from melody.errors import ConfigError
from melody.music.theory import normalize_meter
from melody.network.checkpoint import Model
from melody.sampling.config import SampleConfig
from melody.sampling.plans import form_plan
from melody.sampling.priors import kept_tracks
from melody.tokenizers.base import OPTION_NEEDS


def sampling_mask(model: Model, config: SampleConfig | None = None):
    """The mask that keeps this model's pieces well-formed: bars for abc tokens, declared voices
    (the tracks asked for) and key for events, and the tempo asked for; notes let go of in
    performances; None for characters. Built
    once per model and choice of tracks and tempo."""
    build = MASKS.get(model.tokenizer.constraint)
    key = (config.tracks, config.tempo) if config is not None else (None, None)
    if build is not None and key not in model.masks:
        model.masks[key] = build(model, config)
    return model.masks.get(key)


def _abc_mask(model: Model, config: SampleConfig | None):
    from melody.sampling.abc_mask import Constraint

    return Constraint(model.tokenizer.vocab)


def _event_mask(model: Model, config: SampleConfig | None):
    from melody.sampling.event_mask import EventConstraint

    tempo = config.tempo if config is not None else None
    return EventConstraint(
        model.tokenizer.vocab, model.training.get("pitch_classes"), chosen_voices(model, config), tempo
    )


def _performance_mask(model: Model, config: SampleConfig | None):
    from melody.sampling.performance_mask import PerformanceConstraint
    from melody.tokenizers.performance import STEP_SECONDS

    voices, limits = chosen_voices(model, config), model.training.get("sounding")
    return PerformanceConstraint(model.tokenizer.vocab, voices, limits, STEP_SECONDS)


MASKS = {"abc": _abc_mask, "events": _event_mask, "performance": _performance_mask}  # by Tokenizer.constraint


def chosen_voices(model: Model, config: SampleConfig | None) -> dict | None:
    """The corpus's voice layout kept to the tracks asked for (`--tracks`, an option primer_plan
    checks the tokenizer takes); the whole layout when none are asked."""
    voices = model.training.get("voices")
    if config is None or not config.tracks:
        return voices
    if not voices:
        raise ConfigError(OPTION_NEEDS["tracks"])
    return kept_tracks(voices, config.tracks)


def fed_state(tokenizer, prefix: list[int], config: SampleConfig, forms: dict | None, rng, type_required: bool):
    """A row's constraint state after the shared prefix (STATES by the tokenizer's constraint)."""
    state = STATES[tokenizer.constraint](config, forms, rng, type_required)
    for token in prefix:
        state.feed(tokenizer.vocab[token])
    return state


def _tune_state(config: SampleConfig, forms: dict | None, rng, type_required: bool):
    """An ABC tune's state: its form waits for its type (drawn from the model's `forms` by `rng`)."""
    from functools import partial

    from melody.sampling.tune_rules import StrictTune

    plan_for = partial(form_plan, config, table=forms, rng=rng)
    meter = normalize_meter(config.meter) if config.meter else None
    return StrictTune(form=plan_for(None), form_for_type=plan_for, type_required=type_required, meter_asked=meter)


def _event_state(*_asked):
    from melody.sampling.event_mask import EventState

    return EventState()


def _performance_state(*_asked):
    from melody.sampling.performance_mask import PerformanceState

    return PerformanceState()


STATES = {"abc": _tune_state, "events": _event_state, "performance": _performance_state}  # by Tokenizer.constraint
