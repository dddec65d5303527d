"""Article detector: is an article about US–India relations, on which topics, naming whom.

Pure functions over plain text: no Beam, no I/O, no network, deterministic, and explainable
(every verdict carries the evidence that produced it). The public API is:

- :func:`classify` → :class:`pipeline.model.Classification`
- :func:`detect_language` → ISO 639-1 code or ``None``

Modules: :mod:`.terms` (lexicon schema), :mod:`.lexicon` (gazetteers as data),
:mod:`.matcher` (Aho-Corasick matching), :mod:`.classifier` (scoring and evidence),
:mod:`.language` (script/stopword language guess).
"""

from __future__ import annotations

from pipeline.detect.classifier import classify
from pipeline.detect.language import detect_language
from pipeline.detect.lexicon import DETECTOR_VERSION

__all__ = ["DETECTOR_VERSION", "classify", "detect_language"]
