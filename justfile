# Conveniences; the README's commands work without `just`.

# Validate IDs (the gateway's `serve` arrives with its issue).
run *ARGS:
    cargo run --release -p chittyid -- {{ARGS}}

# Set up PostgreSQL and Redis if needed, then run every test.
test *ARGS:
    bash scripts/test.sh {{ARGS}}

lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
    cargo fmt --all

# Benchmarks (divan); figures go in BENCHMARKS.md.
bench:
    cargo bench -p chittyid-domain --bench parse

# Instruction counts of parse vs uuid under callgrind (repeatable on a busy machine).
instructions:
    cargo build --release -p chittyid-domain --example parse_loop
    for which in chittyid uuid; do valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/parse_loop $which 1000000 2>&1 | grep Collected; done

# Validate a million generated IDs through the CLI and report IDs per second.
bench-cli:
    bash scripts/bench-cli.sh
