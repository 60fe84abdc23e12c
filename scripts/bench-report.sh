#!/usr/bin/env bash
# Run the benchmarks of `make bench` and write the tables they print to docs/benchmarks.md,
# headed by the date, the commit and the machine, so every figure says where it came from.
#
#   scripts/bench-report.sh [OUT.md] [STEP...]
#
# STEP: audit, print, edit-10k, edit-100k, edit-dense, canvas, db (default: all, in that
# order).
# CARGO names the cargo to call (default: cargo). The report is written to a temporary
# file and moved into place only when every step succeeded.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-docs/benchmarks.md}
shift || true
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(audit print edit-10k edit-100k edit-dense canvas db)
cargo=${CARGO:-cargo}
make=${MAKE:-make}

# The title, how to run it and what it measures, for each step.
run_step() {
    case $1 in
    audit)
        section "Audit" "gridmap bench" \
            "synthetic Voronoi coverages (\`gridmap synth\`) read from GeoJSON and fully audited (validity, invalid edges, overlaps, gaps, hierarchy, records, rivers), best of three runs." \
            "$cargo" run --release --quiet -- bench ;;
    print)
        section "Printing" "gridmap bench-print" \
            "the sample township: A0 township map to PDF and to 300 dpi PNG, and the atlas of boards, best of three." \
            "$cargo" run --release --quiet -- bench-print ;;
    edit-10k)
        section "Editing, 10,000 grids" "gridmap bench-edit --cells 10000" \
            "edits replayed through the document pipeline the app uses (transaction, commit, history, audit, every derived structure), per edit." \
            "$cargo" run --release --quiet -- bench-edit --cells 10000 ;;
    edit-100k)
        section "Editing, 100,000 grids" "gridmap bench-edit --cells 100000 --runs 10" \
            "as above, on 100,000 grids." \
            "$cargo" run --release --quiet -- bench-edit --cells 100000 --runs 10 ;;
    edit-dense)
        section "Editing dense grids" "gridmap bench-edit --cells 400 --dense 1500 --runs 5" \
            "as above, on 400 grids whose shared edges are wiggly lines of up to 1,500 vertices (\`gridmap synth --dense\`), like boundaries traced along rivers: the grids edited have about 6,000 vertices each." \
            "$cargo" run --release --quiet -- bench-edit --cells 400 --dense 1500 --runs 5 ;;
    canvas)
        section "The app's frames" "cargo bench --bench canvas" \
            "the app driven as a user drives it (egui_kittest): every frame runs the whole UI and egui's tessellation (the CPU side; the GPU draw is not included)." \
            "$cargo" bench --quiet --bench canvas ;;
    db)
        section "County database" "make bench-db" \
            "a throwaway PostgreSQL cluster on loopback, 20 townships of about 5,000 grids." \
            "$make" --no-print-directory -s bench-db ;;
    *)
        echo "bench-report.sh: unknown step $1 (audit, print, edit-10k, edit-100k, edit-dense, canvas, db)" >&2
        return 2 ;;
    esac
}

# section TITLE COMMAND-AS-SHOWN WHAT CMD...: a heading, the command, what it measures,
# then what CMD prints on stdout (the tables; progress goes to stderr).
section() {
    local title=$1 shown=$2 what=$3
    shift 3
    echo "running: $shown" >&2
    local table
    table=$("$@")
    printf '## %s\n\n`%s`: %s\n\n%s\n\n' "$title" "$shown" "$what" "$table"
}

machine() {
    local cpu os
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
    os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}")
    echo "$(nproc) cores, ${cpu:-unknown CPU}; ${os:-$(uname -s)}, kernel $(uname -r)"
}

commit=$(git rev-parse --short HEAD)
if ! git diff --quiet HEAD -- 2>/dev/null; then
    commit="$commit (with uncommitted changes)"
fi

tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` (\`scripts/bench-report.sh\`); do not edit by hand."
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Commit: $commit"
    echo "- Machine: $(machine)"
    echo "- Steps: ${steps[*]}"
    echo
    echo "Timings on a shared machine vary by up to ±40% between runs; \`GRIDMAP_TIMING=1\`"
    echo "prints each phase. Figures measured by hand (whole-process time and memory per file"
    echo "format, GEOS side by side) are in [measurements.md](measurements.md)."
    echo
    for step in "${steps[@]}"; do
        run_step "$step"
    done
} > "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out" >&2
