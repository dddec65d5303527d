#!/usr/bin/env bash
# Build Beam's Prism runner with its job service bound to 127.0.0.1.
#
#   bash deploy/prism/build.sh BEAM_VERSION OUTPUT_BINARY WORK_DIR
#
# Used by deploy/local/install.sh (prism) and deploy/Dockerfile, so the binary
# the tests run is the one the image ships. The Go environment (GOMODCACHE,
# GOCACHE, GOFLAGS, GOTOOLCHAIN, CGO_ENABLED) is the caller's.
#
# Why: Prism (cmd/prism, pkg/beam/runners/prism/internal/jobservices) listens
# with net.Listen("tcp", ":PORT"), on every interface, and has no flag or
# variable for the address. That one listener serves the job service (which
# accepts pipelines whose PROCESS environments run commands as the job's user)
# and the Fn API of every worker. Prism itself only ever hands out
# "localhost:PORT" (Server.Endpoint, MultiplexW.endpoint) and newsmon connects
# to 127.0.0.1, so binding loopback changes nothing for newsmon and closes the
# port to the network. The change is one line, applied to a copy of the
# module's source; the build stops if that line is not found exactly once
# (a Beam upgrade that moved it needs this script looked at).
set -euo pipefail

[[ $# -eq 3 ]] || { echo "usage: $0 BEAM_VERSION OUTPUT_BINARY WORK_DIR" >&2; exit 2; }
version="$1" out="$2" work="$3"
module=github.com/apache/beam/sdks/v2
server=go/pkg/beam/runners/prism/internal/jobservices/server.go
upstream='net.Listen("tcp", fmt.Sprintf(":%d", port))'
patched='net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))'

die() { echo "prism-build: $*" >&2; exit 1; }

src="$(go mod download -json "$module@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[[ -f "$src/$server" ]] || die "no $server in $module@v$version (downloaded to '$src')"

rm -rf "$work"
mkdir -p "$work/beam"
# Only the Go part of the module (the module also holds the Java and Python SDKs).
cp -R "$src/go.mod" "$src/go.sum" "$src/go" "$work/beam/"
chmod -R u+w "$work/beam"
[[ "$(grep -cF "$upstream" "$work/beam/$server")" == 1 ]] ||
    die "'$upstream' not found exactly once in $server of Beam v$version: review the bind-address patch"
text="$(<"$work/beam/$server")"
printf '%s\n' "${text/"$upstream"/"$patched"}" >"$work/beam/$server"
[[ "$(grep -cF "$patched" "$work/beam/$server")" == 1 ]] || die "the bind-address patch did not apply"

# A wrapper module whose only dependency is the patched copy: the build list is
# Beam's own (its go.sum covers it).
cp "$src/go.sum" "$work/go.sum"
cat >"$work/go.mod" <<MOD
module newsmon.local/prism-build

go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$src/go.mod")

require $module v$version

replace $module v$version => ./beam
MOD
cd "$work"
go build -mod=mod -trimpath -o "$out.tmp" "$module/go/cmd/prism"
mv "$out.tmp" "$out"
echo "prism-build: $out (Beam v$version, job service on 127.0.0.1)"
