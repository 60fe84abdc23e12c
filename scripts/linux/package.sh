#!/bin/bash
# Package a Linux build of gridmap as two .deb files in dist/ (make linux):
#   gridmap_VERSION_ARCH.deb              generic: Kylin, Debian, Ubuntu (/opt/gridmap,
#                                         /usr/bin, menu entries, icons, MIME types)
#   org.gridmap.gridmap_VERSION_ARCH.deb  UOS app store layout (/opt/apps/<appid>/: info,
#                                         entries/, files/; nothing outside it, no scripts)
# Usage: package.sh VERSION ARCH BINDIR   (ARCH: amd64 or arm64; BINDIR holds gridmap as
# the tests ran it; it is stripped here, with binutils). Depends is read
# off the programs themselves: the newest glibc symbol version they need, and the shared
# libraries they link (anything beyond glibc and libgcc is refused).
# The same build gives the same bytes: fixed times, owners and order.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$1
arch=$2
bin=$3
appid=org.gridmap.gridmap
stamp="2026-01-01 00:00:00"
case "$arch" in
    amd64) machine="X86-64" triple=x86_64-unknown-linux-gnu strip=x86_64-linux-gnu-strip binutils=binutils ;;
    arm64) machine="AArch64" triple=aarch64-unknown-linux-gnu strip=aarch64-linux-gnu-strip binutils=binutils-aarch64-linux-gnu ;;
    *) echo "package.sh: unknown architecture $arch (amd64 or arm64)" >&2; exit 2 ;;
esac
command -v "$strip" > /dev/null || { echo "package.sh: $strip missing (apt-get install $binutils)" >&2; exit 2; }
[ -f "$bin/gridmap" ] || { echo "package.sh: missing $bin/gridmap" >&2; exit 2; }
readelf -h "$bin/gridmap" | grep -q "Machine:.*$machine" ||
    { echo "package.sh: $bin/gridmap is not a $arch program" >&2; exit 2; }

# --- What the programs need from the system -------------------------------------------
needed=$(readelf -d "$bin/gridmap" |
    sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u)
glibc=$(readelf -W -V "$bin/gridmap" |
    grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
depends="libc6 (>= $glibc)"
for lib in $needed; do
    case "$lib" in
        libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | ld-linux*) ;;
        # Debian 10 (UOS 20's base) calls it libgcc1; Debian 11+ and Ubuntu 20.04+ libgcc-s1.
        libgcc_s.so.1) depends="$depends, libgcc-s1 | libgcc1" ;;
        *) echo "package.sh: the programs link $lib; only glibc and libgcc may be linked (the rest is built in or loaded at run time)" >&2; exit 1 ;;
    esac
done
# Loaded at run time by the window (winit, glutin): X11 or Wayland, OpenGL or EGL, and
# Mesa's drivers, llvmpipe among them, for the software-rendering entry.
recommends="libgl1, libegl1, libgl1-mesa-dri, libx11-6, libx11-xcb1, libxcursor1, libxrandr2, libxi6, libxkbcommon0, libxkbcommon-x11-0, libwayland-client0, libwayland-cursor0, libwayland-egl1"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p dist

# A desktop entry: desktop FILE EXEC ICON SOFTWARE(0|1)
desktop() {
    local file=$1 exec=$2 icon=$3 software=$4 name name_zh comment_zh env=""
    if [ "$software" = 1 ]; then
        name="gridmap (software rendering)"
        name_zh="gridmap（软件渲染）"
        comment_zh="显卡驱动无法打开窗口时使用：以软件渲染（Mesa llvmpipe）运行"
        env="env LIBGL_ALWAYS_SOFTWARE=1 "
    else
        name="gridmap"
        name_zh="gridmap 网格图"
        comment_zh="绘制、检查和发布河长制网格化管理网格图"
    fi
    cat > "$file" <<EOF
[Desktop Entry]
Type=Application
Name=$name
Name[zh_CN]=$name_zh
GenericName=Grid map editor
GenericName[zh_CN]=网格图编辑
Comment=Draw, audit and publish township grid maps for the river-chief system
Comment[zh_CN]=$comment_zh
Exec=$env$exec %f
Icon=$icon
Terminal=false
Categories=Science;Geography;
MimeType=application/geopackage+sqlite3;application/geo+json;application/vnd.google-earth.kml+xml;application/vnd.google-earth.kmz;image/vnd.dxf;
Keywords=GIS;grid;map;河长制;网格;地图;
EOF
}

# control FILE PACKAGE SIZE_DIR
control() {
    local file=$1 package=$2 dir=$3
    cat > "$file" <<EOF
Package: $package
Version: $version
Architecture: $arch
Maintainer: gridmap developers <gridmap@users.noreply.github.com>
Installed-Size: $(du -sk --apparent-size "$dir" | cut -f1)
Depends: $depends
Recommends: $recommends
Section: science
Priority: optional
Homepage: https://github.com/gridmap/gridmap
Description: grid maps for the river-chief system (河长制网格化管理)
 gridmap draws, audits and publishes the grid map of a township: the town,
 its villages and their sub-area grids, with snapping and shared edges;
 the audit finds gaps, overlaps, slivers and grids outside their parent,
 rivers and reservoirs not assigned to grids, grids without staff; records
 hold each grid's people, households and four bounds; exports GeoJSON,
 GeoPackage, shapefiles, KML (奥维互动地图), DXF; prints wall maps and
 display boards (公示牌) to PDF.
 .
 PROJ with its database and SQLite are built in; the fonts are embedded.
EOF
}

# Build FILE.deb from the tree DIR (DIR/DEBIAN/control written): fixed times, root owner.
build() {
    local dir=$1 out=$2
    find "$dir" -type d -exec chmod 0755 {} +
    find "$dir" -type f -exec chmod 0644 {} +
    chmod 0755 "$dir"/opt/*/bin/gridmap "$dir"/opt/apps/*/files/bin/gridmap 2>/dev/null || true
    (cd "$dir" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum > DEBIAN/md5sums)
    find "$dir" -exec touch -h -d "$stamp" {} +
    SOURCE_DATE_EPOCH=$(date -d "$stamp" +%s) dpkg-deb --root-owner-group -Zxz --build "$dir" "$out" >/dev/null
    echo "$out"
}

# --- Generic: /opt/gridmap, /usr/bin, /usr/share ---------------------------------------
g="$work/generic"
mkdir -p "$g/DEBIAN" "$g/opt/gridmap/bin" "$g/opt/gridmap/sample-maps" "$g/usr/bin" \
    "$g/usr/share/applications" "$g/usr/share/mime/packages" "$g/usr/share/doc/gridmap" \
    "$g/usr/share/man/man1" "$g/usr/share/lintian/overrides"
# gridmap-cli is the same program (a console one only matters on Windows): a link to it.
"$strip" --strip-all --remove-section=.comment -o "$g/opt/gridmap/bin/gridmap" "$bin/gridmap"
ln -s gridmap "$g/opt/gridmap/bin/gridmap-cli"
cp sample-maps/jinping.geojson sample-maps/jinping-faulty.geojson "$g/opt/gridmap/sample-maps/"
ln -s /opt/gridmap/bin/gridmap "$g/usr/bin/gridmap"
ln -s /opt/gridmap/bin/gridmap-cli "$g/usr/bin/gridmap-cli"
desktop "$g/usr/share/applications/gridmap.desktop" /opt/gridmap/bin/gridmap gridmap 0
desktop "$g/usr/share/applications/gridmap-software.desktop" /opt/gridmap/bin/gridmap gridmap 1
for s in 32 48 64 128 256; do
    mkdir -p "$g/usr/share/icons/hicolor/${s}x$s/apps"
    cp "assets/linux/icons/gridmap-$s.png" "$g/usr/share/icons/hicolor/${s}x$s/apps/gridmap.png"
done
cp assets/linux/gridmap-mime.xml "$g/usr/share/mime/packages/gridmap.xml"
cp assets/linux/copyright "$g/usr/share/doc/gridmap/copyright"
cp assets/fonts/OFL.txt "$g/usr/share/doc/gridmap/OFL.txt"
python3 scripts/third_party.py "$triple" > "$g/usr/share/doc/gridmap/THIRD-PARTY.txt"
gzip -9n < "$g/usr/share/doc/gridmap/THIRD-PARTY.txt" > "$g/usr/share/doc/gridmap/THIRD-PARTY.txt.gz"
rm "$g/usr/share/doc/gridmap/THIRD-PARTY.txt"
sed "s/@VERSION@/$version/" assets/linux/changelog | gzip -9n > "$g/usr/share/doc/gridmap/changelog.gz"
sed "s/@VERSION@/$version/" assets/linux/gridmap.1 | gzip -9n > "$g/usr/share/man/man1/gridmap.1.gz"
ln -s gridmap.1.gz "$g/usr/share/man/man1/gridmap-cli.1.gz"
cp assets/linux/lintian-overrides "$g/usr/share/lintian/overrides/gridmap"
control "$g/DEBIAN/control" gridmap "$g"
build "$g" "dist/gridmap_${version}_$arch.deb"

# --- UOS app store: everything under /opt/apps/<appid> ----------------------------------
u="$work/uos"
a="$u/opt/apps/$appid"
mkdir -p "$u/DEBIAN" "$a/files/bin" "$a/files/sample-maps" "$a/files/doc" \
    "$a/entries/applications" "$a/entries/mime"
cp -P "$g/opt/gridmap/bin/gridmap" "$g/opt/gridmap/bin/gridmap-cli" "$a/files/bin/"
cp sample-maps/jinping.geojson sample-maps/jinping-faulty.geojson "$a/files/sample-maps/"
desktop "$a/entries/applications/$appid.desktop" "/opt/apps/$appid/files/bin/gridmap" "$appid" 0
desktop "$a/entries/applications/$appid-software.desktop" "/opt/apps/$appid/files/bin/gridmap" "$appid" 1
for s in 32 48 64 128 256; do
    mkdir -p "$a/entries/icons/hicolor/${s}x$s/apps"
    cp "assets/linux/icons/gridmap-$s.png" "$a/entries/icons/hicolor/${s}x$s/apps/$appid.png"
done
cp assets/linux/gridmap-mime.xml "$a/entries/mime/$appid.xml"
cp assets/linux/copyright LICENSE-MIT LICENSE-APACHE assets/fonts/OFL.txt "$a/files/doc/"
cp "$g/usr/share/doc/gridmap/THIRD-PARTY.txt.gz" "$a/files/doc/"
cat > "$a/info" <<EOF
{
    "appid": "$appid",
    "name": "gridmap",
    "version": "$version",
    "arch": ["$arch"],
    "permissions": {
        "autostart": false,
        "notification": false,
        "trayicon": false,
        "clipboard": true,
        "account": false,
        "bluetooth": false,
        "camera": false,
        "audio_record": false,
        "installed_apps": false
    }
}
EOF
control "$u/DEBIAN/control" "$appid" "$u"
build "$u" "dist/${appid}_${version}_$arch.deb"
