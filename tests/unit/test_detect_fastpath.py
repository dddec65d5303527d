"""The detector's fast paths give exactly the verdicts of the general path they replace.

- the boundary mapping (:func:`pipeline.detect.matcher._spaced`) equals ``str.translate`` with the
  boundary table on every labelled text and on texts made of every boundary character, and so does the
  language guesser's word split (:func:`pipeline.detect.language._words`);
- ``classify`` (fast) equals ``classify(..., fast=False)`` — every field of the
  :class:`~pipeline.core.model.Classification`, evidence included — on the development set, the
  holdout and the real labelled items, with stage 2 and with stage 1 alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.detect import classify
from pipeline.detect.language import _NOT_LETTERS, _words
from pipeline.detect.matcher import _TO_SPACE, BOUNDARY_CHARS, _spaced
from pipeline.devtools.evaluate import GoldItem, load_gold, real_items

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def labelled() -> list[GoldItem]:
    return load_gold(DATA / "dev.jsonl") + load_gold(DATA / "holdout.jsonl") + real_items()


def test_spaced_is_the_boundary_translation(labelled: list[GoldItem]) -> None:
    crafted = [
        BOUNDARY_CHARS,
        BOUNDARY_CHARS[::-1] + "India’s “US–India” ties — भारत। है॥ x",
        "\udcff lone surrogate, " + BOUNDARY_CHARS,
        "İstanbul’s",
        "",
        "plain ascii, no change",
        "é" + "".join(f"{ch}a" for ch in BOUNDARY_CHARS),
        "数据：中国‘美国’",
    ]
    texts = crafted + [text for item in labelled for text in (item.title, item.summary, item.body.lower())]
    for text in texts:
        assert _spaced(text) == text.translate(_TO_SPACE), text[:80]
        assert _words(text) == set(text.lower().translate(_NOT_LETTERS).split()), text[:80]
    assert sum(1 for text in texts if not text.isascii()) > 100  # the non-ASCII branch is exercised


def _same(item: GoldItem, use_stage2: bool = True) -> None:
    fast = classify(item.title, item.summary, item.body, item.language, use_stage2=use_stage2)
    general = classify(item.title, item.summary, item.body, item.language, use_stage2=use_stage2, fast=False)
    assert fast == general, item.id
    # Same JSON too (key order of the evidence included): what `newsmon classify` writes.
    assert json.dumps(fast.evidence, ensure_ascii=False) == json.dumps(general.evidence, ensure_ascii=False)


def test_fast_path_gives_the_general_paths_verdicts(labelled: list[GoldItem]) -> None:
    for item in labelled:
        _same(item)
    gated = [
        item for item in labelled if classify(item.title, item.summary, item.body).evidence["rule"].startswith("no_")
    ]
    assert len(gated) > 300  # the fast path is what most of these items take


def test_fast_path_gives_the_general_paths_verdicts_stage1_alone(labelled: list[GoldItem]) -> None:
    for item in labelled:
        _same(item, use_stage2=False)
