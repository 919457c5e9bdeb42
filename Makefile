# The front door: `make demo` runs the pipeline on sample data, `make test` is what CI runs.
CARGO ?= cargo
BIN := target/release/churn
SAMPLE := data/sample
OUT := data/out

.PHONY: demo test check fmt lint build release bench clean-sample notebook

# Release build for the demo: the pipeline is compute-heavy and debug builds are slow.
release:
	$(CARGO) build --release --locked

$(SAMPLE)/customers.csv: | release
	$(BIN) generate --customers 20000 --seed 42 --out $(SAMPLE) --force

demo: release $(SAMPLE)/customers.csv
	$(BIN) validate --data $(SAMPLE)
	$(BIN) ingest --data $(SAMPLE)
	@mkdir -p $(OUT)
	$(BIN) features --data $(SAMPLE) --labels --snapshots 3 --out $(OUT)/features.parquet
	$(BIN) train --data $(SAMPLE) --model logistic --out $(OUT)/models --promote
	$(BIN) evaluate --data $(SAMPLE) --models-dir $(OUT)/models
	$(BIN) report --data $(SAMPLE) --models-dir $(OUT)/models --out $(OUT)/report.html
	$(BIN) score --data $(SAMPLE) --models-dir $(OUT)/models --out $(OUT)/at_risk.csv --keep account_manager --show 10
	@echo "files: $(OUT)/features.parquet, $(OUT)/models/ (model.json, model.md), $(OUT)/report.html, $(OUT)/at_risk.csv"

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --all-targets --locked -- -D warnings

# Build the test binaries once, then run them with nextest when it is installed; then run
# the notebook top to bottom with the binary the tests just built (needs PyPI once, for
# notebooks/.venv).
test: fmt lint
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --locked --no-fail-fast; \
	else \
		$(CARGO) test --locked --no-fail-fast; \
	fi
	CHURN_BIN=target/debug/churn bash notebooks/run.sh

# The side-by-side benchmark against the Python peer (bench/README.md); never part of
# `test`. SIZES, RUNS, STAGES, CHURN and PY pass through from the environment; the results
# folder is BENCH_OUT, because OUT above names the demo's output.
bench: release
	OUT='$(BENCH_OUT)' bash bench/run.sh

# The data scientist's walkthrough, executed into a temporary copy.
notebook:
	$(CARGO) build --locked
	CHURN_BIN=target/debug/churn bash notebooks/run.sh

check: test

clean-sample:
	rm -rf $(SAMPLE) $(OUT)
