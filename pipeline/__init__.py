"""newsmon: a streaming monitor of news about US–India relations.

The sub-packages are the layers (the README's architecture section draws them): ``core`` (plain data and
pure functions), ``detect``, ``stories`` and ``alerting`` (pure detectors and maths), ``telemetry`` (metric
names, logging, run state), ``sources`` and ``sinks`` (the I/O edges), ``transforms`` (Beam composites),
``runtime`` (runners, workers, endpoints), ``app`` (the commands), ``demo``, and ``devtools`` (apart from the
runtime). ``app.cli`` is the only module that parses argv and configures logging.
"""

__version__ = "0.1.0"
