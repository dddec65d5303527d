"""The relevance model's weights and the topic thresholds (data; see :mod:`pipeline.detect.scoring`).

Fitted by ``python -m pipeline.devtools.calibrate`` on dev.jsonl from the hand-set priors in
``PRIOR_BIAS``/``PRIOR_WEIGHTS`` (kept here so a refit starts from the same place), every weight kept
on the side of zero its feature's meaning fixes. Edit the priors, not the fitted values, then refit.
"""

from __future__ import annotations

from typing import Final

PRIOR_BIAS: Final = -3.0
PRIOR_WEIGHTS: Final[dict[str, float]] = {
    "pair": 3.0,
    "both_in_head": 1.0,
    "actors": 1.5,
    "both_in_title": 1.0,
    "bilateral_cue": 2.0,
    "policy": 2.0,
    "sports": -3.0,
    "markets": -3.0,
    "culture": -2.5,
    "human_interest": -2.5,
    "consumer": -2.0,
    "reaction": -3.0,
    "third_share": -3.0,
    "many_countries": -3.0,
    "third_in_title": -2.0,
    "body_only": -1.5,
    "firm_only": -1.0,
}
PRIOR_TOPIC_THRESHOLDS: Final[dict[str, float]] = {
    "trade": 0.6,
    "defense": 0.6,
    "immigration": 0.6,
    "energy": 0.6,
    "diplomacy": 0.6,
    "technology": 0.6,
}
PRIOR_TOPIC_RELATIVE: Final = 0.25

BIAS: Final = -2.887
WEIGHTS: Final[dict[str, float]] = {
    "pair": 3.167,
    "both_in_head": 0.435,
    "actors": 0.677,
    "both_in_title": 0.589,
    "bilateral_cue": 2.154,
    "policy": 3.874,
    "sports": -3.785,
    "markets": -3.158,
    "culture": -2.683,
    "human_interest": -2.869,
    "consumer": -2.45,
    "reaction": -3.192,
    "third_share": -2.423,
    "many_countries": -2.672,
    "third_in_title": -2.071,
    "body_only": -0.935,
    "firm_only": -1.261,
}
TOPIC_THRESHOLDS: Final[dict[str, float]] = {
    "trade": 0.8,
    "defense": 0.85,
    "immigration": 0.6,
    "energy": 0.8,
    "diplomacy": 0.75,
    "technology": 0.65,
}
TOPIC_RELATIVE: Final = 0.15
