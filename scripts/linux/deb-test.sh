#!/bin/bash
# Check the Linux packages of one architecture (make linux-test): the programs' glibc and
# libraries (readelf), the packages' metadata and contents (dpkg-deb), lintian, and an
# install into a fresh Debian system (a debootstrap chroot, kept in target/linux/chroot;
# arm64 packages through multiarch and qemu-user on an x86-64 machine): dpkg -i, the
# command runs (version, audits of the samples, exports, prints: the built-in PROJ
# database and fonts, nothing of the system's), the window opens under Xvfb with Mesa's
# software renderer and shows the map, dpkg -r leaves nothing behind.
# Usage: deb-test.sh VERSION ARCH [GLIBC_MAX]   (run as root: debootstrap and chroot; the
# chroot fetches the Recommends and, for arm64, libc6:arm64 and qemu-user from Debian)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$1
arch=$2
glibc_max=${3:-2.28}
appid=org.gridmap.gridmap
generic="dist/gridmap_${version}_$arch.deb"
uos="dist/${appid}_${version}_$arch.deb"
# shellcheck source=scripts/checks.sh
. scripts/checks.sh
for f in "$generic" "$uos"; do
    [ -f "$f" ] || { echo "deb-test: missing $f (make linux)"; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -z "${xvfb:-}" ] || kill "$xvfb" 2> /dev/null || true' EXIT
echo "Linux packages ($arch): $generic, $uos"

# --- The programs ----------------------------------------------------------------------
dpkg-deb -x "$generic" "$work/x"
for p in gridmap gridmap-cli; do
    f="$work/x/opt/gridmap/bin/$p"
    newest=$(readelf -W -V "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
    if [ "$(printf '%s\n%s\n' "$newest" "$glibc_max" | sort -V | tail -n 1)" = "$glibc_max" ]; then
        ok "$p: newest glibc symbol version $newest <= $glibc_max"
    else
        bad "$p: needs GLIBC_$newest, newer than $glibc_max"
    fi
    if readelf -W -V -d "$f" | grep -q 'GLIBCXX\|CXXABI\|libstdc++\|libc++'; then
        bad "$p: depends on a shared C++ runtime"
    else
        ok "$p: C++ runtime linked in"
    fi
    others=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
        grep -v -E '^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libgcc_s\.so\.1|ld-linux.*)$' || true)
    if [ -z "$others" ]; then ok "$p: links glibc (and libgcc) only"; else bad "$p: links $others"; fi
    check "$p: stripped" sh -c "! readelf -S '$f' | grep -q '\.symtab\|\.debug_'"
done

# --- Metadata and contents -------------------------------------------------------------
info=$(dpkg-deb --info "$generic")
check "generic: Package gridmap" grep -q "^ Package: gridmap$" <<< "$info"
check "generic: Architecture $arch" grep -q "^ Architecture: $arch$" <<< "$info"
check "generic: Depends on libc6 >= the programs' glibc" grep -q "Depends: libc6 (>= " <<< "$info"
check "generic: no maintainer scripts" sh -c "! dpkg-deb --info '$generic' | grep -q 'preinst\|postinst\|prerm\|postrm'"
contents=$(dpkg-deb --contents "$generic" | awk '{print $6}')
for path in ./opt/gridmap/bin/gridmap ./opt/gridmap/bin/gridmap-cli ./usr/bin/gridmap ./usr/bin/gridmap-cli \
    ./usr/share/applications/gridmap.desktop ./usr/share/applications/gridmap-software.desktop \
    ./usr/share/icons/hicolor/256x256/apps/gridmap.png ./usr/share/icons/hicolor/48x48/apps/gridmap.png \
    ./usr/share/mime/packages/gridmap.xml ./usr/share/doc/gridmap/copyright ./usr/share/man/man1/gridmap.1.gz \
    ./opt/gridmap/sample-maps/jinping.geojson; do
    check "generic: has $path" grep -qx "$path" <<< "$contents"
done
uinfo=$(dpkg-deb --info "$uos")
check "UOS: Package $appid (the appid, lower case)" grep -q "^ Package: $appid$" <<< "$uinfo"
check "UOS: no maintainer scripts" sh -c "! dpkg-deb --info '$uos' | grep -q 'preinst\|postinst\|prerm\|postrm'"
ucontents=$(dpkg-deb --contents "$uos" | awk '{print $6}')
outside=$(grep -v -E "^\./(opt/(apps/($appid(/.*)?)?)?)?$" <<< "$ucontents" || true)
if [ -z "$outside" ]; then ok "UOS: everything under /opt/apps/$appid"; else bad "UOS: files outside /opt/apps/$appid: $outside"; fi
for path in info entries/applications/$appid.desktop entries/applications/$appid-software.desktop \
    entries/icons/hicolor/256x256/apps/$appid.png files/bin/gridmap files/bin/gridmap-cli; do
    check "UOS: has /opt/apps/$appid/$path" grep -qx "./opt/apps/$appid/$path" <<< "$ucontents"
done
dpkg-deb -x "$uos" "$work/u"
check "UOS: info is JSON with the appid, version and arch" python3 -c "
import json, sys
i = json.load(open('$work/u/opt/apps/$appid/info'))
sys.exit(not (i['appid'] == '$appid' and i['version'] == '$version' and i['arch'] == ['$arch']))"
if command -v desktop-file-validate > /dev/null; then
    for d in "$work"/x/usr/share/applications/*.desktop "$work/u/opt/apps/$appid/entries/applications/"*.desktop; do
        check "desktop-file-validate $(basename "$d")" desktop-file-validate "$d"
    done
fi
check "the software-rendering entry: 「gridmap（软件渲染）」 with LIBGL_ALWAYS_SOFTWARE=1" sh -c \
    "grep -q '^Name\[zh_CN\]=gridmap（软件渲染）$' '$work/x/usr/share/applications/gridmap-software.desktop' &&
     grep -q '^Exec=env LIBGL_ALWAYS_SOFTWARE=1 /opt/gridmap/bin/gridmap %f$' '$work/x/usr/share/applications/gridmap-software.desktop'"

# --- lintian ----------------------------------------------------------------------------
if command -v lintian > /dev/null; then
    # Errors and warnings fail; the overrides the package carries say why each is there.
    if lintian --fail-on error,warning --suppress-tags dir-or-file-in-opt "$generic"; then
        ok "lintian: generic package"
    else
        bad "lintian: generic package"
    fi
    # The UOS layout is the store's, not Debian's: no /usr/share/doc, everything in /opt.
    if lintian --fail-on error --suppress-tags dir-or-file-in-opt,no-copyright-file,no-changelog,debian-changelog-file-missing "$uos"; then
        ok "lintian: UOS package (store layout)"
    else
        bad "lintian: UOS package (store layout)"
    fi
else
    bad "lintian is not installed (apt-get install lintian)"
fi

# --- Install into a fresh Debian ----------------------------------------------------------
# The machine's own architecture natively; arm64 on an x86-64 machine through Debian's
# multiarch: the chroot gets the arm64 architecture, the arm64 C library from Debian's
# archive (so dpkg checks the package's Depends against a real arm64 system) and qemu-user,
# and the installed programs run under `qemu-aarch64` inside it (no binfmt_misc needed).
# The package's Recommends (OpenGL, Mesa, X11, Wayland) come first too, for the window.
host_arch=$(dpkg --print-architecture)
case $arch in
    "$host_arch") emu= ;;
    arm64) emu=qemu-aarch64 ;;
    *) emu=none ;;
esac
if [ "$emu" = none ]; then
    echo "  (install test skipped: $arch packages on a $host_arch machine)"
else
    chroot_dir=$(bash scripts/linux/chroot.sh)
    in_root() { chroot "$chroot_dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive "$@"; }
    libs=$(dpkg-deb -f "$generic" Recommends | tr ',' '\n' | sed 's/[|(].*//; s/ //g' | grep .)
    setup="apt-get update -qq"
    if [ -n "$emu" ]; then
        libs="libc6 $libs"
        setup="dpkg --add-architecture $arch && $setup"
    fi
    # shellcheck disable=SC2001 # a suffix on every line
    libs=$(sed "s/\$/:$arch/" <<< "$libs" | tr '\n' ' ')
    [ -z "$emu" ] || libs="$libs qemu-user"
    what="the package's Recommends for $arch"
    [ -z "$emu" ] || what="$what, libc6:$arch and qemu-user"
    # (A proxy the machine's downloads go through is passed on.)
    check "the chroot: $what installed from Debian" in_root \
        env ${http_proxy:+"http_proxy=$http_proxy"} ${https_proxy:+"https_proxy=$https_proxy"} sh -c \
        "$setup && apt-get install -y -qq --no-install-recommends $libs > /dev/null"
    # The commands as a user types them; for a foreign architecture the same programs,
    # each started by qemu.
    gm=gridmap cli=gridmap-cli
    [ -z "$emu" ] || { gm="$emu /usr/bin/gridmap"; cli="$emu /usr/bin/gridmap-cli"; }
    rm -rf "$chroot_dir/tmp/debs" && mkdir -p "$chroot_dir/tmp/debs"
    cp "$generic" "$uos" "$chroot_dir/tmp/debs/"
    cp sample-maps/jinping-faulty.geojson "$chroot_dir/tmp/debs/"
    before=$(in_root find / -xdev -not -path '/tmp/*' -not -path '/var/lib/dpkg/*' -not -path '/var/log/*' -not -path '/var/cache/*' -not -path '/proc/*' | sort)
    check "dpkg -i the generic package" in_root dpkg -i "/tmp/debs/$(basename "$generic")"
    check "installed for $arch (dpkg -s)" sh -c "chroot '$chroot_dir' dpkg -s gridmap:$arch | grep -qx 'Status: install ok installed'"
    check "gridmap-cli --version prints $version" sh -c "chroot '$chroot_dir' $cli --version | grep -qx 'gridmap $version'"
    # The audit of the sample reprojects (the built-in PROJ database): clean, exit 0.
    check "gridmap audit of the sample: exit 0" in_root $gm audit /opt/gridmap/sample-maps/jinping.geojson
    in_root $gm audit /tmp/debs/jinping-faulty.geojson > /dev/null 2>&1 && rc=0 || rc=$?
    if [ "$rc" = 1 ]; then ok "gridmap audit of the faulty sample: exit 1"; else bad "gridmap audit of the faulty sample: exit $rc"; fi
    check "gridmap export to GeoPackage and KML" in_root sh -c \
        "cd /tmp/debs && $gm export /opt/gridmap/sample-maps/jinping.geojson --out t.gpkg && $gm export t.gpkg --out t.kml && test -s t.kml"
    # A system without a single font (minbase): the sheets take the embedded one.
    check "gridmap print of a display board and the township map (no font on the system)" in_root sh -c \
        "cd /tmp/debs && $gm print /opt/gridmap/sample-maps/jinping.geojson --layout board --grid JP05-01 --out b.pdf &&
         $gm print /opt/gridmap/sample-maps/jinping.geojson --layout township --paper A3 --out t.png && test -s t.png"
    check "the board's PDF has the grid's name as text (青山村一组), in the embedded font" sh -c \
        "pdftotext '$chroot_dir/tmp/debs/b.pdf' - | grep -q 青山村一组 && pdffonts '$chroot_dir/tmp/debs/b.pdf' | grep -q 'Noto'"
    # The window from the installed package under Xvfb (reached through its abstract
    # socket, which the chroot shares), software rendering: the screenshot shows the map. A
    # user's home under /tmp (and Mesa's cache, which takes the home from the password file
    # unless XDG_CACHE_HOME says): what the window leaves there is the user's, not the
    # package's.
    if command -v Xvfb > /dev/null && command -v convert > /dev/null; then
        Xvfb -displayfd 3 -screen 0 1280x800x24 3> "$work/display" > /dev/null 2>&1 &
        xvfb=$!
        for _ in $(seq 50); do [ -s "$work/display" ] && break; sleep 0.2; done
        mkdir -p "$chroot_dir/tmp/home"
        in_root env HOME=/tmp/home XDG_CACHE_HOME=/tmp/home/.cache DISPLAY=":$(cat "$work/display")" LIBGL_ALWAYS_SOFTWARE=1 timeout 300 $gm \
            /opt/gridmap/sample-maps/jinping.geojson --screenshot /tmp/debs/shot.png > "$work/window.log" 2>&1 && rc=0 || rc=$?
        kill "$xvfb" 2> /dev/null || true
        wait "$xvfb" 2> /dev/null || true
        px=0
        [ ! -f "$chroot_dir/tmp/debs/shot.png" ] || px=$(fill_pixels "$chroot_dir/tmp/debs/shot.png")
        renderer=$(grep -o 'OpenGL .*' "$work/window.log" | head -n 1 || true)
        if [ "$rc" = 0 ] && [ "$px" -gt 20000 ]; then
            ok "the app's window shows the map ($px fill pixels; ${renderer:-renderer not named})"
        else
            bad "the app's window: exit $rc, $px fill pixels: $(tail -n 3 "$work/window.log")"
        fi
        mkdir -p target/linux && cp "$chroot_dir/tmp/debs/shot.png" "target/linux/screenshot-$arch.png" 2> /dev/null || true
    else
        bad "Xvfb or convert missing (apt-get install xvfb imagemagick): the app's window was not checked"
    fi
    check "dpkg -r gridmap" in_root dpkg -r gridmap
    check "dpkg -i the UOS package" in_root dpkg -i "/tmp/debs/$(basename "$uos")"
    check "the UOS package's gridmap-cli --version" sh -c \
        "chroot '$chroot_dir' $emu /opt/apps/$appid/files/bin/gridmap-cli --version | grep -qx 'gridmap $version'"
    check "dpkg -r $appid" in_root dpkg -r "$appid"
    after=$(in_root find / -xdev -not -path '/tmp/*' -not -path '/var/lib/dpkg/*' -not -path '/var/log/*' -not -path '/var/cache/*' -not -path '/proc/*' | sort)
    left=$(comm -13 <(echo "$before") <(echo "$after"))
    if [ -z "$left" ]; then ok "removed cleanly: no file left behind"; else bad "left behind: $left"; fi
    rm -rf "$chroot_dir"
fi

summary "Linux packages ($arch)"
