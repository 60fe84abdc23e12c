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
mkdir -p "$dir/lin" "$dir/win"
cp "$win_bin/gridmap.exe" "$win_bin/gridmap-cli.exe" "$dir/"
# Wine 8.0 lacks bcryptprimitives.dll (ProcessPrng): a shim beside the exe, for tests only.
x86_64-w64-mingw32-gcc-posix -shared -O2 -o "$dir/bcryptprimitives.dll" \
    scripts/windows/bcryptprimitives.c scripts/windows/bcryptprimitives.def -ladvapi32
cp sample-maps/jinping.geojson "$dir/晋屏镇.geojson"
cp sample-maps/jinping-faulty.geojson "$dir/有问题的镇.geojson"
# A staff roster as Excel in China writes it: GBK, CRLF line ends.
printf '网格编码,网格名称,职务,姓名,联系电话\r\n431099101001001,,网格长,王测试,13900000999\r\n' \
    | iconv -f UTF-8 -t GBK > "$dir/名单.csv"

# shellcheck source=scripts/checks.sh
. scripts/checks.sh

# Run the same command line with both builds, in $dir/lin and $dir/win; stdout to OUT.
both() {
    local out=$1
    shift
    (cd "$dir/lin" && set +e; "$lin" "$@" > "$out"; echo $? > "$out.code")
    (cd "$dir/win" && set +e; wine "$dir/gridmap-cli.exe" "$@" 2>/dev/null | tr -d '\r' > "$out"; echo "${PIPESTATUS[0]}" > "$out.code")
}
same() {
    local what=$1 file=$2
    if cmp -s "$dir/lin/$file" "$dir/win/$file"; then ok "$what"; else bad "$what ($file differs)"; fi
}
# Equal up to the last digits of numbers (projected coordinates at full precision).
close() {
    local what=$1 file=$2
    if python3 "$root/scripts/windows/same_numbers.py" "$dir/lin/$file" "$dir/win/$file"; then
        ok "$what"
    else
        bad "$what"
    fi
}
# Equal as read back by the Linux build, as RFC 7946 GeoJSON (7 decimals, about 1 cm).
read_back() {
    local what=$1 file=$2
    for side in lin win; do
        (cd "$dir/$side" && "$lin" export "$file" --out "$file.back.geojson" > /dev/null) || true
    done
    same "$what (read back)" "$file.back.geojson"
}

cd "$dir"
echo "Windows smoke suite in $dir"
both audit.txt audit ../晋屏镇.geojson --lang zh
same "audit, text" audit.txt
same "audit, exit code" audit.txt.code
both audit-faulty.json audit ../有问题的镇.geojson --format json
same "audit of the faulty sample, JSON" audit-faulty.json
same "audit of the faulty sample, exit code 1" audit-faulty.json.code
grep -q '"kind":"gap"' "$dir/win/audit-faulty.json" && ok "the Windows report names the gap" || bad "no gap in the Windows report"

both export-geojson.out export ../晋屏镇.geojson --out 导出.geojson
same "export GeoJSON" 导出.geojson
both export-csv.out export ../晋屏镇.geojson --out 导出.csv
close "export CSV" 导出.csv
both export-shp.out export ../晋屏镇.geojson --out 导出.shp
for part in grids boundary rivers reservoirs villages; do
    [ -f "$dir/lin/导出_$part.shp" ] || continue
    for ext in shx dbf prj cpg; do
        same "export shapefile $part.$ext" "导出_$part.$ext"
    done
    read_back "export shapefile $part.shp" "导出_$part.shp"
done
both export-gpkg.out export ../晋屏镇.geojson --out 导出.gpkg
read_back "export GeoPackage" 导出.gpkg

both print-pdf.out print ../晋屏镇.geojson --layout township --paper A3 --date 2026-01-01 --out 网格图.pdf
same "print township map, PDF" 网格图.pdf
both print-png.out print ../晋屏镇.geojson --layout board --grid JP05-01 --dpi 100 --date 2026-01-01 --out 公示牌.png
same "print display board, PNG" 公示牌.png

both ledger.out ledger ../晋屏镇.geojson --out 台账.xlsx
for side in lin win; do
    mkdir -p "$dir/$side/xlsx" && (cd "$dir/$side/xlsx" && unzip -q -o ../台账.xlsx && rm -f docProps/core.xml)
done
if diff -r "$dir/lin/xlsx" "$dir/win/xlsx" > /dev/null; then ok "ledger XLSX (content)"; else bad "ledger XLSX content differs"; fi
both ledger-csv.out ledger ../晋屏镇.geojson --out 台账.csv
for f in "$dir"/lin/台账*.csv; do same "ledger CSV $(basename "$f")" "$(basename "$f")"; done

# The residents' website, twice: the second replaces the first whole (renames of folders).
for n in 1 2; do
    both publish-$n.out publish ../晋屏镇.geojson --out 网站 --hotline 0735-5550000 --base-url https://example.gov.cn/wg/
done
same "publish again, exit code" publish-2.out.code
if diff -r "$dir/lin/网站" "$dir/win/网站" > /dev/null; then ok "published website (every page)"; else bad "published website differs"; fi
if ls -a "$dir/win" | grep -q gridmap-; then bad "publish left a folder beside the site"; else ok "publish leaves nothing beside the site"; fi

both staff.out staff ../晋屏镇.geojson --import ../名单.csv --out 人员.geojson
same "staff import (GBK, CRLF)" 人员.geojson
grep -q 王测试 "$dir/win/人员.geojson" && ok "the roster's name is in the Windows result" || bad "roster not imported on Windows"

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
        # Pixels of the first two fill colours of the map palette (#f4d6a0, #bfe3b4).
        n=$(convert "$dir/截图.png" -format %c histogram:info:- | grep -ciE '#(F4D6A0|BFE3B4)' || true)
        px=$(convert "$dir/截图.png" -format %c histogram:info:- | grep -iE '#(F4D6A0|BFE3B4)' | awk '{s+=$1} END {print s+0}')
        if [ "${px:-0}" -gt 20000 ]; then ok "app screenshot shows the grids ($px fill pixels)"; else bad "app screenshot shows no grid fills ($n colours, $px pixels)"; fi
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
