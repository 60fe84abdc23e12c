#!/bin/bash
# The ARM64 smoke suite (make linux-arm64-test; make linux-arm64-smoke in CI, on the command
# line built alone): the arm64 build (glibc 2.28, for UOS and Kylin on
# Kunpeng and Phytium) run by qemu-aarch64 in user mode, with Debian's arm64 C library as
# its root, gives the outputs that the x86-64 build `make test` ran gives
# (scripts/smoke-outputs.sh: audits, every export format, a board and the township map
# printed, the ledger, the website, a GBK roster), in a folder whose path has Chinese
# characters and a space.
# Usage: smoke-arm64.sh [BINDIR]   (BINDIR, in the repository, holds the arm64 gridmap-cli)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
lin="$root/target/x86_64-unknown-linux-gnu/release/gridmap"
arm="$root/${1:-target/arm64/aarch64-unknown-linux-gnu/release}/gridmap-cli"
sysroot=/usr/aarch64-linux-gnu
for f in "$lin" "$arm"; do
    [ -x "$f" ] || { echo "smoke-arm64: missing $f (make test; make linux-arm64 or make linux-arm64-cli)"; exit 2; }
done
if ! command -v qemu-aarch64 > /dev/null || [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
    echo "smoke-arm64: qemu-aarch64 or $sysroot missing (apt-get install qemu-user libc6-arm64-cross)"
    exit 2
fi
# shellcheck source=scripts/checks.sh
. scripts/checks.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LANG=C.UTF-8
dir="$work/测试 目录/晋屏镇"
mkdir -p "$dir"

check "gridmap-cli is an AArch64 program" sh -c "readelf -h '$arm' | grep -q 'Machine:.*AArch64'"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
check "gridmap-cli --version under qemu-aarch64" sh -c \
    "qemu-aarch64 -L '$sysroot' '$arm' --version | grep -qx 'gridmap $version'"

side=arm64
foreign() {
    qemu-aarch64 -L "$sysroot" "$arm" "$@" 2> /dev/null
}
echo "ARM64 smoke suite (qemu-aarch64) in $dir"
# shellcheck source=scripts/smoke-outputs.sh
. "$root/scripts/smoke-outputs.sh"

summary "ARM64 smoke suite"
