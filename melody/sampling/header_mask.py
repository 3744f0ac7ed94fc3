"""The abc mask's header rule: header tokens come first, in the order type, meter, unit, key."""

from __future__ import annotations

import numpy as np

from melody.music.tunes import TYPE_METERS, meter_fits_type


def header_mask(
    vocab: list[str],
    headers,
    by_token: dict[str, int],
    fed: str,
    metered: bool = False,
    tune_type: str | None = None,
    type_required: bool = False,
    meter_asked: str | None = None,
) -> np.ndarray:
    """(V,) the `headers` ids that may come next: type (where the model knows types and the tune has
    one, or must: `type_required`), meter, unit, key (`fed`: the fields so far). A tune with a form
    is `metered`: its parts are counted in bars; some types take only some meters, so with
    `meter_asked` (the M: to come) only the types written in it."""
    mask = np.zeros(len(vocab), dtype=bool)
    order = "RMLK"
    following = ("R" if type_required else "RM") if not fed else order[min(order.index(fed[-1]) + 1, 3)]
    meters = TYPE_METERS.get(tune_type or "")
    if meters and not any(f"M:{meter}" in by_token for meter in meters):
        meters = None  # the model never saw this type's meters: any it knows will do
    for i in headers:
        token = vocab[i]
        if token[0] in following and token[1] == ":":
            meter_fits = token[0] != "M" or not meters or token[2:] in meters
            type_fits = token[0] != "R" or meter_fits_type(token[2:], meter_asked)
            mask[i] = meter_fits and type_fits and not (metered and token == "M:none")
    return mask
