"""newsmon: a streaming monitor of news about US–India relations.

Sub-packages: ``sources`` (fetch + parse feeds), ``detect`` (relevance, topics,
entities), ``transforms`` (Beam composites), ``sinks`` (search engine, JSONL),
``alerting`` (spike detection). ``cli`` is the only module that parses argv and
configures logging.
"""

__version__ = "0.1.0"
