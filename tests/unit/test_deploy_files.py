"""deploy/ is data: the Dockerfile, the compose stack and the Kubernetes manifests agree with the code.

Checked without Docker or a cluster: pinned images, non-root, health checks,
the Beam/Prism version, that every environment variable handed to newsmon is
one the code reads, the Prometheus wiring, and that the PrometheusRule is the
rule files' copy. tests/integration/test_deploy_validate.py runs the real
tools (docker compose config, kustomize, schema validation).
"""

from __future__ import annotations

import ast
import base64
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
NEWSMON_SERVICES = ("newsmon", "dashboards")  # run the newsmon image
# Set by the image or the platform, not read by newsmon's code.
GENERIC_ENV = {"PATH", "HOME", "TZ", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}


def beam_version() -> str:
    text = (DEPLOY / "local" / "versions.env").read_text(encoding="utf-8")
    match = re.search(r"^BEAM_VERSION=(\S+)$", text, re.M)
    assert match, "BEAM_VERSION missing from deploy/local/versions.env"
    return match.group(1)


def versions_env() -> dict[str, str]:
    text = (DEPLOY / "local" / "versions.env").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z_]+)=([^\s$]+)$", text, re.M))


def env_names_read_by_code() -> set[str]:
    """Environment variable names in pipeline/ (string constants), plus NAME_FILE for secrets."""
    names: set[str] = set()
    for path in (REPO / "pipeline").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"(NEWSMON|ELASTICSEARCH|KIBANA)_[A-Z0-9_]+", node.value)
            ):
                names.add(node.value)
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "").endswith("secret")
                and len(node.args) == 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                names.add(f"{node.args[1].value}_FILE")
    return names


# ------------------------------------------------------------------ Dockerfile
def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in dockerfile_instructions():
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def test_dockerfile_bases_are_pinned() -> None:
    args = {}
    froms = []
    for word, rest in dockerfile_instructions():
        if word == "ARG" and "=" in rest:
            key, _, value = rest.partition("=")
            args[key] = value
        if word == "FROM":
            image = rest.split()[0]
            froms.append(re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image))
    assert len(froms) >= 2, "multi-stage build expected"
    for image in froms:
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest" and "/" not in tag, f"unpinned base image {image}"
    assert any(i.startswith("golang:") for i in froms) and froms[-1].startswith("python:3.11-slim")


def test_dockerfile_prism_version_matches_versions_env() -> None:
    args = dict(rest.partition("=")[::2] for word, rest in dockerfile_instructions() if word == "ARG" and "=" in rest)
    assert args["BEAM_VERSION"] == beam_version()
    text = DOCKERFILE.read_text(encoding="utf-8")
    # The image's Prism is built like the one the tests run: deploy/prism/build.sh (loopback job service).
    assert 'bash /src/build-prism.sh "${BEAM_VERSION}" /out/prism' in text
    assert ("COPY", "deploy/prism/build.sh /src/build-prism.sh") in dockerfile_instructions()
    install = (DEPLOY / "local" / "install.sh").read_text(encoding="utf-8")
    assert 'PRISM_BUILD_SCRIPT="$REPO_ROOT/deploy/prism/build.sh"' in install
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"apache-beam=={beam_version()}"' in pyproject


def test_dockerfile_runs_as_non_root_with_healthcheck_and_entrypoint() -> None:
    instructions = dockerfile_instructions()
    users = [rest for word, rest in instructions if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the final stage must not run as root"
    health = [rest for word, rest in instructions if word == "HEALTHCHECK"]
    assert len(health) == 1 and "http://127.0.0.1:9108/healthz" in health[0] and "curl" not in health[0]
    assert ("ENTRYPOINT", '["newsmon"]') in instructions
    assert ("CMD", '["run", "--config", "/etc/newsmon/feeds.yaml"]') in instructions
    env = dockerfile_env()
    assert env["NEWSMON_LOG_FORMAT"] == "json" and env["NEWSMON_METRICS_ADDR"] == "0.0.0.0"
    assert env["NEWSMON_METRICS_PORT"] == "9108"
    prism_copy = [rest for word, rest in instructions if word == "COPY" and "--from=prism" in rest]
    assert prism_copy and prism_copy[0].split()[-1] == env["NEWSMON_PRISM_LOCATION"]
    assert (
        set(env)
        - GENERIC_ENV
        - {"PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_CACHE_DIR", "CGO_ENABLED", "GOTOOLCHAIN", "GOFLAGS"}
        <= env_names_read_by_code()
    )


def test_dockerignore_lets_in_what_the_dockerfile_copies() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore, "allow-list expected"
    sources = []
    for word, rest in dockerfile_instructions():
        if word == "COPY" and "--from=" not in rest:
            sources += rest.split()[:-1]
    assert sources
    for src in sources:
        assert src.rstrip("/") in allowed, f"COPY {src} is excluded by deploy/Dockerfile.dockerignore"
        assert (REPO / src).exists()


# ------------------------------------------------------------------ compose
@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def test_every_service_has_a_healthcheck_or_is_one_shot(compose: dict[str, Any]) -> None:
    services = compose["services"]
    one_shot = {name for name, s in services.items() if s.get("restart") == "no"}
    assert one_shot == {"setup", "dashboards"}
    for name, service in services.items():
        check = service.get("healthcheck") or {}
        if name in one_shot:
            continue
        assert check.get("test") and not check.get("disable"), f"{name}: no healthcheck"
    for name, service in services.items():
        for dep, cond in (service.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            wanted = "service_completed_successfully" if dep in one_shot else "service_healthy"
            assert cond["condition"] == wanted, f"{name} -> {dep}"


def test_images_are_pinned_and_limited(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        _, _, tag = image.rpartition(":")
        assert tag and tag != "latest" and "$" not in tag, f"{name}: unpinned image {image}"
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("memory") and limits.get("cpus"), f"{name}: no resource limits"
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port} is published beyond loopback"
    for name in NEWSMON_SERVICES:
        build = compose["services"][name]["build"]
        assert build["context"] == ".." and build["dockerfile"] == "deploy/Dockerfile"
        assert build["args"]["BEAM_VERSION"] == beam_version()
    es = compose["services"]["elasticsearch"]["image"]
    assert es.rpartition(":")[2].startswith("9.")
    assert compose["services"]["kibana"]["image"].rpartition(":")[2] == es.rpartition(":")[2]


def test_newsmon_services_get_only_variables_the_code_reads(compose: dict[str, Any]) -> None:
    known = env_names_read_by_code() | GENERIC_ENV
    assert {"ELASTICSEARCH_URL", "ELASTICSEARCH_PASSWORD", "NEWSMON_METRICS_PORT", "KIBANA_URL"} <= known
    for name in NEWSMON_SERVICES:
        env = compose["services"][name]["environment"]
        assert set(env) <= known, f"{name}: variables newsmon never reads: {sorted(set(env) - known)}"
    newsmon = compose["services"]["newsmon"]
    assert newsmon["environment"]["ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert newsmon["command"] == ["run", "--config", "/etc/newsmon/feeds.yaml"]
    assert any(str(v).endswith(":/etc/newsmon/feeds.yaml:ro") for v in newsmon["volumes"])
    assert compose["services"]["dashboards"]["command"][:2] == ["dashboards", "import"]


SECRET_KEY = re.compile(r"PASSWORD|SECRET|API_KEY|ENCRYPTION")
MARKER = "NEWSMON_COMPOSE_SECRETS"  # not a secret: make-env.sh writes it, the compose file requires it


def env_example() -> dict[str, str]:
    lines = (DEPLOY / "compose" / "env.example").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def make_env(path: Path) -> dict[str, str]:
    """Run compose/make-env.sh on ``path`` and return the variables it holds."""
    run = subprocess.run(
        ["bash", str(DEPLOY / "compose" / "make-env.sh"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))


def service_uid(service: dict[str, Any]) -> str:
    assert service.get("user"), "the service must name the user it runs as"
    return str(service["user"]).split(":")[0]


def test_secrets_reach_containers_only_as_files(compose: dict[str, Any]) -> None:
    """Every secret is a top-level secret whose value is a deploy/.env variable; no container environment
    holds one: services get NAME_FILE=/run/secrets/<a secret they list>."""
    code = "\n".join(
        line for line in COMPOSE.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")
    )
    assert set(re.findall(r"\$\{(\w+):\?", code)) == {MARKER}, "only the marker is interpolated"
    sources = {name: spec["environment"] for name, spec in compose["secrets"].items()}
    assert all(set(spec) == {"environment"} for spec in compose["secrets"].values())
    example = env_example()
    assert set(example) == set(sources.values()) | {MARKER}, "env.example must list exactly the secrets"
    assert all("not-a-secret" in v for k, v in example.items() if k != MARKER)
    used: set[str] = set()
    for name, service in compose["services"].items():
        listed = {s["source"] for s in service.get("secrets", [])}
        used |= listed
        for key, value in (service.get("environment") or {}).items():
            if not SECRET_KEY.search(key):
                continue
            assert key.endswith("_FILE") or key.endswith("__FILE"), f"{name}.{key}: a secret in the environment"
            secret = str(value).removeprefix("/run/secrets/")
            assert str(value) == f"/run/secrets/{secret}" and secret in listed, f"{name}.{key}={value}"
    assert used == set(sources), "a secret no service uses, or one used but not defined"


def test_make_env_generates_every_secret_and_the_marker(tmp_path: Path) -> None:
    compose_doc = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    wanted = {spec["environment"] for spec in compose_doc["secrets"].values()}
    values = make_env(tmp_path / "deploy.env")
    assert set(values) == wanted | {MARKER}
    assert all(re.fullmatch(r"[A-Za-z0-9]{32,}", values[k]) for k in wanted)
    assert len({values[k] for k in wanted}) == len(wanted), "two secrets share a value"
    assert oct((tmp_path / "deploy.env").stat().st_mode & 0o777) == "0o600"
    assert make_env(tmp_path / "deploy.env") == values, "re-running changed a secret"


def test_make_env_keeps_the_old_single_kibana_key_for_saved_objects(tmp_path: Path) -> None:
    """A deploy/.env from before the three keys: encrypted saved objects stay readable, the other two are new."""
    old = "A" * 48
    path = tmp_path / "deploy.env"
    path.write_text(f"ELASTIC_PASSWORD={'b' * 32}\nKIBANA_ENCRYPTION_KEY={old}\n")
    values = make_env(path)
    assert values["ELASTIC_PASSWORD"] == "b" * 32
    assert values["KIBANA_SAVED_OBJECTS_ENCRYPTION_KEY"] == old
    assert old not in (values["KIBANA_SECURITY_ENCRYPTION_KEY"], values["KIBANA_REPORTING_ENCRYPTION_KEY"])


def test_secret_files_belong_to_the_user_the_service_runs_as(compose: dict[str, Any]) -> None:
    """Compose writes each secret file with the uid/gid/mode given; Elasticsearch refuses a _FILE that is not
    mode 400/600, and a file the service's user cannot read would stop it."""
    for name, service in compose["services"].items():
        for secret in service.get("secrets", []):
            assert secret["mode"] == 0o400, f"{name}: {secret['source']} mode"
            assert secret["uid"] == service_uid(service), f"{name}: {secret['source']} owned by another uid"
    newsmon_uid = next(rest for word, rest in dockerfile_instructions() if word == "USER").split(":")[0]
    for name in NEWSMON_SERVICES:
        assert service_uid(compose["services"][name]) == newsmon_uid


def test_one_shots_run_unprivileged_and_only_setup_is_the_superuser(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        if "user" in service:
            assert service_uid(service) != "0", f"{name} runs as root"
    for name in ("setup", "dashboards"):
        assert services[name].get("user"), f"{name}: no explicit user"
    holders = {
        name for name, svc in services.items() if "elastic_password" in {s["source"] for s in svc.get("secrets", [])}
    }
    assert holders == {"elasticsearch", "setup"}, "only the bootstrap and setup get the superuser password"
    env = services["dashboards"]["environment"]
    assert env["KIBANA_USERNAME"] == "newsmon_dashboards"
    assert services["newsmon"]["environment"]["ELASTICSEARCH_USERNAME"] == "newsmon"
    assert "setup" in services["dashboards"]["depends_on"], "the import user is created by setup"


def test_prometheus_has_no_lifecycle_api(compose: dict[str, Any]) -> None:
    """--web.enable-lifecycle lets anyone on the compose network POST /-/quit; reload is SIGHUP instead."""
    command = compose["services"]["prometheus"]["command"]
    assert not [c for c in command if "enable-lifecycle" in c or "enable-admin-api" in c]
    assert "kill -s SIGHUP prometheus" in (DEPLOY / "README.md").read_text(encoding="utf-8")


def test_bind_mounts_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("."):
                source = re.sub(r"\$\{\w+:-([^}]+)\}", r"\1", source)
                assert (DEPLOY / source).exists(), f"{name}: mounts missing {source} (relative to deploy/)"
    assert set(compose["volumes"]) >= {"esdata", "prometheusdata"}


def test_compose_prometheus_scrapes_newsmon_and_alerts_alertmanager(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((DEPLOY / "compose" / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert "newsmon:9108" in targets
    am = {t for a in config["alerting"]["alertmanagers"] for sc in a["static_configs"] for t in sc["targets"]}
    assert am == {"alertmanager:9093"}
    mounts = compose["services"]["prometheus"]["volumes"]
    assert "./prometheus/rules:/etc/prometheus/rules:ro" in mounts
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    assert (
        "./alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro"
        in compose["services"]["alertmanager"]["volumes"]
    )


def test_prometheus_image_promtool_and_module_versions_agree(compose: dict[str, Any]) -> None:
    """The rule tests run on the promtool install.sh builds from the Prometheus Go module: the same release
    as the compose image, and the one deploy/README.md tells Kubernetes users the rules are tested on."""
    pinned = versions_env()
    version = pinned["PROMETHEUS_VERSION"]
    major, minor, patch = (int(n) for n in version.split("."))
    image = compose["services"]["prometheus"]["image"]
    assert image == f"prom/prometheus:v{version}", "compose image and PROMETHEUS_VERSION differ"
    # Prometheus 3.M.P is published to the Go module proxy as github.com/prometheus/prometheus v0.3MM.P.
    assert major == 3, "the rule tests are written for Prometheus 3 range semantics"
    assert pinned["PROMETHEUS_MODULE_VERSION"] == f"v0.{major * 100 + minor}.{patch}"
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert f"tested on Prometheus {major}.{minor}" in readme


def test_compose_feeds_file_is_valid() -> None:
    from pipeline.core.config import load_feeds

    assert load_feeds(DEPLOY / "compose" / "feeds.yaml")
    assert load_feeds(K8S / "base" / "feeds.yaml")


# ------------------------------------------------------------------ kubernetes
def k8s_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


@pytest.fixture(scope="module")
def deployment() -> dict[str, Any]:
    [doc] = k8s_docs(K8S / "base" / "deployment.yaml")
    return doc


def test_deployment_probes_resources_and_security(deployment: dict[str, Any]) -> None:
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300, "must outlast --engine-wait (300 s)"
    assert {p["containerPort"] for p in container["ports"]} == {9108}
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])
    assert pod["securityContext"]["runAsNonRoot"] is True
    uid = [rest for word, rest in dockerfile_instructions() if word == "USER"][-1].split(":")[0]
    assert str(pod["securityContext"]["runAsUser"]) == uid, "runAsUser must be the image's user"
    sc = container["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/etc/newsmon", "/tmp", "/var/lib/newsmon"} <= mounts  # read-only root needs writable dirs
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"


def test_deployment_env_is_real_and_secret_comes_from_a_secret(deployment: dict[str, Any]) -> None:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    known = env_names_read_by_code() | GENERIC_ENV
    env = {e["name"]: e for e in container["env"]}
    assert set(env) <= known
    assert env["ELASTICSEARCH_API_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "newsmon-elasticsearch",
        "key": "api-key",
    }
    kustomizations = [yaml.safe_load(p.read_text()) for p in K8S.rglob("kustomization.yaml")]
    for k in kustomizations:
        for gen in k.get("configMapGenerator", []):
            if gen["name"] == "newsmon-settings":
                names = {lit.split("=", 1)[0] for lit in gen.get("literals", [])}
                assert names <= known, f"settings newsmon never reads: {sorted(names - known)}"


def test_no_real_secret_in_the_manifests() -> None:
    for path in K8S.rglob("*.yaml"):
        for doc in k8s_docs(path):
            assert doc.get("kind") != "Secret", f"{path}: Secrets are generated or created out of band"
            for gen in doc.get("secretGenerator", []):
                assert "overlays/dev" in str(path), f"{path}: secretGenerator only in the dev overlay"
                for literal in gen.get("literals", []):
                    assert "placeholder" in literal and "not-a-secret" in literal


def test_overlays_build_on_the_base() -> None:
    base = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    for res in base["resources"]:
        assert (K8S / "base" / res).exists(), res
    overlays = {p.parent.name: yaml.safe_load(p.read_text()) for p in (K8S / "overlays").glob("*/kustomization.yaml")}
    assert set(overlays) == {"dev", "prod", "flink"}
    for name, k in overlays.items():
        assert "../../base" in k["resources"] and k["namespace"], name
    prod_tag = overlays["prod"]["images"][0]["newTag"]
    assert prod_tag not in ("latest", "dev")


def test_service_monitor_scrapes_the_metrics_port() -> None:
    [service] = k8s_docs(K8S / "base" / "service.yaml")
    [monitor] = k8s_docs(K8S / "base" / "servicemonitor.yaml")
    port = {p["name"]: p for p in service["spec"]["ports"]}["metrics"]
    assert port["port"] == 9108
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"


def test_prometheusrule_is_the_rule_files_copy() -> None:
    spec = importlib.util.spec_from_file_location("gen_prometheusrule", K8S / "gen_prometheusrule.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    groups = gen.rule_groups()
    [rule] = k8s_docs(K8S / "base" / "prometheusrule.yaml")
    assert rule["spec"]["groups"] == groups, (
        "deploy/k8s/base/prometheusrule.yaml differs from deploy/prometheus/rules — "
        "fix: python deploy/k8s/gen_prometheusrule.py"
    )
    assert gen.main(["--check"]) == 0


KIBANA_KEYS = (
    "xpack.security.encryptionKey",
    "xpack.encryptedSavedObjects.encryptionKey",
    "xpack.reporting.encryptionKey",
)


def kibana_entrypoint_pairs() -> dict[str, str]:
    """Variable -> secret file name, as compose/kibana-entrypoint.sh exports them."""
    text = (DEPLOY / "compose" / "kibana-entrypoint.sh").read_text(encoding="utf-8")
    return dict(re.findall(r"^\s+([A-Z_]+)=([a-z_]+)(?: \\|; do)$", text, re.M))


def test_kibana_config_and_setup_agree_with_compose(compose: dict[str, Any]) -> None:
    kibana = yaml.safe_load((DEPLOY / "compose" / "kibana.yml").read_text(encoding="utf-8"))
    assert kibana["elasticsearch.username"] == "kibana_system"
    service = compose["services"]["kibana"]
    assert "environment" not in service, "Kibana's secrets come from files"
    listed = {s["source"] for s in service["secrets"]}
    pairs = kibana_entrypoint_pairs()
    referenced = {str(v).strip("${}") for v in kibana.values() if str(v).startswith("${")}
    assert referenced == set(pairs), "kibana.yml names a variable the entrypoint does not export, or vice versa"
    assert set(pairs.values()) == listed
    assert service["entrypoint"][-1] in {str(v).split(":")[1] for v in service["volumes"]}
    setup = (DEPLOY / "compose" / "setup.sh").read_text(encoding="utf-8")
    assert "/_security/user/kibana_system/_password" in setup
    mounts = compose["services"]["setup"]["volumes"]
    for role in ("newsmon-writer-role.json", "newsmon-dashboards-role.json"):
        assert role in setup
        assert f"./compose/{role}:/setup/{role}:ro" in mounts


def test_kibana_encryption_keys_are_three_distinct_secrets() -> None:
    kibana = yaml.safe_load((DEPLOY / "compose" / "kibana.yml").read_text(encoding="utf-8"))
    variables = [str(kibana[k]).strip("${}") for k in KIBANA_KEYS]
    assert len(set(variables)) == 3, variables
    files = [kibana_entrypoint_pairs()[v] for v in variables]
    assert len(set(files)) == 3, files
    example = env_example()
    assert len({example[v] for v in variables}) == 3 and all(len(example[v]) >= 32 for v in variables)


def test_kibana_entrypoint_exports_the_secret_files_and_runs_the_command(tmp_path: Path) -> None:
    pairs = kibana_entrypoint_pairs()
    for variable, file in pairs.items():
        (tmp_path / file).write_text(f"value-of-{variable}\n")
    script = str(DEPLOY / "compose" / "kibana-entrypoint.sh")
    env = {"PATH": "/usr/bin:/bin", "NEWSMON_SECRETS_DIR": str(tmp_path)}
    run = subprocess.run(["bash", script, "env"], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 0, run.stderr
    exported = dict(line.split("=", 1) for line in run.stdout.splitlines() if "=" in line)
    assert {k: exported[k] for k in pairs} == {k: f"value-of-{k}" for k in pairs}
    (tmp_path / next(iter(pairs.values()))).unlink()
    missing = subprocess.run(["bash", script, "env"], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert missing.returncode == 2 and "make-env.sh" in missing.stderr


# Kibana 9's features and the saved-object types each grants `all` on (the feature registry of the
# data views, Discover, Visualize Library and Dashboard plugins): the import writes objects of a type
# only with a feature that grants it (the import route delegates to the saved objects client).
KIBANA_FEATURE_WRITES = {
    "index-pattern": "indexPatterns",
    "search": "discover_v2",
    "lens": "visualize_v2",
    "visualization": "visualize_v2",
    "dashboard": "dashboard_v2",
}
DASHBOARDS_ROLE = json.loads((DEPLOY / "compose" / "newsmon-dashboards-role.json").read_text(encoding="utf-8"))


def test_the_dashboards_role_grants_exactly_what_the_import_writes() -> None:
    from pipeline.sinks.kibana import load_saved_objects, packaged_objects

    types = {obj["type"] for obj in load_saved_objects(packaged_objects())}
    assert types <= set(KIBANA_FEATURE_WRITES), f"no known feature writes {types - set(KIBANA_FEATURE_WRITES)}"
    assert DASHBOARDS_ROLE["cluster"] == [] and DASHBOARDS_ROLE["indices"] == []
    assert "run_as" not in DASHBOARDS_ROLE
    [app] = DASHBOARDS_ROLE["applications"]
    assert app["application"] == "kibana-.kibana" and app["resources"] == ["space:default"]
    assert set(app["privileges"]) == {f"feature_{KIBANA_FEATURE_WRITES[t]}.all" for t in types}


def test_setup_script_against_a_fake_elasticsearch(tmp_path: Path) -> None:
    """compose/setup.sh sends valid JSON, as `elastic`, to the security APIs (a fake ES records the calls)."""
    if shutil.which("curl") is None:
        pytest.fail("curl is needed to run deploy/compose/setup.sh (the Elasticsearch image has it)")
    calls: list[tuple[str, str, Any, str | None]] = []

    class FakeES(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            calls.append((self.command, self.path, body, self.headers.get("Authorization")))
            data = b'{"status":"green"}' if "_cluster/health" in self.path else b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeES)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        # As compose runs it: every password from a NAME_FILE.
        secrets = {
            "ELASTIC_PASSWORD": "elastic-pw",
            "KIBANA_SYSTEM_PASSWORD": "kibana-system-pw-1",
            "NEWSMON_ES_PASSWORD": "newsmon-pw-12345",
            "NEWSMON_DASHBOARDS_PASSWORD": "dashboards-pw-123",
        }
        for name, value in secrets.items():
            (tmp_path / name.lower()).write_text(value + "\n")
        env = {
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            "ELASTICSEARCH_URL": f"http://127.0.0.1:{server.server_address[1]}",
            "TMPDIR": str(tmp_path),
            **{f"{name}_FILE": str(tmp_path / name.lower()) for name in secrets},
        }
        run = subprocess.run(
            ["bash", str(DEPLOY / "compose" / "setup.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        no_file = subprocess.run(
            ["bash", str(DEPLOY / "compose" / "setup.sh")],
            capture_output=True,
            text=True,
            env={**env, "NEWSMON_ES_PASSWORD_FILE": str(tmp_path / "absent")},
            timeout=60,
            check=False,
        )
        assert no_file.returncode == 2 and "NEWSMON_ES_PASSWORD_FILE" in no_file.stderr
        env = {k: v for k, v in env.items() if not k.endswith("_FILE")} | secrets
        plain = subprocess.run(
            ["bash", str(DEPLOY / "compose" / "setup.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert plain.returncode == 0, plain.stderr  # plain variables work too (docker compose run -e ...)
        bad = subprocess.run(
            ["bash", str(DEPLOY / "compose" / "setup.sh")],
            capture_output=True,
            text=True,
            env={**env, "NEWSMON_ES_PASSWORD": 'has"quote'},
            timeout=60,
            check=False,
        )
        assert bad.returncode == 2 and "make-env.sh" in bad.stderr
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    auth = "Basic " + base64.b64encode(b"elastic:elastic-pw").decode()
    assert all(c[3] == auth for c in calls)
    writes = {(m, p): b for m, p, b, _ in calls if m != "GET"}
    assert writes[("POST", "/_security/user/kibana_system/_password")] == {"password": "kibana-system-pw-1"}
    assert writes[("PUT", "/_security/role/newsmon_writer")] == WRITER_ROLE
    user = writes[("PUT", "/_security/user/newsmon")]
    assert user["password"] == "newsmon-pw-12345" and user["roles"] == ["newsmon_writer"]
    assert writes[("PUT", "/_security/role/newsmon_dashboards")] == DASHBOARDS_ROLE
    importer = writes[("PUT", "/_security/user/newsmon_dashboards")]
    assert importer["password"] == "dashboards-pw-123" and importer["roles"] == ["newsmon_dashboards"]


def test_grafana_mounts_match_its_provisioning(compose: dict[str, Any]) -> None:
    provisioning = REPO / "dashboards" / "grafana" / "provisioning"
    mounts = dict(str(v).split(":")[:2] for v in compose["services"]["grafana"]["volumes"] if str(v).startswith("."))
    assert mounts["../dashboards/grafana/provisioning"] == "/etc/grafana/provisioning"
    paths = [
        p["options"]["path"]
        for f in (provisioning / "dashboards").glob("*.y*ml")
        for p in yaml.safe_load(f.read_text(encoding="utf-8"))["providers"]
    ]
    assert paths and all(p == mounts["../dashboards/grafana"] for p in paths), paths
    urls = [
        d["url"]
        for f in (provisioning / "datasources").glob("*.y*ml")
        for d in yaml.safe_load(f.read_text(encoding="utf-8"))["datasources"]
    ]
    assert urls and all(u == "http://prometheus:9090" for u in urls), urls


WRITER_ROLE = json.loads((DEPLOY / "compose" / "newsmon-writer-role.json").read_text(encoding="utf-8"))
# What newsmon asks of Elasticsearch, and the privilege Elasticsearch checks for it (its security
# privileges reference): (request, cluster privilege or (index pattern, index privilege)).
REQUIRED: list[tuple[str, str | tuple[str, str]]] = [
    ("GET / (version probe), GET _cluster/health", "monitor"),
    ("PUT _index_template/newsmon-* (article, alert, dead-letter, feed templates)", "manage_index_templates"),
    ("PUT _ilm/policy/newsmon-articles (retention)", "manage_ilm"),
    ("ILM delete phase, run as the policy's last writer", ("news-articles*", "delete_index")),
    ("ILM policy attached to the article indices", ("news-articles*", "manage_ilm")),
    ("bulk create of articles (yearly indices made on first write)", ("news-articles*", "create_doc")),
    ("auto-created yearly indices", ("news-articles*", "create_index")),
    ("realtime _mget of neighbouring yearly indices, newsmon search, spike history", ("news-articles*", "read")),
    ("refresh after a backfill", ("news-articles*", "maintenance")),
    ("alert documents (create by alert id)", ("news-alerts*", "create_doc")),
    ("dead-letter documents", ("news-deadletter*", "create_doc")),
    ("feed state: bulk update with doc_as_upsert", ("news-feeds*", "index")),
    ("feed state: _mget at start, newsmon feeds", ("news-feeds*", "read")),
    ("newsmon status and trends: alert searches, document counts per index", ("news-alerts*", "read")),
    ("newsmon status: dead-letter count", ("news-deadletter*", "read")),
    ("the feeds index made on first write", ("news-feeds*", "create_index")),
    (
        "new template fields added to existing article indices (PUT _mapping)",
        ("news-articles*", "indices:admin/mapping/put"),
    ),
    (
        "new template fields added to the existing alerts index (PUT _mapping)",
        ("news-alerts*", "indices:admin/mapping/put"),
    ),
    ("story_id for documents older than stories (_update_by_query)", ("news-articles*", "index")),
    ("story band claims: realtime _mget", ("news-stories*", "read")),
    (
        "story band claims: create, replace an expired one (index with if_seq_no); story records (upsert)",
        ("news-stories*", "index"),
    ),
    ("the stories index made on first write", ("news-stories*", "create_index")),
    ("expired band claims: _delete_by_query", ("news-stories*", "delete")),
]


def _granted(role: dict[str, Any], pattern: str, privilege: str) -> bool:
    return any(pattern in entry["names"] and privilege in entry["privileges"] for entry in role["indices"])


@pytest.mark.parametrize(("request_", "needs"), REQUIRED, ids=[r for r, _ in REQUIRED])
def test_the_writer_role_grants_what_each_request_needs(request_: str, needs: str | tuple[str, str]) -> None:
    if isinstance(needs, str):
        assert needs in WRITER_ROLE["cluster"], f"{request_} needs cluster privilege {needs}"
    else:
        assert _granted(WRITER_ROLE, *needs), f"{request_} needs {needs[1]} on {needs[0]}"


def test_the_writer_role_grants_nothing_it_does_not_need() -> None:
    needed_cluster = {n for _, n in REQUIRED if isinstance(n, str)}
    assert set(WRITER_ROLE["cluster"]) == needed_cluster
    for entry in WRITER_ROLE["indices"]:
        assert "all" not in entry["privileges"] and "manage" not in entry["privileges"]
        assert all(not name.startswith("*") for name in entry["names"])
    from pipeline.sinks.feedstate import FEEDS_INDEX

    assert _granted(WRITER_ROLE, FEEDS_INDEX + "*", "index")  # the index name the code writes


def test_every_one_shot_service_is_adopted_so_up_wait_succeeds(compose: dict[str, Any]) -> None:
    """`docker compose up -d --wait` fails when a one-shot container exits and no service depends on it
    with service_completed_successfully (docker/compose#10596); the READMEs use --wait."""
    services = compose["services"]
    one_shots = {name for name, svc in services.items() if str(svc.get("restart", "no")) == "no"}
    assert one_shots == {"setup", "dashboards"}
    for name in one_shots:
        completed = "service_completed_successfully"
        adopters = [
            other
            for other, svc in services.items()
            if other not in one_shots and (svc.get("depends_on") or {}).get(name, {}).get("condition") == completed
        ]
        assert adopters, f"no long-running service waits for {name} to complete"
    for readme in (REPO / "README.md", DEPLOY / "README.md"):
        assert "up -d --build --wait" in readme.read_text() or "up -d --wait" in readme.read_text(), readme


def test_the_network_policy_admits_only_the_metrics_port_from_monitoring() -> None:
    base = DEPLOY / "k8s" / "base"
    policy = yaml.safe_load((base / "networkpolicy.yaml").read_text(encoding="utf-8"))
    deployment = yaml.safe_load((base / "deployment.yaml").read_text(encoding="utf-8"))
    assert "networkpolicy.yaml" in yaml.safe_load((base / "kustomization.yaml").read_text())["resources"]
    spec = policy["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    template_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert spec["podSelector"]["matchLabels"].items() <= template_labels.items()
    [rule] = spec["ingress"]
    assert [p["port"] for p in rule["ports"]] == ["metrics"]
    ports = {
        p["name"]: p["containerPort"]
        for c in deployment["spec"]["template"]["spec"]["containers"]
        for p in c.get("ports", [])
    }
    assert set(ports) == {"metrics"}  # Prism's and the worker pool's ports are not declared, and not admitted
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_lock_pins_every_dependency_with_plain_versions() -> None:
    """deploy/constraints.txt (deploy/lock.sh) is what install.sh and the image install with."""
    import tomllib

    lines = [
        line
        for line in (DEPLOY / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    pinned = {}
    for line in lines:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+!\-]+", line), f"not name==version: {line}"
        name, version = line.split("==")
        pinned[_canonical(name)] = version
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    names = {_canonical(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]) for spec in wanted}
    assert names - set(pinned) == set(), "run deploy/lock.sh after changing pyproject.toml"
    assert "-c constraints.txt" in DOCKERFILE.read_text()
    assert 'install -c "$constraints"' in (DEPLOY / "local" / "install.sh").read_text()
