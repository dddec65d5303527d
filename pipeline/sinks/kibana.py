"""Kibana saved objects: read and check the shipped ndjson, and import it into Kibana.

The pure part (:func:`load_saved_objects`, :func:`check_references`,
:func:`fields_used`, :func:`mapping_fields`) works on plain dicts and lets
tests hold ``dashboards/kibana/newsmon.ndjson`` to the index template. The
I/O part, :func:`import_saved_objects`, POSTs the file to Kibana's saved
objects import API (``/api/saved_objects/_import``) through the engine layer's
HTTP set-up (``pipeline.sinks.engines.Endpoint``: auth and TLS) and retry policy
(``pipeline.sinks.retry``). The ndjson ships inside the package
(:func:`packaged_objects`), so the import works after a plain ``pip install``.

Exceptions::

    NewsmonError
    └── DashboardError            bad ndjson, or Kibana refused the import
        ├── KibanaAuthError       401/403: wrong credentials or missing privileges (not retried)
        └── KibanaUnavailable     connection refused, timeout, TLS failure, 503 (retried within wait_s)
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlsplit

import urllib3

from pipeline.core.config import env_bool, read_secret
from pipeline.core.errors import NewsmonError
from pipeline.sinks.engines import Endpoint
from pipeline.sinks.retry import Backoff, retry_call

__all__ = [
    "DashboardError",
    "KibanaAuthError",
    "KibanaUnavailable",
    "check_references",
    "fields_by_data_view",
    "fields_used",
    "import_options_from_env",
    "import_saved_objects",
    "load_saved_objects",
    "mapping_fields",
    "packaged_objects",
    "saved_objects_path",
]

# Lens's pseudo-field for "count of records"; not a document field.
_RECORDS: Final = "___records___"
# `field : value` / `field:value` / `field >= 3` in KQL and Lucene query strings.
_QUERY_FIELD = re.compile(r"(?<![\w.@\\])([A-Za-z_@][\w.@-]*)\s*(?::|<=?|>=?)")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_IMPORT_PATH: Final = "/api/saved_objects/_import"
# The package's copy of dashboards/kibana/newsmon.ndjson (package data; dashboards/kibana/build.py writes both).
_PACKAGED: Final = ("kibana", "newsmon.ndjson")


class DashboardError(NewsmonError):
    """The saved objects file is invalid, or Kibana refused (part of) the import."""


class KibanaAuthError(DashboardError):
    """Kibana answered 401 or 403."""


class KibanaUnavailable(DashboardError):
    """Kibana could not be reached, timed out, failed TLS, or is not ready (503)."""


# ------------------------------------------------------------------ reading
def load_saved_objects(path: str | Path) -> list[dict[str, Any]]:
    """Parse an ndjson export: one saved object (``id``, ``type``, ``attributes``) per non-blank line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DashboardError(f"{p}: cannot read: {exc.strerror or exc}") from None
    objects: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DashboardError(f"{p}:{number}: not JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise DashboardError(f"{p}:{number}: expected a JSON object, got {type(obj).__name__}")
        missing = [k for k in ("id", "type", "attributes") if k not in obj]
        if missing:
            raise DashboardError(f"{p}:{number}: saved object without {', '.join(missing)}")
        if not isinstance(obj["attributes"], dict) or not isinstance(obj.get("references", []), list):
            raise DashboardError(f"{p}:{number}: 'attributes' must be an object and 'references' a list")
        objects.append(obj)
    if not objects:
        raise DashboardError(f"{p}: no saved objects")
    return objects


def _json_attr(obj: Mapping[str, Any], *path: str) -> Any:
    """A JSON-string attribute (``panelsJSON``, ``searchSourceJSON``, ...) parsed, or None."""
    value: Any = obj.get("attributes", {})
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise DashboardError(f"{obj.get('type')}/{obj.get('id')}: {'.'.join(path)} is not valid JSON") from None


def check_references(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """Problems with the objects' links, as messages; an empty list means the set is self-contained.

    Checks that ids are unique, that every reference names an object of the
    same type in the set, that a dashboard's ``panelRefName`` s and a search's
    ``indexRefName`` each have their reference, and that every Lens layer has
    a data view reference.
    """
    objects = list(objects)
    problems: list[str] = []
    known: dict[tuple[str, str], Mapping[str, Any]] = {}
    for obj in objects:
        key = (str(obj["type"]), str(obj["id"]))
        if key in known:
            problems.append(f"{key[0]}/{key[1]}: id used twice")
        known[key] = obj
    for obj in objects:
        where = f"{obj['type']}/{obj['id']}"
        refs = obj.get("references", [])
        names = set()
        for ref in refs:
            names.add(ref.get("name"))
            if (ref.get("type"), ref.get("id")) not in known:
                problems.append(
                    f"{where}: reference {ref.get('name')!r} -> {ref.get('type')}/{ref.get('id')} is not in the file"
                )
        if obj["type"] == "dashboard":
            for panel in _json_attr(obj, "panelsJSON") or []:
                ref_name = panel.get("panelRefName")
                if ref_name and f"{panel.get('panelIndex')}:{ref_name}" not in names and ref_name not in names:
                    problems.append(f"{where}: panel {panel.get('panelIndex')} has no reference {ref_name!r}")
        source = _json_attr(obj, "kibanaSavedObjectMeta", "searchSourceJSON") or {}
        index_ref = source.get("indexRefName")
        if index_ref and index_ref not in names:
            problems.append(f"{where}: searchSourceJSON.indexRefName {index_ref!r} has no reference")
        if obj["type"] == "lens":
            layers = obj["attributes"].get("state", {}).get("datasourceStates", {}).get("formBased", {})
            for layer in layers.get("layers", {}):
                if f"indexpattern-datasource-layer-{layer}" not in names:
                    problems.append(f"{where}: Lens layer {layer!r} has no data view reference")
    return problems


# ------------------------------------------------------------------ fields
def _query_fields(query: object) -> set[str]:
    """Field names in a KQL/Lucene query string (quoted values removed first)."""
    if isinstance(query, Mapping):
        query = query.get("query")
    if not isinstance(query, str):
        return set()
    return set(_QUERY_FIELD.findall(_QUOTED.sub('""', query)))


def _filter_fields(filters: object) -> set[str]:
    out: set[str] = set()
    for f in filters if isinstance(filters, list) else []:
        key = f.get("meta", {}).get("key") if isinstance(f, Mapping) else None
        if isinstance(key, str):
            out.add(key)
    return out


def _object_fields(obj: Mapping[str, Any]) -> set[str]:
    attrs = obj.get("attributes", {})
    fields: set[str] = set()
    kind = obj.get("type")
    if kind == "index-pattern":
        if attrs.get("timeFieldName"):
            fields.add(attrs["timeFieldName"])
        for key in ("fieldFormatMap", "fieldAttrs"):
            fields |= set(_json_attr(obj, key) or {})
    source = _json_attr(obj, "kibanaSavedObjectMeta", "searchSourceJSON") or {}
    fields |= _query_fields(source.get("query")) | _filter_fields(source.get("filter"))
    if kind == "search":
        fields |= set(attrs.get("columns") or [])
        fields |= {s[0] for s in attrs.get("sort") or [] if isinstance(s, list) and s}
    if kind == "lens":
        state = attrs.get("state", {})
        fields |= _query_fields(state.get("query")) | _filter_fields(state.get("filters"))
        for layer in state.get("datasourceStates", {}).get("formBased", {}).get("layers", {}).values():
            for column in layer.get("columns", {}).values():
                if column.get("sourceField") and column["sourceField"] != _RECORDS:
                    fields.add(column["sourceField"])
                fields |= _query_fields(column.get("filter"))
    if kind == "visualization":
        vis = _json_attr(obj, "visState") or {}
        for agg in vis.get("aggs", []):
            field = agg.get("params", {}).get("field")
            if isinstance(field, str):
                fields.add(field)
    return fields


def fields_by_data_view(objects: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Document fields each data view's objects use, keyed by data view id.

    A data view's own time field and formats count for it; a search, Lens or
    legacy visualisation counts for the data views it references. Dashboards
    only contribute their query's fields, under the key ``""``.
    """
    out: dict[str, set[str]] = {}
    for obj in objects:
        if obj.get("type") == "index-pattern":
            views = [str(obj["id"])]
        else:
            views = sorted({str(r["id"]) for r in obj.get("references", []) if r.get("type") == "index-pattern"})
        for view in views or [""]:
            out.setdefault(view, set()).update(_object_fields(obj))
    return out


def fields_used(objects: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every document field the objects read (time fields, columns, sorts, queries, Lens columns)."""
    return set().union(*fields_by_data_view(objects).values())


def mapping_fields(mappings: Mapping[str, Any], prefix: str = "") -> set[str]:
    """Field names an index mapping defines, including object sub-fields and multi-fields (``title.keyword``)."""
    out: set[str] = set()
    for name, spec in (mappings.get("properties") or {}).items():
        full = f"{prefix}{name}"
        out.add(full)
        out |= mapping_fields(spec, f"{full}.")
        for sub in spec.get("fields") or {}:
            out.add(f"{full}.{sub}")
    return out


# ------------------------------------------------------------------ settings
def packaged_objects() -> Path:
    """The saved objects shipped inside the package (found through the package, wherever it is installed)."""
    return Path(str(resources.files("pipeline").joinpath(*_PACKAGED)))


def saved_objects_path(env: Mapping[str, str]) -> Path:
    """The ndjson to import: ``NEWSMON_KIBANA_OBJECTS``, else the package's copy."""
    if env.get("NEWSMON_KIBANA_OBJECTS"):
        return Path(env["NEWSMON_KIBANA_OBJECTS"])
    return packaged_objects()


def import_options_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments for :func:`import_saved_objects` from the environment (CLI flags override them).

    ``KIBANA_URL``, ``KIBANA_API_KEY``/``_FILE``, ``KIBANA_USERNAME``,
    ``KIBANA_PASSWORD``/``_FILE``, ``KIBANA_SPACE``, ``KIBANA_CA_CERTS``,
    ``KIBANA_VERIFY_CERTS`` (``false`` disables TLS verification).
    """
    return {
        "kibana_url": env.get("KIBANA_URL") or "http://127.0.0.1:5601",
        "api_key": read_secret(env, "KIBANA_API_KEY"),
        "username": env.get("KIBANA_USERNAME") or None,
        "password": read_secret(env, "KIBANA_PASSWORD"),
        "space": env.get("KIBANA_SPACE") or None,
        "ca_certs": env.get("KIBANA_CA_CERTS") or None,
        "verify": env_bool(env, "KIBANA_VERIFY_CERTS", True),
    }


# ------------------------------------------------------------------ import
def _import_url(kibana_url: str, overwrite: bool, space: str | None) -> str:
    parts = urlsplit(kibana_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DashboardError(f"Kibana URL {kibana_url!r} is not an http(s) URL — fix: pass e.g. http://kibana:5601")
    base = kibana_url.rstrip("/")
    if space and space != "default":
        base += f"/s/{quote(space, safe='')}"
    return f"{base}{_IMPORT_PATH}?overwrite={'true' if overwrite else 'false'}"


def _kibana_message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:300].decode("utf-8", "replace").strip()
    if isinstance(data, Mapping):
        return str(data.get("message") or data.get("error") or data)[:300]
    return str(data)[:300]


def _describe_errors(errors: list[Mapping[str, Any]]) -> str:
    lines = []
    for e in errors:
        err = e.get("error", {})
        kind = err.get("type", "unknown")
        detail = ""
        if kind == "missing_references":
            detail = ": missing " + ", ".join(f"{r.get('type')}/{r.get('id')}" for r in err.get("references", []))
        elif err.get("message") or err.get("reason"):
            detail = f": {err.get('message') or err.get('reason')}"
        lines.append(
            f"  {e.get('type')}/{e.get('id')} ({e.get('meta', {}).get('title') or e.get('title', '')}): {kind}{detail}"
        )
    return "\n".join(lines)


# Kibana starting (connection refused, 503): every 1, 2, 4, 8 then 10 s until ``wait_s`` has passed.
_KIBANA_WAIT: Final = Backoff(base_s=0.5, cap_s=10.0, jitter=0.0)


def _kibana_starting(exc: Exception) -> bool:
    """Retried: Kibana not ready (503) or not reachable yet; a TLS failure is configuration, not retried."""
    if isinstance(exc, urllib3.exceptions.SSLError):
        return False
    return isinstance(exc, KibanaUnavailable | urllib3.exceptions.HTTPError)


def import_saved_objects(
    kibana_url: str,
    ndjson_path: str | Path,
    *,
    api_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
    overwrite: bool = True,
    space: str | None = None,
    verify: bool = True,
    ca_certs: str | None = None,
    timeout_s: float = 60.0,
    wait_s: float = 0.0,
    http: urllib3.PoolManager | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Import an ndjson file of saved objects into Kibana; returns Kibana's JSON answer.

    ``api_key`` (the base64 ``id:key`` Kibana shows, sent as ``ApiKey``) wins
    over ``username``/``password`` (Basic). ``space`` imports into that
    Kibana space. ``verify=False`` skips TLS verification; ``ca_certs`` names
    a CA bundle. Connection failures and 503 (Kibana starting) are retried
    until ``wait_s`` seconds have passed (``http`` and ``sleep`` are seams for
    tests and custom pools). Raises :class:`KibanaAuthError` on
    401/403, :class:`KibanaUnavailable` when Kibana cannot be reached, and
    :class:`DashboardError` on any other refusal, including per-object errors
    in a 200 answer (``success: false``), each named with its type, id and reason.
    """
    path = Path(ndjson_path)
    objects = load_saved_objects(path)  # fail before any network on a bad file
    url = _import_url(kibana_url, overwrite, space)
    body, content_type = urllib3.encode_multipart_formdata(
        {"file": (path.name, path.read_bytes(), "application/ndjson")}
    )
    kibana = Endpoint(kibana_url, api_key, username, password, ca_certs, verify)
    headers = {"kbn-xsrf": "newsmon", "Content-Type": content_type, **kibana.auth_headers()}
    pool = http if http is not None else kibana.pool(maxsize=1)
    timeout = urllib3.Timeout(connect=min(10.0, timeout_s), read=timeout_s)

    def post() -> urllib3.BaseHTTPResponse:
        response = pool.request("POST", url, body=body, headers=headers, retries=False, timeout=timeout)
        if response.status == 503:
            raise KibanaUnavailable(
                f"Kibana at {kibana_url} is not ready (503: "
                f"{_kibana_message(response.data)}) — fix: wait for it to start"
            )
        return response

    try:
        response = retry_call(post, _KIBANA_WAIT.with_wait(max(wait_s, 0.0)), _kibana_starting, sleep=sleep)
    except urllib3.exceptions.SSLError as exc:
        raise KibanaUnavailable(
            f"TLS to Kibana at {kibana_url} failed: {exc} — fix: pass the CA bundle "
            "(--ca-certs / KIBANA_CA_CERTS) or use http://"
        ) from None
    except urllib3.exceptions.HTTPError as exc:
        raise KibanaUnavailable(
            f"Kibana at {kibana_url} is unreachable: {type(exc).__name__}: {exc} — fix: check "
            "the URL (--kibana-url / KIBANA_URL) and that Kibana is running"
        ) from None

    status = response.status
    if status in (401, 403):
        what = (
            "credentials were rejected — fix: check KIBANA_API_KEY or KIBANA_USERNAME/KIBANA_PASSWORD"
            if status == 401
            else "the user may not import saved objects — fix: use a user with the kibana_admin role "
            "(or 'Saved Objects Management: All' in the space)"
        )
        raise KibanaAuthError(f"Kibana {status} at {url}: {what} ({_kibana_message(response.data)})")
    if status != 200:
        raise DashboardError(f"Kibana answered {status} to the import at {url}: {_kibana_message(response.data)}")
    try:
        result: dict[str, Any] = json.loads(response.data)
    except ValueError:
        raise DashboardError(f"Kibana's import answer is not JSON: {response.data[:200]!r}") from None
    errors = result.get("errors") or []
    if not result.get("success", False) or errors:
        raise DashboardError(
            f"Kibana refused {len(errors)} of {len(objects)} saved objects from {path}:\n{_describe_errors(errors)}"
        )
    return result
