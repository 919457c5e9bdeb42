#!/usr/bin/env bash
# Executes notebooks/churn_walkthrough.ipynb headless: what `make notebook` and `make test` run.
#
# Creates the virtual environment notebooks/.venv when it is missing, installs
# notebooks/requirements.txt into it when that file has changed since the last install,
# then runs every cell of a copy of the notebook written to a new temporary directory (the
# committed notebook is never overwritten). Exits non-zero if any cell fails, and prints
# where the executed copy is.
#
# It builds nothing. The churn binary is $CHURN_BIN, else target/release/churn, else
# target/debug/churn. Other settings: PYTHON, the interpreter the virtual environment is
# made from (default python3.11, else python3); CHURN_NOTEBOOK_OUT, where the executed
# copy and the notebook's work files go (default a new directory under $TMPDIR or /tmp).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
venv="$here/.venv"
notebook="$here/churn_walkthrough.ipynb"

fail() {
    echo "notebooks/run.sh: $*" >&2
    exit 1
}

# Prints the absolute path of the churn binary to use, or fails saying how to get one.
find_churn_binary() {
    local bin
    if [[ -n "${CHURN_BIN:-}" ]]; then
        # A relative CHURN_BIN means relative to where the script was started, not to
        # notebooks/, where the kernel runs.
        bin="$(realpath -m -- "$CHURN_BIN")"
    elif [[ -x "$root/target/release/churn" ]]; then
        bin="$root/target/release/churn"
        if [[ "$root/target/debug/churn" -nt "$bin" ]]; then
            echo "note: using target/release/churn, which is older than target/debug/churn" \
                "(set CHURN_BIN to choose)" >&2
        fi
    else
        bin="$root/target/debug/churn"
    fi
    [[ -x "$bin" ]] || fail "no churn binary at $bin: run \`cargo build\` or set CHURN_BIN"
    echo "$bin"
}

# Makes the virtual environment, and installs the pinned packages unless the exact same
# requirements were installed before (a copy of them is kept inside the environment).
prepare_venv() {
    local python="${PYTHON:-}"
    if [[ -z "$python" ]]; then
        python="$(command -v python3.11 || command -v python3 || true)"
    fi
    if [[ ! -x "$venv/bin/python" ]]; then
        [[ -n "$python" ]] || fail "no python3.11 or python3 on PATH: set PYTHON"
        echo "creating $venv with $("$python" --version 2>&1)" >&2
        "$python" -m venv "$venv"
    fi
    if ! cmp -s "$here/requirements.txt" "$venv/requirements.installed"; then
        echo "installing notebooks/requirements.txt into $venv" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
        cp "$here/requirements.txt" "$venv/requirements.installed"
    fi
}

# Fails unless every code cell of the executed notebook ran without an error output and
# every cell that shows a figure has one. nbconvert already stops at the first failing
# cell; this also catches cells that were allowed to fail (the `raises-exception` tag).
check_executed() {
    "$venv/bin/python" - "$1" <<'PY'
import json
import sys

cells = [cell for cell in json.load(open(sys.argv[1]))["cells"] if cell["cell_type"] == "code"]
problems = []
figures = 0
for number, cell in enumerate(cells, start=1):
    source = "".join(cell["source"])
    outputs = cell.get("outputs", [])
    if cell.get("execution_count") is None:
        problems.append(f"code cell {number} did not run")
    for output in outputs:
        if output["output_type"] == "error":
            problems.append(f"code cell {number} failed: {output['ename']}: {output['evalue']}")
    images = sum("image/png" in output.get("data", {}) for output in outputs)
    figures += images
    if "plt.show()" in source and images == 0:
        problems.append(f"code cell {number} shows a figure but has no image output")
if problems:
    sys.exit("\n".join(problems))
print(f"{len(cells)} code cells ran, {figures} figures")
PY
}

main() {
    local bin out started summary
    bin="$(find_churn_binary)"
    prepare_venv
    out="${CHURN_NOTEBOOK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/churn-notebook.XXXXXX")}"
    mkdir -p "$out"
    started=$SECONDS
    # JUPYTER_PREFER_ENV_PATH makes Jupyter pick the kernel of this environment over any
    # `python3` kernel installed for the user, which may lack polars.
    if ! CHURN_BIN="$bin" CHURN_WORK_DIR="$out/work" JUPYTER_PREFER_ENV_PATH=1 \
        "$venv/bin/jupyter" nbconvert --to notebook --execute \
        --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.kernel_name=python3 \
        --output-dir "$out" "$notebook"; then
        fail "the notebook failed (the traceback is above); its work files are in $out/work"
    fi
    summary="$(check_executed "$out/churn_walkthrough.ipynb")" || fail "the executed notebook has problems"
    echo "notebook OK with $bin in $((SECONDS - started))s: $summary"
    echo "executed copy: $out/churn_walkthrough.ipynb"
    echo "work files (data, models, at_risk.csv, figures/): $out/work"
}

main "$@"
