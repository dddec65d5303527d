"""Boot command of the Python SDK worker for Flink's PROCESS environment.

A TaskManager starts one of these per SDK worker it needs, as
``<command> --id=<worker id> --provision_endpoint=<host:port>`` (Beam's
ProcessEnvironmentFactory); the Beam SDK containers run a Go ``boot`` binary
for the same job, which is not installed here. This boot asks the TaskManager's
provision service for the job's pipeline options and its control and logging
endpoints, and becomes the SDK harness of the Python that runs it
(``apache_beam.runners.worker.sdk_worker_main``), so the worker runs the
newsmon code and packages of that Python's environment. The job's staged
artifacts are not fetched: nothing is installed at run time.
"""

from __future__ import annotations

import argparse
import os
import sys

import grpc
from apache_beam.portability.api import beam_provision_api_pb2, beam_provision_api_pb2_grpc
from google.protobuf import json_format, text_format


def worker_environment(
    info: beam_provision_api_pb2.ProvisionInfo, worker_id: str, semi_persist_dir: str
) -> dict[str, str]:
    """The environment sdk_worker_main reads, as Beam's Go boot sets it."""
    env = {
        "WORKER_ID": worker_id,
        "PIPELINE_OPTIONS": json_format.MessageToJson(info.pipeline_options),
        "CONTROL_API_SERVICE_DESCRIPTOR": text_format.MessageToString(info.control_endpoint),
        "LOGGING_API_SERVICE_DESCRIPTOR": text_format.MessageToString(info.logging_endpoint),
        "SEMI_PERSISTENT_DIRECTORY": semi_persist_dir,
        "RUNNER_CAPABILITIES": " ".join(info.runner_capabilities),
    }
    return env


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--id", required=True)
    parser.add_argument("--provision_endpoint", required=True)
    parser.add_argument("--semi_persist_dir", default="/tmp")
    args, _unknown = parser.parse_known_args(argv)
    with grpc.insecure_channel(args.provision_endpoint) as channel:
        stub = beam_provision_api_pb2_grpc.ProvisionServiceStub(channel)
        info = stub.GetProvisionInfo(
            beam_provision_api_pb2.GetProvisionInfoRequest(), metadata=[("worker_id", args.id)], timeout=60
        ).info
    os.environ.update(worker_environment(info, args.id, args.semi_persist_dir))
    os.execv(sys.executable, [sys.executable, "-m", "apache_beam.runners.worker.sdk_worker_main"])
    return 1  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
