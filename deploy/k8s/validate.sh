#!/usr/bin/env bash
# Validate the Kubernetes overlays offline: render each with a pinned
# kustomize, then check every object against Kubernetes' JSON schemas and the
# Prometheus Operator's models (deploy/k8s/validate_manifests.py), PromQL with
# promtool, and that base/prometheusrule.yaml matches deploy/prometheus/rules.
#
#   bash deploy/k8s/validate.sh [OVERLAY...]     (default: every overlay)
#   bash deploy/k8s/validate.sh --install        (only install the tools)
#
# Tools go to .cache/ through their registries' own clients, nothing at run
# time from anywhere else: kustomize with `go install` (Go module proxy) into
# .cache/bin/kustomize; kubernetes-validate (ships the Kubernetes JSON
# schemas) and cloudcoil-models-prometheus-operator (CRD models) with pip into
# .cache/k8s-validate-venv. promtool is the one of the Prometheus release the
# rules are written for (deploy/local/install.sh promtool -> .cache/bin/promtool).
# The Flink Kubernetes Operator's FlinkDeployment CRD (overlays/flink) comes
# from its API jar on Maven Central (mvn) into .cache/k8s-crds/. Rendered
# manifests land in .cache/k8s/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/../.." && pwd -P)"
cache="$repo/.cache"

KUSTOMIZE_VERSION=v5.8.1
KUBERNETES_VALIDATE_VERSION=1.37.0
CLOUDCOIL_PROMETHEUS_OPERATOR_VERSION=0.80.1.0
# Kubernetes versions the manifests must be valid for (oldest supported, newest).
KUBERNETES_VERSIONS=(1.30.0 1.34.0)

kustomize="$cache/bin/kustomize"
venv="$cache/k8s-validate-venv"
stamp="$venv/.newsmon-validators"

say() { printf '[k8s-validate] %s\n' "$*"; }
die() { printf '[k8s-validate] ERROR: %s\n' "$*" >&2; exit 1; }

kustomize_is_current() {
    [[ -x "$kustomize" ]] && command -v go >/dev/null 2>&1 &&
        go version -m "$kustomize" 2>/dev/null |
        grep -Eq "^[[:space:]]+mod[[:space:]]+sigs.k8s.io/kustomize/kustomize/v5[[:space:]]+${KUSTOMIZE_VERSION}[[:space:]]"
}

install_kustomize() {
    kustomize_is_current && return 0
    command -v go >/dev/null 2>&1 || die "go not found: kustomize is built with 'go install' (install Go)"
    say "go install sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION -> $kustomize"
    mkdir -p "$cache/bin"
    env GOBIN="$cache/bin" GOPATH="$cache/go" GOMODCACHE="$cache/go/pkg/mod" GOCACHE="$cache/go-build" \
        GOFLAGS=-modcacherw GOTOOLCHAIN=local \
        go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
    kustomize_is_current || die "kustomize $KUSTOMIZE_VERSION missing after go install"
}

install_validators() {
    local want="kubernetes-validate==$KUBERNETES_VALIDATE_VERSION cloudcoil-models-prometheus-operator==$CLOUDCOIL_PROMETHEUS_OPERATOR_VERSION"
    [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
    local python="${PYTHON:-python3}"
    command -v "$python" >/dev/null 2>&1 || die "$python not found (the validators are Python packages)"
    say "pip install $want -> $venv"
    [[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
    # shellcheck disable=SC2086  # $want is a list of requirement specifiers
    "$venv/bin/pip" install --quiet --disable-pip-version-check $want
    printf '%s\n' "$want" >"$stamp"
}

# The CRDs of the non-built-in kinds the overlays use, extracted from the
# operator's API jar (its fabric8-generated CRD files).
FLINK_K8S_OPERATOR_VERSION=1.10.0
crd_dir="$cache/k8s-crds"
flink_crd="$crd_dir/flinkdeployments.flink.apache.org-v1beta1-$FLINK_K8S_OPERATOR_VERSION.yml"
install_crds() {
    [[ -s "$flink_crd" ]] && return 0
    command -v mvn >/dev/null 2>&1 || die "mvn not found: the FlinkDeployment CRD is fetched with Maven (Debian package maven)"
    local artifact="org.apache.flink:flink-kubernetes-operator-api:$FLINK_K8S_OPERATOR_VERSION" tmp
    say "mvn dependency:copy $artifact -> $crd_dir"
    tmp="$(mktemp -d)"
    mvn -B -ntp -q -Dmaven.repo.local="$cache/m2" dependency:copy -Dartifact="$artifact" \
        -DoutputDirectory="$tmp" >"$tmp/mvn.log" 2>&1 || { cat "$tmp/mvn.log" >&2; die "could not fetch $artifact"; }
    mkdir -p "$crd_dir"
    "$venv/bin/python" - "$tmp"/flink-kubernetes-operator-api-*.jar "$flink_crd.tmp" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as jar, open(sys.argv[2], "wb") as out:
    out.write(jar.read("META-INF/fabric8/flinkdeployments.flink.apache.org-v1beta1.yml"))
PY
    mv "$flink_crd.tmp" "$flink_crd"
    rm -rf "$tmp"
}

overlays=()
install_only=0
for arg in "$@"; do
    case "$arg" in
    --install) install_only=1 ;;
    -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) [[ -f "$here/overlays/$arg/kustomization.yaml" ]] || die "no overlay '$arg' in $here/overlays"
       overlays+=("$arg") ;;
    esac
done

install_kustomize
install_validators
install_crds
[[ $install_only -eq 1 ]] && { say "tools installed"; exit 0; }

if [[ ${#overlays[@]} -eq 0 ]]; then
    for d in "$here"/overlays/*/; do overlays+=("$(basename "$d")"); done
fi

"$venv/bin/python" "$here/gen_prometheusrule.py" --check

promtool="$cache/bin/promtool"
[[ -x "$promtool" ]] || die "$promtool not found — fix: bash deploy/local/install.sh promtool"

version_args=()
for v in "${KUBERNETES_VERSIONS[@]}"; do version_args+=(--kubernetes-version "$v"); done
mkdir -p "$cache/k8s"
status=0
for overlay in "${overlays[@]}"; do
    out="$cache/k8s/$overlay.yaml"
    if ! "$kustomize" build "$here/overlays/$overlay" >"$out"; then
        printf '[k8s-validate] ERROR: kustomize build overlays/%s failed\n' "$overlay" >&2
        status=1
        continue
    fi
    "$venv/bin/python" "$here/validate_manifests.py" "$out" "${version_args[@]}" --promtool "$promtool" --crd "$flink_crd" || status=1
done
exit "$status"
