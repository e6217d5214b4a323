# Conveniences; the README's commands work without `just`.

# The gateway on the embedded default (127.0.0.1:8787); extra arguments go to `chittyid serve`.
run *ARGS:
    cargo run --release -p chittyid -- serve {{ARGS}}

# The reference authority on the embedded store (127.0.0.1:8788).
authority *ARGS:
    cargo run --release -p chittyid -- authority {{ARGS}}

# Set up what the tests need, then run every test (as root: the full-disk tests mount a tmpfs).
test *ARGS:
    bash scripts/test.sh {{ARGS}}

lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
    cargo fmt --all

# Micro-benchmarks (divan); figures go in BENCHMARKS.md.
bench:
    cargo bench -p chittyid-domain --bench parse
    cargo bench -p chittyid-domain --bench resilience

# Instruction counts of parse vs uuid under callgrind (repeatable on a busy machine).
instructions:
    cargo build --release -p chittyid-domain --example parse_loop
    for which in chittyid uuid; do valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/parse_loop $which 1000000 2>&1 | grep Collected; done

# Load benchmarks with wrk on loopback.
bench-cli:
    bash scripts/bench-cli.sh

bench-authority:
    bash scripts/bench-authority.sh

bench-gateway:
    bash scripts/bench-gateway.sh

bench-keys:
    bash scripts/bench-keys.sh

bench-postgres:
    bash scripts/bench-postgres.sh

bench-redis:
    bash scripts/bench-redis.sh

bench-summary *BASE:
    BASE={{BASE}} bash scripts/bench-summary.sh

bench-logging:
    bash scripts/bench-logging.sh

# The operations work against a baseline binary: `just bench-operations path/to/chittyid`.
bench-operations BASE:
    BASE={{BASE}} bash scripts/bench-operations.sh

# Two authorities and three gateways on the local PostgreSQL and Redis, loaded, one of each
# SIGKILLed mid-run.
fleet:
    bash scripts/fleet.sh

# Schemathesis against both servers' OpenAPI documents (the test command runs it too).
contract:
    cargo build -p chittyid
    bash scripts/contract.sh
