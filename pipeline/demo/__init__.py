"""The live demo newsroom of the quickstart (``newsmon demo``).

:mod:`pipeline.demo.stories` owns the bank of invented demo articles
(``bank.jsonl``), the demo's timeline and its scaled-down spike settings (pure,
no I/O); :mod:`pipeline.demo.newsroom` publishes the stories into feed files
over time and serves them with :class:`pipeline.devtools.feedserver.FeedServer`.
"""
