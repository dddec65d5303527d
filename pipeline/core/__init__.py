"""Pure core: plain data (model), text/date/URL normalisation, the topic set, errors and settings.

Nothing here does I/O beyond reading a file it is handed; everything is tested without Beam.
"""
