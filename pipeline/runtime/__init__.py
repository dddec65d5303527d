"""The process that runs the job: Prism and Flink runners, the SDK worker pool and worker
processes, the job watcher, run state and the HTTP endpoints (/metrics, /healthz).
"""
