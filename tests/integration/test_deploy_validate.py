"""The deployment files through the real tools, offline and without a Docker engine or a cluster.

* deploy/compose/validate.sh: `docker compose config -q` (Docker Compose built from
  the Go module proxy when the machine has no compose plugin), that no secret
  value appears in the resolved stack, promtool (the compose image's release)
  on the compose Prometheus config.
* deploy/k8s/validate.sh OVERLAY: pinned kustomize build, Kubernetes JSON
  schemas (kubernetes-validate), Prometheus Operator models, promtool on the
  PrometheusRule.

Both scripts install their tools into .cache/ on first use (a few minutes on
a cold machine; deploy/local/install.sh can do it ahead).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 1200  # cold builds of docker-compose and kustomize on 2 cores


PROMTOOL = REPO / ".cache" / "bin" / "promtool"  # the deployments' Prometheus release


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    for tool in ("bash", "go"):
        if shutil.which(tool) is None:
            pytest.fail(f"'{tool}' is not on PATH: the deploy validation needs it (Go to build compose/kustomize)")
    if not PROMTOOL.is_file():
        pytest.fail(f"{PROMTOOL} is not installed: run deploy/local/install.sh promtool")
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def test_compose_file_validates() -> None:
    run = _run("bash", "deploy/compose/validate.sh")
    assert run.returncode == 0, f"deploy/compose/validate.sh failed:\n{run.stdout}\n{run.stderr}"
    assert "config with the placeholder secrets" in run.stderr and run.stderr.rstrip().endswith("ok")
    assert "no secret value in the resolved stack" in run.stderr
    assert "promtool check config compose/prometheus.yml (promtool, version 3." in run.stderr


def test_compose_config_resolves_the_stack() -> None:
    """`docker compose config` sees every service (run through validate.sh's way to reach Compose)."""
    run = _run(
        "bash",
        "deploy/compose/validate.sh",
        "--",
        "-f",
        "deploy/docker-compose.yml",
        "--env-file",
        "deploy/compose/env.example",
        "config",
        "--services",
    )
    assert run.returncode == 0, run.stderr
    assert set(run.stdout.split()) == {
        "elasticsearch",
        "setup",
        "kibana",
        "dashboards",
        "newsmon",
        "prometheus",
        "alertmanager",
        "grafana",
    }


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_kubernetes_overlay_validates(overlay: str) -> None:
    run = _run("bash", "deploy/k8s/validate.sh", overlay)
    assert run.returncode == 0, f"deploy/k8s/validate.sh {overlay} failed:\n{run.stdout}\n{run.stderr}"
    assert f"{overlay}.yaml:" in run.stdout and ": ok" in run.stdout
    rendered = (REPO / ".cache" / "k8s" / f"{overlay}.yaml").read_text(encoding="utf-8")
    for kind in ("Deployment", "Service", "ConfigMap", "ServiceMonitor", "PrometheusRule"):
        assert f"kind: {kind}\n" in rendered, f"{overlay}: no {kind}"


def test_compose_flink_profile_resolves() -> None:
    """deploy/compose/flink.yml on top of the base file: the Flink services replace the Prism job."""
    base = (
        "bash",
        "deploy/compose/validate.sh",
        "--",
        "-f",
        "deploy/docker-compose.yml",
        "-f",
        "deploy/compose/flink.yml",
        "--env-file",
        "deploy/compose/env.example",
        "--profile",
        "flink",
    )
    quiet = _run(*base, "config", "-q")
    assert quiet.returncode == 0, quiet.stderr
    run = _run(*base, "config", "--services")
    assert run.returncode == 0, run.stderr
    services = set(run.stdout.split())
    assert {"flink-jobmanager", "flink-taskmanager", "beam-worker-pool", "newsmon-flink"} <= services
    assert "newsmon" not in services  # the Prism job is only in the `prism` profile with this file


def test_kubernetes_flink_overlay_validates_against_the_operator_crd() -> None:
    run = _run("bash", "deploy/k8s/validate.sh", "flink")
    assert run.returncode == 0, f"deploy/k8s/validate.sh flink failed:\n{run.stdout}\n{run.stderr}"
    assert "flink.yaml:" in run.stdout and ": ok" in run.stdout
    rendered = (REPO / ".cache" / "k8s" / "flink.yaml").read_text(encoding="utf-8")
    for kind in ("FlinkDeployment", "Deployment", "Role", "RoleBinding"):
        assert f"kind: {kind}\n" in rendered, f"flink: no {kind}"
    assert "- FlinkRunner\n" in rendered and "--environment_type=EXTERNAL" in rendered
