"""The detector's gazetteers, as data: one module per language and concern, assembled here.

To extend the detector, add terms to the module that owns them (or a new module listed in
:data:`ALL_TERMS`) and a test row that shows the new behaviour; nothing else needs to change.

- :mod:`.en_actors`    US-side and India-side actors, people, places and firms; bilateral cues (English).
- :mod:`.en_context`   false friends, third countries, off-topic domains, listing words (English).
- :mod:`.en_topics`    topic vocabularies with weights (English).
- :mod:`.hi`           all of the above for Hindi (Devanagari).
- :mod:`.entity_kinds` person / organization / place for every canonical entity name.
"""

from __future__ import annotations

from typing import Final

from pipeline.detect.lexicon import en_actors, en_context, en_topics, hi
from pipeline.detect.lexicon.entity_kinds import entity_kinds
from pipeline.detect.terms import Term

# Bump when a change to the lexicons or the scoring changes verdicts, so stored evidence can be traced.
DETECTOR_VERSION: Final = "3"  # 3: the stage-2 model decides relevance

ALL_TERMS: Final[tuple[Term, ...]] = (*en_actors.TERMS, *en_context.TERMS, *en_topics.TERMS, *hi.TERMS)
ENTITY_KINDS: Final[dict[str, str]] = entity_kinds(ALL_TERMS)
