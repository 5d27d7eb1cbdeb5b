#!/usr/bin/env bash
# Builds the image with buildah (Debian's) and runs it: the single-process server on its embedded database,
# as the image's user, answering /health/ready and /_matrix/client/versions. Used by .ci/run.
# Docker Hub is not reachable from CI: the base image is then a local stand-in (deploy/local-base-image.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
storage=(--storage-driver "${BUILDAH_STORAGE_DRIVER:-vfs}")
base=docker.io/library/node:24-bookworm-slim
if ! buildah "${storage[@]}" pull -q "$base" >/dev/null 2>&1; then
  echo "image-smoke: $base cannot be pulled here; building the local stand-in base"
  deploy/local-base-image.sh
  base=localhost/node:24-bookworm-slim-local
fi
buildah "${storage[@]}" bud --isolation chroot --build-arg NODE_IMAGE="$base" -f deploy/Containerfile -t localhost/lattice:dev .
container=$(buildah "${storage[@]}" from localhost/lattice:dev)
trap 'buildah "${storage[@]}" rm "$container" >/dev/null' EXIT
buildah "${storage[@]}" run --isolation chroot --user 10001:10001 --env LATTICE_PORT=18888 "$container" -- sh -c '
  node dist/apps/homeserver/src/main.js & server=$!
  for _ in $(seq 1 120); do
    if node -e "Promise.all([\"/health/ready\", \"/_matrix/client/versions\"].map((p) => fetch(\"http://127.0.0.1:18888\" + p).then((r) => { if (!r.ok) throw new Error(p + \": \" + r.status); return r.json(); }))).then((a) => { console.log(JSON.stringify(a)); process.exit(0); }, () => process.exit(1))"; then
      kill -TERM $server; wait $server; echo "image-smoke: the image serves, as uid $(id -u)"; exit 0
    fi
    sleep 1
  done
  echo "image-smoke: no answer from the server in the image"; exit 1'
