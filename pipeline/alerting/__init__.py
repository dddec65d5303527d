"""Topic-spike alerting: windowed topic counts and spike detection.

``spikes`` is the pure definition of a spike and of the alert document (no
Beam); ``transforms`` holds the ``DetectSpikes`` composite that applies it to
a stream of classified articles. The Prometheus rules in
``deploy/prometheus/rules/`` implement the same definition on the exported
counters.
"""
