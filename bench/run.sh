#!/usr/bin/env bash
# bench/run.sh: the side-by-side benchmark of `churn` against the Python peer (`make bench`).
#
# Input: the release binary ($CHURN) and the peer's virtual environment ($PY); data sets
# made by `churn generate` (default seed and date range) at each size in $SIZES, built once
# and outside the timed part.
# Output: $OUT/results.csv (one row per timed process: size, stage, side, run, wall
# seconds, peak RSS in MB, holdout ROC AUC where the stage reports one) and $OUT/summary.md
# (the machine, the commit, a table of medians and ratios per size, the exact commands).
# Invariants: both sides run the same stage on the same files with matching settings, and
# alternate run by run (churn, peer, churn, peer, ...) so that noise on the shared machine
# falls on both; every figure is named with its size and its number of runs.
#
# Settings (environment variables):
#   SIZES   customers per data set                  (default "100000 1000000")
#   RUNS    timed runs of each stage on each side   (default 3)
#   STAGES  stages to time: features train_logistic train_tree train_forest evaluate
#           score ingested, or `train` for all three models  (default: all of them).
#           `ingested` is the Rust tool alone: `churn ingest` once, then features,
#           train_logistic, evaluate and score reading the ingested copy (rows named
#           ingest, <stage>_ingested and end_to_end_ingested); the other stages read
#           the CSV files (`--read-files`).
#   OUT     results folder                          (default bench/results/<UTC date>)
#   CHURN   the Rust binary                         (default target/release/churn)
#   PY      the peer's Python                       (default bench/peer/.venv/bin/python)
#   SIDES   which sides to run: "churn peer", "churn" or "peer" (default "churn peer")
#   CORES   run every timed process on this many cores (taskset -c 0..CORES-1 where taskset
#           exists, and the thread pools of rayon, polars and BLAS set to CORES); default:
#           all cores, each library choosing its own threads
#   GNU_TIME  GNU time, for wall time and peak memory (default /usr/bin/time; installed
#           with apt when missing)
# Rows of results.csv for the sizes and stages being run are replaced; other rows are kept,
# so that a later run at another size (or of fewer stages) adds to the same summary.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SIZES=${SIZES:-"100000 1000000"}
RUNS=${RUNS:-3}
STAGES=${STAGES:-"features train evaluate score ingested"}
OUT=${OUT:-bench/results/$(date -u +%Y-%m-%d)}
CHURN=${CHURN:-target/release/churn}
DEFAULT_PY=bench/peer/.venv/bin/python
PY=${PY:-$DEFAULT_PY}
PEER=bench/peer/peer.py
SIDES=${SIDES:-"churn peer"}
CORES=${CORES:-}
TIME=${GNU_TIME:-/usr/bin/time}
PIN=()
# How the Rust commands read their data: the files, unless the ingested stage says otherwise.
FROM=(--read-files)
RESULTS=$OUT/results.csv
HEADER="size,stage,side,run,wall_s,rss_mb,roc_auc"
ALL_STAGES="features train_logistic train_tree train_forest evaluate score ingested"
# Rows of the summary, in order; a row <stage>_ingested is compared with the peer's <stage>.
ROWS="features train_logistic train_tree train_forest evaluate score end_to_end
      ingest features_ingested train_logistic_ingested evaluate_ingested score_ingested
      end_to_end_ingested"
INGESTED_ROWS="ingest features_ingested train_logistic_ingested evaluate_ingested score_ingested"

# Both sides fit the same learners with the same settings: the Rust defaults, spelled out
# so that a change of default on either side cannot silently change the comparison.
TREE_FLAGS=(--max-depth 8 --min-leaf 50)
FOREST_FLAGS=(--trees 100 --max-depth 10 --min-leaf 20)

die() {
    echo "bench: $*" >&2
    exit 1
}

log() {
    echo "bench: $*" >&2
}

# The stages of $STAGES in the canonical order, with `train` expanded to the three models.
selected_stages() {
    local stage token
    for token in $STAGES; do
        if [[ " train $ALL_STAGES " != *" $token "* ]]; then
            die "unknown stage '$token' in STAGES (known: train $ALL_STAGES)"
        fi
    done
    for stage in $ALL_STAGES; do
        if [[ " $STAGES " == *" $stage "* ]] || { [[ $stage == train_* ]] && [[ " $STAGES " == *" train "* ]]; }; then
            printf '%s\n' "$stage"
        fi
    done
}

runs_side() {
    [[ " $SIDES " == *" $1 "* ]]
}

wants() {
    [[ " $SELECTED " == *" $1 "* ]]
}

check_tools() {
    [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a whole number of at least 1, got '$RUNS'"
    for size in $SIZES; do
        [[ $size =~ ^[1-9][0-9]*$ ]] || die "SIZES must hold whole numbers of customers, got '$size'"
    done
    [[ -x $CHURN ]] || die "no binary at $CHURN: build it with 'make release' (or set CHURN)"
    [[ $SIDES =~ ^\ *(churn|peer)(\ +(churn|peer))?\ *$ ]] || die "SIDES must name churn, peer or both, got '$SIDES'"
    if [[ -n $CORES ]]; then
        [[ $CORES =~ ^[1-9][0-9]*$ ]] || die "CORES must be a whole number of at least 1, got '$CORES'"
        export RAYON_NUM_THREADS=$CORES POLARS_MAX_THREADS=$CORES OMP_NUM_THREADS=$CORES \
            OPENBLAS_NUM_THREADS=$CORES MKL_NUM_THREADS=$CORES
        if command -v taskset >/dev/null; then
            PIN=(taskset -c "0-$((CORES - 1))")
        else
            log "no taskset here: CORES=$CORES sets the thread pools only"
        fi
    fi
    if [[ ! -x $TIME ]]; then
        log "installing GNU time (Debian package 'time') for wall time and peak memory"
        if [[ $(id -u) -eq 0 ]]; then
            apt-get install -y time >&2
        else
            sudo apt-get install -y time >&2
        fi
    fi
    if [[ ! -x $PY ]] && runs_side peer; then
        [[ $PY == "$DEFAULT_PY" ]] || die "no Python at $PY (set PY, or unset it to use the peer's venv)"
        log "creating the peer's venv from bench/peer/requirements.txt"
        python3 -m venv bench/peer/.venv
        bench/peer/.venv/bin/pip install -r bench/peer/requirements.txt >&2
    fi
}

# Prints one value of a JSON file given as a path of keys, or nothing when it is absent.
json_value() {
    python3 - "$@" <<'EOF'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2:]:
    value = value.get(key) if isinstance(value, dict) else None
print("" if value is None else value)
EOF
}

# Records each distinct command once, for the summary: the first run of each stage and side.
record_command() {
    local size=$1 stage=$2 side=$3
    shift 3
    local line
    line=$(printf '%q ' "$@")
    printf '%s\t%s\t%s\t%s\n' "$size" "$stage" "$side" "${line% }" >>"$OUT/commands.tsv"
}

# timed SIZE STAGE SIDE RUN AUC_KEYS -- COMMAND...: runs COMMAND under GNU time with its
# stdout in $W/<side>-<stage>.json and its stderr in a log, and appends a row to results.csv.
# AUC_KEYS is a dot-separated path to the holdout ROC AUC in the JSON, or "-" for none.
timed() {
    local size=$1 stage=$2 side=$3 run=$4 auc_keys=$5
    shift 6
    local stdout=$W/$side-$stage.json stderr=$W/$side-$stage.log timing=$W/time.txt
    runs_side "$side" || return 0
    if ((run == 1)); then
        record_command "$size" "$stage" "$side" "${PIN[@]}" "$@"
    fi
    if ! "$TIME" -f '%e %M' -o "$timing" "${PIN[@]}" "$@" >"$stdout" 2>"$stderr"; then
        tail -n 20 "$stderr" >&2
        die "$side $stage failed at $size customers (run $run); the log is $stderr"
    fi
    local wall rss_kb rss_mb auc=""
    read -r wall rss_kb <"$timing"
    rss_mb=$(awk -v kb="$rss_kb" 'BEGIN { printf "%.1f", kb / 1024 }')
    if [[ $auc_keys != - ]]; then
        local keys
        IFS=. read -r -a keys <<<"$auc_keys"
        auc=$(json_value "$stdout" "${keys[@]}")
    fi
    echo "$size,$stage,$side,$run,$wall,$rss_mb,$auc" >>"$RESULTS"
    log "$size $stage run $run $side: ${wall}s, ${rss_mb} MB${auc:+, ROC AUC $auc}"
}

learner_flags() {
    case $1 in
        tree) printf '%s\n' "${TREE_FLAGS[@]}" ;;
        forest) printf '%s\n' "${FOREST_FLAGS[@]}" ;;
        *) ;;
    esac
}

# Sets CHURN_TRAIN and PEER_TRAIN to the two sides' commands fitting model $1.
train_commands() {
    local kind=$1 flags
    mapfile -t flags < <(learner_flags "$kind")
    CHURN_TRAIN=("$CHURN" train --data "$D" "${FROM[@]}" --model "$kind" "${flags[@]}" --snapshots 3
        --calibration none --out "$W/churn-models" --json)
    PEER_TRAIN=("$PY" "$PEER" train --data "$D" --model "$kind" "${flags[@]}" --snapshots 3
        --out "$W/peer-$kind.pkl")
}

stage_features() {
    local size=$1 run
    for ((run = 1; run <= RUNS; run++)); do
        timed "$size" features churn "$run" - -- "$CHURN" features --data "$D" "${FROM[@]}" --labels \
            --snapshots 6 --out "$W/churn-features.parquet"
        timed "$size" features peer "$run" - -- "$PY" "$PEER" features --data "$D" --labels \
            --snapshots 6 --out "$W/peer-features.parquet"
    done
}

stage_train() {
    local size=$1 kind=$2 run
    train_commands "$kind"
    for ((run = 1; run <= RUNS; run++)); do
        timed "$size" "train_$kind" churn "$run" holdout.roc_auc -- "${CHURN_TRAIN[@]}"
        timed "$size" "train_$kind" peer "$run" holdout.roc_auc -- "${PEER_TRAIN[@]}"
    done
    if [[ $kind == logistic ]]; then
        json_value "$W/churn-train_logistic.json" id >"$W/churn-logistic.id"
    fi
}

# Evaluation and scoring use the saved logistic model of each side; when the train stage
# was not selected, it is fitted once here, untimed.
ensure_logistic_models() {
    if [[ -s $W/churn-logistic.id ]] && { ! runs_side peer || [[ -s $W/peer-logistic.pkl ]]; }; then
        return
    fi
    log "$1: fitting the logistic models once, untimed, for evaluate and score"
    train_commands logistic
    "${CHURN_TRAIN[@]}" >"$W/churn-untimed-train.json" 2>"$W/churn-untimed-train.log" ||
        die "untimed churn train failed at $1 customers; the log is $W/churn-untimed-train.log"
    json_value "$W/churn-untimed-train.json" id >"$W/churn-logistic.id"
    if runs_side peer; then
        "${PEER_TRAIN[@]}" >"$W/peer-untimed-train.json" 2>"$W/peer-untimed-train.log" ||
            die "untimed peer train failed at $1 customers; the log is $W/peer-untimed-train.log"
    fi
}

# The peer's train already scores its holdout, and it has no separate evaluate command,
# so this stage times the Rust tool alone.
stage_evaluate() {
    local size=$1 run id
    ensure_logistic_models "$size"
    id=$(<"$W/churn-logistic.id")
    for ((run = 1; run <= RUNS; run++)); do
        timed "$size" evaluate churn "$run" evaluation.model.roc_auc -- "$CHURN" evaluate \
            --data "$D" "${FROM[@]}" --model "$id" --models-dir "$W/churn-models" --json
    done
}

stage_score() {
    local size=$1 run id
    ensure_logistic_models "$size"
    id=$(<"$W/churn-logistic.id")
    for ((run = 1; run <= RUNS; run++)); do
        timed "$size" score churn "$run" - -- "$CHURN" score --data "$D" "${FROM[@]}" --model "$id" \
            --models-dir "$W/churn-models" --out "$W/churn-scores.csv" --show 0
        timed "$size" score peer "$run" - -- "$PY" "$PEER" score --data "$D" \
            --model "$W/peer-logistic.pkl" --out "$W/peer-scores.csv"
    done
}

# The Rust tool with one `churn ingest` first, as a nightly job would run it: every later
# command reads the ingested copy instead of parsing and checking the CSV files again.
# Per run: ingest, then features, train_logistic, evaluate and score from the copy. The
# copy is removed afterwards, and the scores must equal those read from the files.
stage_ingested() {
    local size=$1 run id
    runs_side churn || return 0
    for ((run = 1; run <= RUNS; run++)); do
        rm -rf "$D/.churn"
        timed "$size" ingest churn "$run" - -- "$CHURN" ingest --data "$D" --json
        FROM=()
        timed "$size" features_ingested churn "$run" - -- "$CHURN" features --data "$D" \
            --labels --snapshots 6 --out "$W/churn-features-ingested.parquet"
        train_commands logistic
        timed "$size" train_logistic_ingested churn "$run" holdout.roc_auc -- "${CHURN_TRAIN[@]}"
        id=$(json_value "$W/churn-train_logistic_ingested.json" id)
        timed "$size" evaluate_ingested churn "$run" evaluation.model.roc_auc -- "$CHURN" \
            evaluate --data "$D" --model "$id" --models-dir "$W/churn-models" --json
        timed "$size" score_ingested churn "$run" - -- "$CHURN" score --data "$D" --model "$id" \
            --models-dir "$W/churn-models" --out "$W/churn-scores-ingested.csv" --show 0
        FROM=(--read-files)
    done
    rm -rf "$D/.churn"
    if [[ -s $W/churn-scores.csv && -s $W/churn-logistic.id && $(<"$W/churn-logistic.id") == "$id" ]]; then
        cmp -s "$W/churn-scores.csv" "$W/churn-scores-ingested.csv" ||
            die "the scores read from the ingested copy differ from those read from the files"
        log "$size: the scores from the ingested copy equal those from the files, byte for byte"
    fi
}

# End to end, per side and run: features + train logistic + evaluate (churn only) + score,
# wall times summed, peak memory the largest of the processes. Written only when every
# part was timed in this invocation.
end_to_end() {
    local size=$1
    for stage in features train_logistic evaluate score; do
        wants "$stage" || return 0
    done
    sum_rows "$size" end_to_end "features train_logistic evaluate score"
}

# sum_rows SIZE NAME "STAGES": per side and run, the wall times of STAGES summed and the
# largest peak memory, appended to results.csv as stage NAME.
sum_rows() {
    local size=$1 name=$2 parts=$3
    awk -F, -v size="$size" -v name="$name" -v parts=" $parts " '
        $1 == size && index(parts, " " $2 " ") {
            key = $3 "," $4
            wall[key] += $5
            if ($6 > rss[key]) rss[key] = $6
        }
        END { for (key in wall) printf "%s,%s,%s,%.2f,%.1f,\n", size, name, key, wall[key], rss[key] }
    ' "$RESULTS" | sort -t, -k3,3 -k4,4n >"$W/$name.csv"
    cat "$W/$name.csv" >>"$RESULTS"
}

# Drops the rows (and recorded commands) that this invocation is about to measure again;
# end_to_end only when this invocation times all of its parts (and so writes it anew).
forget_previous() {
    local size stage keep forget=$SELECTED
    if [[ ! -s $RESULTS ]]; then
        echo "$HEADER" >"$RESULTS"
    fi
    if wants features && wants train_logistic && wants evaluate && wants score; then
        forget="$forget end_to_end"
    fi
    if wants ingested; then
        forget="$forget $INGESTED_ROWS end_to_end_ingested"
    fi
    keep=$(mktemp)
    for file in "$RESULTS" "$OUT/commands.tsv"; do
        [[ -f $file ]] || continue
        awk -F'[,\t]' -v sizes="$SIZES" -v stages="$forget" '
            BEGIN {
                n = split(sizes, s, " "); for (i = 1; i <= n; i++) size[s[i]] = 1
                n = split(stages, t, " "); for (i = 1; i <= n; i++) stage[t[i]] = 1
            }
            !(($1 in size) && ($2 in stage))
        ' "$file" >"$keep"
        cat "$keep" >"$file"
    done
    rm -f "$keep"
}

# The median of the numbers on stdin, printed with the format $1 (default two decimals), or
# nothing when there are none.
median() {
    sort -g | awk -v fmt="${1:-%.2f}\n" '
        { v[NR] = $1 }
        END {
            if (NR == 0) exit
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf fmt, m
        }'
}

maximum() {
    sort -g | tail -n 1
}

# cell_values SIZE STAGE SIDE FIELD: the values of one field (5 wall, 6 RSS, 7 AUC) of one cell.
cell_values() {
    awk -F, -v size="$1" -v stage="$2" -v side="$3" -v field="$4" \
        '$1 == size && $2 == stage && $3 == side && $field != "" { print $field }' "$RESULTS"
}

ratio() {
    awk -v peer="$1" -v churn="$2" 'BEGIN { if (peer == "" || churn == "" || churn == 0) print "–"; else printf "%.2f", peer / churn }'
}

or_dash() {
    if [[ -n $1 ]]; then printf '%s' "$1"; else printf '–'; fi
}

auc_cell() {
    local churn peer
    churn=$(cell_values "$1" "$2" churn 7 | median %.4f)
    peer=$(cell_values "$1" "${2%_ingested}" peer 7 | median %.4f)
    if [[ -z $churn && -z $peer ]]; then
        printf '–'
    else
        printf '%s / %s' "$(or_dash "$churn")" "$(or_dash "$peer")"
    fi
}

size_table() {
    local size=$1 stage peer_stage churn_s peer_s churn_mb peer_mb n_churn n_peer
    echo "### $size customers"
    echo
    echo "| stage | churn median s | peer median s | ratio (peer/churn) | churn peak RSS MB | peer peak RSS MB | RSS ratio | ROC AUC churn / peer | runs churn / peer |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for stage in $ROWS; do
        peer_stage=${stage%_ingested}
        n_churn=$(cell_values "$size" "$stage" churn 5 | wc -l)
        ((n_churn > 0)) || [[ $stage == "$peer_stage" ]] || continue
        n_peer=$(cell_values "$size" "$peer_stage" peer 5 | wc -l)
        ((n_churn + n_peer > 0)) || continue
        churn_s=$(cell_values "$size" "$stage" churn 5 | median)
        peer_s=$(cell_values "$size" "$peer_stage" peer 5 | median)
        churn_mb=$(cell_values "$size" "$stage" churn 6 | maximum)
        peer_mb=$(cell_values "$size" "$peer_stage" peer 6 | maximum)
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n' "$stage" \
            "$(or_dash "$churn_s")" "$(or_dash "$peer_s")" "$(ratio "$peer_s" "$churn_s")" \
            "$(or_dash "$churn_mb")" "$(or_dash "$peer_mb")" "$(ratio "$peer_mb" "$churn_mb")" \
            "$(auc_cell "$size" "$stage")" "$n_churn" "$n_peer"
    done
    echo
}

commit_line() {
    local commit
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
        commit="$commit (with uncommitted changes)"
    fi
    echo "$commit"
}

write_summary() {
    local size cpu
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    {
        echo "# Side-by-side benchmark: churn vs the Python peer"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "- commit: $(commit_line); binary: \`$CHURN\` ($("$CHURN" --version 2>/dev/null || echo 'version unknown'))"
        if runs_side peer; then
            echo "- peer: $("$PY" -c 'import sys, polars, sklearn; print(f"Python {sys.version.split()[0]}, polars {polars.__version__}, scikit-learn {sklearn.__version__}")')"
        fi
        echo "- sides: $SIDES; cores: ${CORES:-all $(nproc), each library choosing its threads}${PIN[*]:+ (pinned with ${PIN[*]})}"
        echo "- machine: $(nproc) cores (\`nproc\`), ${cpu:-CPU model unknown}, $(free -g | awk '/^Mem:/ { print $2 " GiB memory (" $7 " GiB available at the end)" }')"
        echo "- data: \`churn generate --customers N\` (seed 42, 2023-01-01 to 2025-12-31), generated once, untimed"
        echo
        echo "Wall seconds are medians over the runs; peak RSS is the largest over the runs, per process"
        echo "(GNU time \`%M\`). Ratios are peer / churn: above 1 the Rust tool is faster or smaller."
        echo "Both sides ran alternately, run by run, on the same files. The Rust models are fitted"
        echo "with \`--calibration none\` because the peer does not calibrate; both use seed 0 and"
        echo "the same depth, leaf size and trees. The peer has no evaluate command (its train"
        echo "already scores the holdout), so \`evaluate\` is the Rust tool alone. \`end_to_end\` is"
        echo "features + train_logistic + evaluate (Rust only) + score, summed per run. Rows"
        echo "\`ingest\` and \`<stage>_ingested\` are the Rust tool after one \`churn ingest\`,"
        echo "reading its ingested copy instead of the CSV files, compared with the peer's same"
        echo "stage from the CSV files; \`end_to_end_ingested\` is ingest + features + train_logistic"
        echo "+ evaluate + score from the copy, compared with the peer's \`end_to_end\`."
        echo
        for size in $(tail -n +2 "$RESULTS" | cut -d, -f1 | sort -un); do
            size_table "$size"
        done
        echo "## Commands"
        echo
        echo "Run from the repository root, in this order (data folder \`$OUT/data-N\`)."
        echo
        echo '```'
        if [[ -f $OUT/commands.tsv ]]; then
            sort -t$'\t' -k1,1n -s "$OUT/commands.tsv" | awk -F'\t' '{ print "# " $1 " " $2 " " $3; print $4 }'
        fi
        echo '```'
    } >"$OUT/summary.md"
}

main() {
    local started=$SECONDS size
    check_tools
    SELECTED=$(selected_stages | tr '\n' ' ')
    [[ -n ${SELECTED// /} ]] || die "STAGES selects nothing"
    mkdir -p "$OUT"
    forget_previous
    log "sizes: $SIZES; runs: $RUNS; stages: $SELECTED; results in $OUT"
    for size in $SIZES; do
        D=$OUT/data-$size
        W=$OUT/work-$size
        mkdir -p "$W"
        # Models of an earlier invocation may come from another build: fit them afresh.
        rm -f "$W/churn-logistic.id" "$W/peer-logistic.pkl"
        if [[ ! -d $D ]]; then
            log "generating $size customers into $D (untimed)"
            "$CHURN" generate --customers "$size" --out "$D" >&2
        fi
        if wants features; then stage_features "$size"; fi
        for kind in logistic tree forest; do
            if wants "train_$kind"; then stage_train "$size" "$kind"; fi
        done
        if wants evaluate; then stage_evaluate "$size"; fi
        if wants score; then stage_score "$size"; fi
        end_to_end "$size"
        if wants ingested; then
            stage_ingested "$size"
            sum_rows "$size" end_to_end_ingested "$INGESTED_ROWS"
        fi
    done
    write_summary
    log "done in $((SECONDS - started)) s: $RESULTS and $OUT/summary.md"
}

main
