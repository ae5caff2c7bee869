#!/usr/bin/env bash
# Builds the project's image with podman from a Debian base made locally (no container
# registry is reachable here): `localhost/permitwatch:dev`. The base is made once with
# mmdebstrap; the host's CA bundle and pip/npm configuration are mounted at build time only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
command -v podman >/dev/null && command -v mmdebstrap >/dev/null && command -v runc >/dev/null || apt_install podman mmdebstrap runc
P=(podman --runtime runc --cgroup-manager=cgroupfs)
LIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
if ! "${P[@]}" image exists localhost/debian:bookworm; then
  log "making the Debian bookworm base image (mmdebstrap)"
  tmp=$(mktemp -d)
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$tmp/rootfs.tar"
  "${P[@]}" import "$tmp/rootfs.tar" localhost/debian:bookworm >/dev/null
  rm -rf "$tmp"
fi
mounts=()
for f in /etc/ssl/certs/ca-certificates.crt /etc/pip.conf /etc/npmrc /root/.npmrc; do
  [ -f "$f" ] && mounts+=(-v "$f:$f:ro")
done
log "building localhost/permitwatch:dev"
"${P[@]}" build --quiet --network=host "${LIMITS[@]}" "${mounts[@]}" \
  --build-arg BASE=localhost/debian:bookworm --build-arg NODE_BASE=localhost/debian:bookworm \
  -t localhost/permitwatch:dev . >/dev/null
