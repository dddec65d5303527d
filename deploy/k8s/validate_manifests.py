#!/usr/bin/env python3
"""Validate rendered Kubernetes manifests offline (run by deploy/k8s/validate.sh in its own venv).

    validate_manifests.py MANIFESTS.yaml [--kubernetes-version 1.30 ...]

* Built-in kinds: the JSON schemas shipped in the PyPI package
  ``kubernetes-validate`` (strict: unknown fields are errors), for each
  Kubernetes version given.
* Prometheus Operator kinds (ServiceMonitor, PodMonitor, PrometheusRule):
  the pydantic models of ``cloudcoil-models-prometheus-operator``, generated
  from the operator's CRD schemas; a field the model does not know is an error.
* PrometheusRule groups: ``promtool check rules`` (PromQL and templates).
* Kinds of a CRD given with ``--crd FILE`` (e.g. the Flink Kubernetes
  Operator's FlinkDeployment, from its API jar: validate.sh fetches it): the
  CRD's openAPIV3Schema with jsonschema, strict (a field the schema does not
  declare is an error, unless the schema preserves unknown fields).
* Any other kind is an error: add a validator before adding the resource.

Exit status 0 when every document passes, 1 otherwise; one line per problem.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

OPERATOR_KINDS = ("ServiceMonitor", "PodMonitor", "PrometheusRule")


def _where(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    return f"{doc.get('kind')}/{meta.get('name')}"


def _unknown_fields(given: Any, known: Any, path: str = "") -> list[str]:
    """Paths present in ``given`` but dropped by the model (pydantic ignores unknown fields)."""
    if isinstance(given, dict):
        if not isinstance(known, dict):
            return [path or "."]
        out = []
        for key, value in given.items():
            if key not in known:
                out.append(f"{path}.{key}" if path else key)
            else:
                out += _unknown_fields(value, known[key], f"{path}.{key}" if path else key)
        return out
    if isinstance(given, list) and isinstance(known, list):
        return [
            p for i, (g, k) in enumerate(zip(given, known, strict=False)) for p in _unknown_fields(g, k, f"{path}[{i}]")
        ]
    return []


def check_operator_kind(doc: dict[str, Any]) -> list[str]:
    from cloudcoil.models.prometheus_operator import v1 as monitoring
    from pydantic import ValidationError

    if doc.get("apiVersion") != "monitoring.coreos.com/v1":
        return [f"{_where(doc)}: apiVersion must be monitoring.coreos.com/v1"]
    model = getattr(monitoring, doc["kind"])
    try:
        parsed = model.model_validate(doc)
    except ValidationError as exc:
        return [f"{_where(doc)}: {err['loc']}: {err['msg']}" for err in exc.errors()]
    dumped = parsed.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return [f"{_where(doc)}: unknown field {p}" for p in _unknown_fields(doc, dumped)]


def check_rules(doc: dict[str, Any], promtool: str) -> list[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump({"groups": doc.get("spec", {}).get("groups", [])}, f)
    try:
        run = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True, check=False)
    finally:
        Path(f.name).unlink()
    if run.returncode != 0:
        return [f"{_where(doc)}: promtool check rules: {(run.stdout + run.stderr).strip()}"]
    return []


def load_crds(paths: list[Path]) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) → openAPIV3Schema, from CustomResourceDefinition files (v1 or the old v1beta1 layout)."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in paths:
        for crd in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            spec = crd["spec"]
            for version in spec["versions"]:
                schema = (version.get("schema") or spec.get("validation") or {}).get("openAPIV3Schema")
                if schema:
                    schemas[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = schema
    return schemas


def _strict(schema: Any) -> Any:
    """The schema with additionalProperties false wherever it lists properties and keeps no unknown fields."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def check_custom(doc: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    import jsonschema

    body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind", "metadata")}
    strict = _strict(
        {
            **schema,
            "properties": {
                k: v for k, v in schema.get("properties", {}).items() if k not in ("apiVersion", "kind", "metadata")
            },
        }
    )
    validator = jsonschema.Draft7Validator(strict)
    return [
        f"{_where(doc)}: {'.'.join(str(p) for p in err.absolute_path) or '.'}: {err.message}"
        for err in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
    ]


def check_builtin(doc: dict[str, Any], versions: list[str]) -> list[str]:
    problems = []
    for version in versions:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            problems.append(f"{_where(doc)} (Kubernetes {version}): {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(
                f"{_where(doc)}: no schema for {doc.get('apiVersion')} {doc.get('kind')} in Kubernetes {version}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifests", type=Path)
    parser.add_argument(
        "--kubernetes-version",
        action="append",
        dest="versions",
        help="validate against this Kubernetes version (repeatable; default 1.30.0 and 1.34.0)",
    )
    parser.add_argument(
        "--promtool",
        default=shutil.which("promtool"),
        help="promtool binary for PrometheusRule groups (default: from PATH)",
    )
    parser.add_argument(
        "--crd",
        action="append",
        type=Path,
        default=[],
        help="a CustomResourceDefinition file whose kinds to validate (repeatable)",
    )
    args = parser.parse_args(argv)
    versions = args.versions or ["1.30.0", "1.34.0"]
    crds = load_crds(args.crd)
    docs = [d for d in yaml.safe_load_all(args.manifests.read_text(encoding="utf-8")) if d]
    if not docs:
        print(f"{args.manifests}: no Kubernetes objects", file=sys.stderr)
        return 1
    problems: list[str] = []
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            problems.append(f"{args.manifests}: a document without apiVersion/kind")
            continue
        if str(doc["apiVersion"]).startswith("monitoring.coreos.com/"):
            if doc["kind"] not in OPERATOR_KINDS:
                problems.append(f"{_where(doc)}: no validator for this Prometheus Operator kind")
                continue
            problems += check_operator_kind(doc)
            if doc["kind"] == "PrometheusRule":
                if not args.promtool:
                    problems.append(
                        f"{_where(doc)}: promtool not found — fix: bash deploy/local/install.sh "
                        "promtool (.cache/bin/promtool), or pass --promtool"
                    )
                else:
                    problems += check_rules(doc, args.promtool)
        elif (str(doc["apiVersion"]), str(doc["kind"])) in crds:
            problems += check_custom(doc, crds[(str(doc["apiVersion"]), str(doc["kind"]))])
        else:
            problems += check_builtin(doc, versions)
    for p in problems:
        print(f"ERROR {p}")
    kinds = ", ".join(sorted({str(d.get("kind")) for d in docs if isinstance(d, dict)}))
    print(
        f"{args.manifests}: {len(docs)} objects ({kinds}) against Kubernetes {', '.join(versions)}: "
        f"{'FAILED' if problems else 'ok'}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
