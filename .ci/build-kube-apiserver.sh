#!/usr/bin/env bash
# Builds kube-apiserver from the Go module proxy into $1 (a folder), for the tests that need a real
# Kubernetes API server (test/services/helm-install.spec.ts, tenant-operator.spec.ts).
# k8s.io/kubernetes leaves its staging modules (k8s.io/api, apimachinery, apiserver...) out of its module zip
# and its go.mod points them at ./staging: a module of our own requires it and replaces each staging module
# by the version published for the same release (Kubernetes v1.X.Y publishes them as v0.X.Y).
set -euo pipefail
out=$(cd "$1" && pwd)
version=${KUBE_VERSION:-v1.37.2}
staging=v0${version#v1}
dir=$(mktemp -d /tmp/kube-apiserver-build.XXXXXX)
cd "$dir"
mod=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
{
  echo 'module kubeapiserverbuild'
  echo 'go 1.26'
  echo "require k8s.io/kubernetes $version"
  echo 'replace ('
  grep -E '^\s*k8s.io/[a-z0-9-]+ => ./staging' "$mod" | awk -v v="$staging" '{print "  " $1 " => " $1 " " v}'
  echo ')'
} >go.mod
GOFLAGS="-trimpath -mod=mod" CGO_ENABLED=0 go build -ldflags="-s -w" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
rm -rf "$dir"
