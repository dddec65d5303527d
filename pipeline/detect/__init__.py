"""Article detector: is an article about US–India relations, on which topics, naming whom.

Pure functions over plain text: no Beam, no I/O, no network, deterministic, and explainable
(every verdict carries the evidence that produced it). The public API is:

- :func:`classify` → :class:`pipeline.core.model.Classification`
- :func:`detect_language` → ISO 639-1 code or ``None``

How a verdict is made, module by module:

- :mod:`.terms`        the lexicon schema (what one gazetteer entry can say) and its constructors;
- :mod:`.lexicon`      the gazetteers as data: actors of each side, bilateral cues, false friends,
                       third countries, off-topic domains, topic vocabularies, in English and Hindi;
- :mod:`.matcher`      one Aho-Corasick pass over an article's title, summary and body;
- :mod:`.tally`        matches → per-side, per-topic, per-domain masses and evidence;
- :mod:`.scoring`      gates, then named features (stage 1) and their logistic score; the rule; the topics;
- :mod:`.stage2`       the second stage: calibrated relevance from the features and n-grams (``stage2.json``);
- :mod:`.train`        trains :mod:`.stage2` on labelled items, cross-validates on real ones (a development tool);
- :mod:`.weights`      the score's weights and topic thresholds (data);
- :mod:`.calibrate`    refits :mod:`.weights` on a labelled file (a development tool);
- :mod:`.entities`     canonical entities by kind, and names found by patterns;
- :mod:`.classifier`   :func:`classify`, which runs the above and assembles the evidence;
- :mod:`.language`     script/stopword language guess;
- :mod:`.compiled`     whether the hot modules run compiled by mypyc or from their sources (checked first).

The labelling spec the detector is measured against is ``tests/data/LABELS.md``; measure with
``pipeline.devtools.evaluate`` (``newsmon eval --gold FILE``).
"""

from __future__ import annotations

from pipeline.detect import compiled

compiled.install()  # before any compiled module is imported: stale builds must not shadow their sources

from pipeline.detect.classifier import classify  # noqa: E402
from pipeline.detect.language import detect_language  # noqa: E402
from pipeline.detect.lexicon import DETECTOR_VERSION  # noqa: E402

__all__ = ["DETECTOR_VERSION", "classify", "detect_language"]
