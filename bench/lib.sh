# lib.sh — shell helpers shared by the bench/run_*.sh scripts. Source it after setting `here`
# (the bench/ directory) and `python` / `node` where used:
#     . "$here/lib.sh"
# Everything here is a function or a global the caller may read; nothing runs on sourcing.
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154  # globals are set and read by the sourcing script

bench_prog=$(basename "$0")

die() { echo "$bench_prog: $*" >&2; exit 1; }

# bench_parse_args "OPT..." ARG...: for each `--OPT VALUE` in ARG, sets the variable named OPT
# with dashes as underscores (--data-dir DIR sets data_dir). -h/--help prints the caller's
# usage() and exits 0; an unknown option prints it to stderr and exits 2.
bench_parse_args() {
    local known=" $1 " opt
    shift
    while [ $# -gt 0 ]; do
        case "$1" in
            -h|--help) usage; exit 0 ;;
        esac
        opt=${1#--}
        if [ "$opt" != "$1" ] && [[ $known == *" $opt "* ]]; then
            [ $# -ge 2 ] || { echo "$bench_prog: $1 needs a value" >&2; usage >&2; exit 2; }
            printf -v "${opt//-/_}" '%s' "$2"
            shift 2
        else
            echo "$bench_prog: unknown option '$1'" >&2
            usage >&2
            exit 2
        fi
    done
}

# bench_require_uint VAR...: dies unless each VAR holds a non-negative decimal integer.
bench_require_uint() {
    local v
    for v in "$@"; do
        [[ ${!v} =~ ^[0-9]+$ ]] || die "--$v needs a non-negative integer, got '${!v}'"
    done
}

# bench_exe VAR PROGRAM WHAT: unless VAR (e.g. bench) is already set by --VAR, points it at
# PROGRAM in ${build_dir:-bench/../build}/bench; dies unless it is executable. WHAT names it in
# the message (benchmark, generator).
bench_exe() {
    local -n exe=$1
    exe=${exe:-${build_dir:-$here/../build}/bench/$2}
    [ -x "$exe" ] || die "no $3 at $exe (build it: meson setup build && ninja -C build; or pass --build-dir / --$1)"
}

# bench_python_has MODULE...: whether $python runs and imports every MODULE.
bench_python_has() {
    local mods
    mods=$(IFS=,; echo "$*")
    command -v "$python" >/dev/null 2>&1 && "$python" -c "import $mods" >/dev/null 2>&1
}

# bench_python_peer NAME MODULE...: bench_python_has, and a "skipped" line when it fails.
bench_python_peer() {
    local name=$1
    shift
    bench_python_has "$@" && return 0
    echo "skipped: $name ($python with $* not found; set PYTHON=...)"
    return 1
}

# bench_duckdb_peer: whether $node can load @duckdb/node-api from bench/; a "skipped" line if not.
bench_duckdb_peer() {
    if ! command -v "$node" >/dev/null 2>&1; then
        echo "skipped: DuckDB (node not found)"
    elif ! (cd "$here" && "$node" -e "import('@duckdb/node-api').then(() => process.exit(0), () => process.exit(1))") \
            >/dev/null 2>&1; then
        echo "skipped: DuckDB (@duckdb/node-api not installed: run 'npm ci' in $here)"
    else
        return 0
    fi
    return 1
}

# bench_field KEY TEXT: what follows KEY on TEXT's line that starts with KEY (the programs print
# `key value` lines).
bench_field() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' <<<"$2"; }

# bench_div A B [FORMAT]: A / B computed by awk, printed with FORMAT (default: awk's print).
bench_div() {
    awk -v a="$1" -v b="$2" -v f="${3:-}" 'BEGIN { if (f == "") print a / b; else printf f, a / b }'
}

# ---- running peers and checking that they agree ----
reference=""      # the checksum every run must print
reference_from="" # who printed it first
declare -a r_tool r_threads r_seconds r_rss r_version

# bench_run LABEL THREADS CMD...: runs CMD once and sets run_out (its output), run_seconds,
# run_rss (peak_rss_kib), run_sum (checksum) and run_version (tool). Dies, showing the output,
# if CMD fails or prints no result.
bench_run() {
    local label=$1 threads=$2
    shift 2
    if ! run_out=$("$@" 2>&1); then
        printf '%s\n' "$run_out" >&2
        die "$label (threads $threads) failed: $*"
    fi
    run_seconds=$(bench_field seconds "$run_out")
    run_rss=$(bench_field peak_rss_kib "$run_out")
    run_sum=$(bench_field checksum "$run_out")
    run_version=$(bench_field tool "$run_out")
    if [ -z "$run_seconds" ] || [ -z "$run_rss" ] || [ -z "$run_sum" ]; then
        printf '%s\n' "$run_out" >&2
        die "$label printed no result"
    fi
}

# bench_check_sum LABEL THREADS [RUN]: the first call records run_sum as the reference; later
# ones exit 1 loudly, naming the differing fields, when run_sum differs from it.
bench_check_sum() {
    if [ -z "$reference" ]; then
        reference=$run_sum
        reference_from="$1, $2 thread(s)"
    elif [ "$run_sum" != "$reference" ]; then
        {
            echo
            echo "CHECKSUM MISMATCH: the implementations disagree."
            echo "  $reference_from:"
            echo "    $reference"
            echo "  $1, $2 thread(s)${3:+, run $3}:"
            echo "    $run_sum"
            echo "  differing fields:"
            diff <(tr ' ' '\n' <<<"$reference") <(tr ' ' '\n' <<<"$run_sum") | sed -n 's/^[<>]/    &/p'
        } >&2
        exit 1
    fi
}

# bench_record TOOL THREADS SECONDS RSS_KIB VERSION: one row of the results table.
bench_record() {
    r_tool+=("$1"); r_threads+=("$2"); r_seconds+=("$3"); r_rss+=("$4"); r_version+=("$5")
}

# lookup TOOL THREADS FIELD -> the recorded value (FIELD: seconds, rss, version) or nothing.
lookup() {
    local i
    for i in "${!r_tool[@]}"; do
        if [ "${r_tool[$i]}" = "$1" ] && [ "${r_threads[$i]}" = "$2" ]; then
            local -n arr="r_$3"
            echo "${arr[$i]}"
            return
        fi
    done
}

# bench_print_versions: the version line of every tool recorded at 1 thread.
bench_print_versions() {
    local i
    echo "versions:"
    for i in "${!r_tool[@]}"; do
        if [ "${r_threads[$i]}" = 1 ]; then echo "  ${r_version[$i]}"; fi
    done
}
