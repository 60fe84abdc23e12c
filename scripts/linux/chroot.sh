#!/bin/bash
# A fresh Debian 12 (minbase) to install the packages into (scripts/linux/deb-test.sh):
# made once with debootstrap into target/linux/chroot/base, copied anew for every run to
# target/linux/chroot/run, whose path is printed. Needs root (debootstrap, chroot).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$PWD/target/linux/chroot
if [ ! -f "$dir/base/.complete" ]; then
    command -v debootstrap > /dev/null || {
        echo "installing debootstrap with apt-get" >&2
        apt-get update -qq >&2 && apt-get install -y -qq debootstrap > /dev/null
    }
    rm -rf "$dir/base"
    mkdir -p "$dir"
    debootstrap --variant=minbase bookworm "$dir/base" http://deb.debian.org/debian > "$dir/debootstrap.log" 2>&1 ||
        { tail -n 20 "$dir/debootstrap.log" >&2; exit 1; }
    touch "$dir/base/.complete"
fi
rm -rf "$dir/run"
cp -a "$dir/base" "$dir/run"
rm "$dir/run/.complete"
echo "$dir/run"
