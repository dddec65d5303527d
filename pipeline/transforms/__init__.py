"""Composite PTransforms: thin Beam adapters over the pure core. The graph is built in ``graph``."""
