# switchpath recipes. `just` lists them.

default:
    @just --list

# The README's test command: every case file exhaustively, the CLI, the views, bad
# input, policy files, loom, shuttle and proptest at small bounds. It shares the
# release build of `cargo run --release` (no dependency is compiled again).
test:
    cargo test --release

# What `test` leaves out (each test says so in its `#[ignore]`): the stateright
# cross-check of every verdict and shortest length, the long reduction-result
# tests, a thousand random uid-naming rules, loom at bound 2, every value of three
# more traces damaged, every case file without reductions, 128 random
# configurations of the model against shuttle (the same seed: `test` draws the
# first 32 of them).
test-rest:
    cargo test --release --test stateright_agrees --test reduction_result --test uid_rules --test cutoff --test loom --test bad_input --test cases -- --ignored --skip upstream_dumpable_2cpu_loom_bound_3 --skip long_cases_are_as_expected
    PROPTEST_CASES=128 cargo test --release --test proptest the_model_and_shuttle_agree_on_deadlock_freedom

# `test` and `test-rest`: what CI runs.
test-all: test test-rest

# Every policy against the default configurations; counterexamples go to traces/.
matrix:
    cargo run --release -- matrix

# Regenerate the generated docs pages from the tool's own output.
docs-gen:
    cargo run --release -q -- matrix --markdown > docs/matrix.md
    cargo run --release -q -- docs

# Build the book (installs mdbook with cargo if it is missing); output in target/book.
docs:
    command -v mdbook >/dev/null 2>&1 || cargo install mdbook --locked
    mdbook build

# The long model explorations (up to 57 M states each, about 30 minutes in all on 2 cores, 5.5 GiB peak).
long:
    cargo test --release --test cases -- --ignored --nocapture

# The long loom (bound 3) and shuttle (10,000 iterations on 4 CPUs) runs.
concrete-long:
    cargo test --release --test loom --test shuttle -- --ignored --nocapture

# Rewrite the committed loom and shuttle traces.
traces:
    cargo run --release --example write_traces

# Rewrite the committed real-thread trace: run the RHEL policy until its lockup
# (each run interleaves differently; review the new trace before committing it).
run-trace:
    cargo run --release -- run --policy rhel-ptrace-creds --cpus 2 --tasks 0:root,1000,1001,1002 --seconds 10 --trace-out traces/run

# Rewrite the committed scheduler trace `switchpath cost` reads (traces/sched/):
# as root, hackbench and two small process pairs under uids 1001-1004 (one pair
# non-dumpable, one asking for TIF_SPEC_IB), their tasks scraped from /proc, 0.2 s
# of `perf sched record`, kept to 25 ms of the workload's sched_switch events.
record-trace:
    sh scripts/record-trace.sh traces/sched

# The HTML viewer in headless Chromium (needs Debian's chromium).
html-test:
    cargo test --release --test views -- --ignored the_html_page_draws_the_cycle_in_headless_chromium
    cargo test --release --test cost -- --ignored the_cost_chart_renders_in_headless_chromium

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Mutation testing of the policy rules, the properties and the wait-for graph
# (installs cargo-mutants if missing; about 12 minutes on 2 cores after its build).
# Every survivor must be killed by a test or explained in docs/selftest.md.
mutants:
    command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked
    cargo mutants -p switchpath-model --test-package switchpath-model -f 'model/src/policy/*.rs' -f model/src/check/properties.rs -f model/src/kernel/waits.rs -j 2 --timeout 300

# The seeded bugs through the model and shuttle.
selftest:
    cargo run --release -- selftest

# The random properties with many more cases than `cargo test` draws (the hostile
# input and the model against the concrete code); about 3 minutes on 2 cores.
fuzz cases="20000":
    PROPTEST_RNG_SEED=$(date +%s) PROPTEST_CASES={{cases}} cargo test --release --test bad_input
    PROPTEST_RNG_SEED=$(date +%s) PROPTEST_CASES=$(( {{cases}} / 20 )) cargo test --release --test proptest
