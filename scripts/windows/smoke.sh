#!/bin/bash
# The Windows smoke suite (make windows-test): the Windows build under Wine does what the
# Linux build that `make test` ran does, on the sample, in a folder whose path has Chinese
# characters and spaces. Outputs must equal the Linux build's: byte for byte where the format
# is deterministic (reports, GeoJSON, CSV, shapefiles, PDF, PNG), by content otherwise
# (GeoPackage: its GeoJSON export; XLSX: every part but the creation time). Then the app
# itself opens the sample in a window under Xvfb and its screenshot must show the map.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
lin="$root/target/x86_64-unknown-linux-gnu/release/gridmap"
win_bin="$root/target/windows/x86_64-pc-windows-gnu/release"
for f in "$lin" "$win_bin/gridmap.exe" "$win_bin/gridmap-cli.exe"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "smoke: missing $f (make test; make windows)"; exit 2; }
done

work=$(mktemp -d)
# Wine's server outlives the last program by seconds and writes its registry into the
# prefix as it ends: stop it and wait for it before the folder goes.
cleanup() {
    wineserver -k > /dev/null 2>&1 || true
    wineserver -w > /dev/null 2>&1 || true
    rm -rf "$work" 2> /dev/null || { sleep 2; rm -rf "$work"; }
}
trap cleanup EXIT
# Wine turns the arguments into UTF-16 by the locale: without a UTF-8 one, Chinese file
# names would not reach the programs intact.
export LANG=C.UTF-8
export WINEPREFIX="$work/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wineboot --init >/dev/null 2>&1 || true
# Wait for the new prefix to settle: a window opened before it has may hang.
wineserver -w

# The Windows side works in a folder with Chinese characters and a space in its path.
dir="$work/测试 目录/晋屏镇"
mkdir -p "$dir"
cp "$win_bin/gridmap.exe" "$win_bin/gridmap-cli.exe" "$dir/"
# Wine 8.0 lacks bcryptprimitives.dll (ProcessPrng): a shim beside the exe, for tests only.
x86_64-w64-mingw32-gcc-posix -shared -O2 -o "$dir/bcryptprimitives.dll" \
    scripts/windows/bcryptprimitives.c scripts/windows/bcryptprimitives.def -ladvapi32

# shellcheck source=scripts/checks.sh
. scripts/checks.sh

# The command-line program under Wine, its output with DOS line ends made Unix ones.
side=win
foreign() {
    wine "$dir/gridmap-cli.exe" "$@" 2>/dev/null | tr -d '\r'
    return "${PIPESTATUS[0]}"
}
echo "Windows smoke suite in $dir"
# shellcheck source=scripts/smoke-outputs.sh
. "$root/scripts/smoke-outputs.sh"

# A drive-letter path: Wine maps Z: to /.
zpath="Z:$(echo "$dir/晋屏镇.geojson" | tr '/' '\\')"
(cd "$dir/win" && wine "$dir/gridmap-cli.exe" audit "$zpath" --lang en 2>/dev/null | tr -d '\r' > drive.txt) || true
grep -q "Ready to publish" "$dir/win/drive.txt" && ok "audit of a Z:\\ path" || bad "audit of a Z:\\ path"

# The app in a window under Xvfb: the screenshot shows the map (grid fill colours). Without
# Xvfb (and ImageMagick's convert, which counts the pixels) the check fails: a smoke run
# that skipped it would pass without having looked at the app.
if ! command -v xvfb-run > /dev/null || ! command -v convert > /dev/null; then
    bad "xvfb-run or convert missing (apt-get install xvfb imagemagick): the app's screenshot was not checked"
else
    # The command-line runs left Wine's server and desktop running without a display; the
    # window needs them started afresh under Xvfb.
    wineserver -k > /dev/null 2>&1 || true
    wineserver -w
    (cd "$dir" && timeout 180 xvfb-run -a -s "-screen 0 1400x900x24" wine "$dir/gridmap.exe" --screenshot 截图.png 晋屏镇.geojson > /dev/null 2>&1) && shot_rc=0 || shot_rc=$?
    [ "$shot_rc" = 0 ] && ok "the app exits 0 after saving its screenshot" || bad "the app exited $shot_rc taking its screenshot"
    if [ -f "$dir/截图.png" ]; then
        px=$(fill_pixels "$dir/截图.png")
        if [ "${px:-0}" -gt 20000 ]; then ok "app screenshot shows the grids ($px fill pixels)"; else bad "app screenshot shows no grid fills ($px pixels)"; fi
        cp "$dir/截图.png" "$root/target/windows/screenshot.png"
    else
        bad "app screenshot not written"
    fi
fi

# Everything linked statically: no MinGW DLL needed beside the exe.
if x86_64-w64-mingw32-objdump -p "$dir/gridmap.exe" | grep -iE 'DLL Name: (libstdc|libgcc|libwinpthread)'; then
    bad "gridmap.exe needs MinGW DLLs"
else
    ok "gridmap.exe needs no MinGW DLL"
fi

summary "Windows smoke suite"
