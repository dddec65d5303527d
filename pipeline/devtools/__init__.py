"""Development and test tools, apart from the runtime: the fault-injecting feed server,
the evaluation harness (``newsmon eval``), weight calibration and the stage-2 trainer.

The service never imports these; only ``newsmon eval`` / ``newsmon demo`` and tests do.
"""
