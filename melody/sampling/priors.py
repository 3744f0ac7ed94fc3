"""What the sampler reads of the training statistics a model file carries (training/statistics.py
measured them): the corpus's voice layout, kept to the tracks a user asks for."""

from __future__ import annotations


def kept_tracks(voices: dict, tracks: tuple[str, ...]) -> dict:
    """A voice layout kept to the tracks named (by track name or role, any case), in the layout's
    order; a name the layout does not hold is a ConfigError that lists the ones it does."""
    from melody.errors import ConfigError

    layout = voices["layout"]
    wanted = {t.strip().lower() for t in tracks if t.strip()}
    unknown = sorted(w for w in wanted if not any(w in (v["name"].lower(), v["role"]) for v in layout))
    if unknown:
        known = ", ".join(f"{v['name']} ({v['role']})" for v in layout)
        raise ConfigError(f"`tracks` {', '.join(unknown)}: this model's tracks are {known}")
    kept = [v for v in layout if v["name"].lower() in wanted or v["role"] in wanted]
    return {**voices, "layout": kept}
