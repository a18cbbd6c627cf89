#!/usr/bin/env bash
# Builds the release: static, stripped binaries for Linux on amd64, arm64,
# armv7 and armv6 (Raspberry Pi Zero/1), with the version, commit and date
# stamped in, and their SHA256SUMS, into dist/. Usage: scripts/release.sh [VERSION]
# (default: the git tag on HEAD, else "dev-<commit>"). CI runs it and checks
# that every binary is static.
set -euo pipefail
cd "$(dirname "$0")/.."

commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
version=${1:-$(git describe --tags --exact-match 2>/dev/null || echo "dev-$commit")}
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date"

rm -rf dist && mkdir -p dist
build() { # name GOARCH [GOARM]
  # Stable names, so releases/latest/download/discordgpt-linux-arm64 always works.
  local out="dist/discordgpt-linux-$1"
  CGO_ENABLED=0 GOOS=linux GOARCH=$2 GOARM=${3:-} go build -trimpath -ldflags "$ldflags" -o "$out" .
  echo "built $out ($(du -h "$out" | cut -f1))"
}
build amd64 amd64
build arm64 arm64
build armv7 arm 7
build armv6 arm 6
(cd dist && sha256sum discordgpt-* > SHA256SUMS)
echo "wrote dist/SHA256SUMS"
