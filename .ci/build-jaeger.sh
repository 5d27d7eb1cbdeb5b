#!/usr/bin/env bash
# Builds Jaeger v2 (the jaeger binary: an OpenTelemetry collector with Jaeger's storage and query) from the Go
# module proxy into $1, for test/services/tracing-jaeger.spec.ts. `go install ...@latest` refuses it (its go.mod
# has a replace directive), so a module of our own requires it with the same replace.
set -euo pipefail
out=$(cd "$1" && pwd)
version=${JAEGER_VERSION:-v1.76.0}
dir=$(mktemp -d /tmp/jaeger-build.XXXXXX)
cd "$dir"
mod=$(go mod download -json "github.com/jaegertracing/jaeger@$version" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
{
  echo 'module jaegerbuild'
  echo 'go 1.26'
  echo "require github.com/jaegertracing/jaeger $version"
  grep -E '^replace ' "$mod" || true
} >go.mod
GOFLAGS="-trimpath -mod=mod" CGO_ENABLED=0 go build -ldflags="-s -w" -o "$out/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger
rm -rf "$dir"
