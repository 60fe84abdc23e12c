#!/bin/sh
# Put the Windows build into dist/gridmap-VERSION-windows-x64.zip: the app, the console
# program, the README for township users, licences and the sample maps. Called by
# `make windows` after the cross-build.
set -eu
version=$1
bin=$2
name=gridmap-$version-windows-x64
stage=dist/$name
rm -rf "$stage" "dist/$name.zip"
mkdir -p "$stage/sample-maps"
cp "$bin/gridmap.exe" "$bin/gridmap-cli.exe" "$stage/"
cp scripts/windows/使用说明.txt "$stage/"
cp LICENSE-MIT LICENSE-APACHE assets/fonts/OFL.txt "$stage/"
cp sample-maps/jinping.geojson sample-maps/jinping-faulty.geojson "$stage/sample-maps/"
python3 scripts/third_party.py > "$stage/THIRD-PARTY.txt"
# Text files with Windows line ends, so Notepad on older Windows shows them right.
for f in "$stage/使用说明.txt" "$stage/LICENSE-MIT" "$stage/LICENSE-APACHE" "$stage/OFL.txt" "$stage/THIRD-PARTY.txt"; do
    sed -i 's/\r*$/\r/' "$f"
done
# The same files give the same zip: fixed times, sorted names.
find "$stage" -exec touch -h -d "2026-01-01 00:00:00" {} +
(cd dist && find "$name" | LC_ALL=C sort | zip -q -X -D -@ "$name.zip")
rm -rf "$stage"
echo "dist/$name.zip"
