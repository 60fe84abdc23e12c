# shellcheck shell=bash
# The outputs a foreign build must give as the Linux x86-64 build does (make windows-test:
# the Windows build under Wine; make linux-arm64-test and make linux-arm64-smoke: the ARM64 build under qemu), sourced by
# scripts/windows/smoke.sh and scripts/linux/smoke-arm64.sh. They set `lin` (the Linux
# program), `dir` (a folder with the inputs, and `lin` and `$side` folders for the two
# builds' outputs), `side` and `foreign` (a function running the foreign command-line
# program with its arguments, its standard output as the program wrote it), and source
# scripts/checks.sh. Outputs must be equal byte for byte where the format is deterministic
# (reports, GeoJSON, CSV, shapefiles, PDF, PNG), by content otherwise (GeoPackage: its
# GeoJSON export; XLSX: every part but the creation time).

# The inputs: the samples, and a staff roster as Excel in China writes it (GBK, CRLF).
mkdir -p "$dir/lin" "$dir/$side"
cp "$root/sample-maps/jinping.geojson" "$dir/晋屏镇.geojson"
cp "$root/sample-maps/jinping-faulty.geojson" "$dir/有问题的镇.geojson"
printf '网格编码,网格名称,职务,姓名,联系电话\r\n431099101001001,,网格长,王测试,13900000999\r\n' \
    | iconv -f UTF-8 -t GBK > "$dir/名单.csv"

# Run the same command line with both builds, in $dir/lin and $dir/$side; stdout to OUT.
both() {
    local out=$1
    shift
    (cd "$dir/lin" && set +e; "$lin" "$@" > "$out"; echo $? > "$out.code")
    (cd "$dir/$side" && set +e; foreign "$@" > "$out"; echo $? > "$out.code")
}
same() {
    local what=$1 file=$2
    if cmp -s "$dir/lin/$file" "$dir/$side/$file"; then ok "$what"; else bad "$what ($file differs)"; fi
}
# Equal up to the last digits of numbers (projected coordinates at full precision).
close() {
    local what=$1 file=$2
    if python3 "$root/scripts/same_numbers.py" "$dir/lin/$file" "$dir/$side/$file"; then
        ok "$what"
    else
        bad "$what"
    fi
}
# Equal as read back by the Linux build, as RFC 7946 GeoJSON (7 decimals, about 1 cm).
read_back() {
    local what=$1 file=$2
    for s in lin "$side"; do
        (cd "$dir/$s" && "$lin" export "$file" --out "$file.back.geojson" > /dev/null) || true
    done
    same "$what (read back)" "$file.back.geojson"
}

cd "$dir"
both audit.txt audit ../晋屏镇.geojson --lang zh
same "audit, text" audit.txt
same "audit, exit code" audit.txt.code
both audit-faulty.json audit ../有问题的镇.geojson --format json
same "audit of the faulty sample, JSON" audit-faulty.json
same "audit of the faulty sample, exit code 1" audit-faulty.json.code
grep -q '"kind":"gap"' "$dir/$side/audit-faulty.json" && ok "the $side report names the gap" || bad "no gap in the $side report"

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
for s in lin "$side"; do
    mkdir -p "$dir/$s/xlsx" && (cd "$dir/$s/xlsx" && unzip -q -o ../台账.xlsx && rm -f docProps/core.xml)
done
if diff -r "$dir/lin/xlsx" "$dir/$side/xlsx" > /dev/null; then ok "ledger XLSX (content)"; else bad "ledger XLSX content differs"; fi
both ledger-csv.out ledger ../晋屏镇.geojson --out 台账.csv
for f in "$dir"/lin/台账*.csv; do same "ledger CSV $(basename "$f")" "$(basename "$f")"; done

# The residents' website, twice: the second replaces the first whole (renames of folders).
for n in 1 2; do
    both publish-$n.out publish ../晋屏镇.geojson --out 网站 --hotline 0735-5550000 --base-url https://example.gov.cn/wg/
done
same "publish again, exit code" publish-2.out.code
if diff -r "$dir/lin/网站" "$dir/$side/网站" > /dev/null; then ok "published website (every page)"; else bad "published website differs"; fi
if ls -a "$dir/$side" | grep -q gridmap-; then bad "publish left a folder beside the site"; else ok "publish leaves nothing beside the site"; fi

both staff.out staff ../晋屏镇.geojson --import ../名单.csv --out 人员.geojson
same "staff import (GBK, CRLF)" 人员.geojson
grep -q 王测试 "$dir/$side/人员.geojson" && ok "the roster's name is in the $side result" || bad "roster not imported ($side)"

