# shellcheck shell=bash
# The pass/fail lines of the test scripts (scripts/windows/smoke.sh, scripts/linux/deb-test.sh),
# sourced by them: `ok WHAT`, `bad WHAT`, `check WHAT COMMAND...` (ok when it exits 0),
# and `summary NAME`, which says how it went and exits 1 if anything failed.
fails=0
ok() { echo "  ok    $1"; }
bad() { echo "  FAIL  $1"; fails=$((fails + 1)); }
check() {
    local what=$1
    shift
    if "$@" > /dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
summary() {
    if [ "$fails" -gt 0 ]; then
        echo "$1: $fails failed"
        exit 1
    fi
    echo "$1: all passed"
}
# How many pixels of an app screenshot (PNG) have the first two fill colours of the map's
# palette (#f4d6a0, #bfe3b4): the grids drawn. Needs ImageMagick's convert.
fill_pixels() {
    convert "$1" -format %c histogram:info:- | grep -iE '#(F4D6A0|BFE3B4)' | awk '{s+=$1} END {print s+0}'
}
