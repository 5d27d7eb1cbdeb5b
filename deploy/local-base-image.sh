#!/usr/bin/env bash
# Builds localhost/node:24-bookworm-slim-local, a stand-in for docker.io/library/node:24-bookworm-slim where
# Docker Hub cannot be reached (this project's CI reaches Debian's mirror and npm, not Docker Hub):
# Debian bookworm (debootstrap --variant=minbase) plus the Node 24 binary of the project's `node` npm
# package and npm. Then: buildah bud --build-arg NODE_IMAGE=localhost/node:24-bookworm-slim-local ...
set -euo pipefail
cd "$(dirname "$0")/.."
storage=(--storage-driver "${BUILDAH_STORAGE_DRIVER:-vfs}")
rootfs=$(mktemp -d /tmp/lattice-base.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
install -m 0755 "$(readlink -f node_modules/node/bin/node)" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$(npm root -g)/npm" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
# Machines whose HTTPS goes through an intercepting proxy trust its CA (NODE_EXTRA_CA_CERTS); npm inside the build must too.
extra_ca=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  mkdir -p "$rootfs/etc/ssl/certs"
  cp "$NODE_EXTRA_CA_CERTS" "$rootfs/etc/ssl/certs/extra-ca.pem"
  extra_ca=(--env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/extra-ca.pem)
fi
container=$(buildah "${storage[@]}" from scratch)
buildah "${storage[@]}" copy "$container" "$rootfs" / >/dev/null
buildah "${storage[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${extra_ca[@]}" --cmd node "$container"
buildah "${storage[@]}" commit --rm "$container" localhost/node:24-bookworm-slim-local
