"""What every layer reports: the metric names (defined once), logging set-up, and the process's
run state (ticks, fetches in flight, last activity, drain) that DoFns publish and the launcher reads.
"""
