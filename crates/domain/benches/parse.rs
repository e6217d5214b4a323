//! Parse cost of a canonical ChittyID against `uuid::Uuid::parse_str` on a hyphenated UUID,
//! measured in the same run. Run with `cargo bench -p chittyid-domain --bench parse`.

use chittyid_domain::{ChittyId, ValidationOptions, classify, suggest, validate};
use divan::{Bencher, black_box};

/// Counts allocations per iteration, so the figures show that parsing allocates nothing.
#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

const VALID: &str = "03-1-USA-0001-P-2602-0-85";
const BAD_CHECKSUM: &str = "03-1-USA-0001-P-2602-0-84";
const BAD_SHAPE: &str = "CT-A-CHI-1234-I-24-A-0";
const UUID: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";

#[divan::bench]
fn uuid_parse_str(bencher: Bencher) {
    bencher.bench(|| uuid::Uuid::parse_str(black_box(UUID)));
}

#[divan::bench]
fn chittyid_parse_valid(bencher: Bencher) {
    bencher.bench(|| ChittyId::parse(black_box(VALID)));
}

#[divan::bench]
fn chittyid_parse_bad_checksum(bencher: Bencher) {
    bencher.bench(|| ChittyId::parse(black_box(BAD_CHECKSUM)));
}

#[divan::bench]
fn chittyid_parse_bad_shape(bencher: Bencher) {
    bencher.bench(|| ChittyId::parse(black_box(BAD_SHAPE)));
}

#[divan::bench]
fn validate_valid(bencher: Bencher) {
    bencher.bench(|| validate(black_box(VALID), ValidationOptions::default()));
}

#[divan::bench]
fn validate_client_pattern(bencher: Bencher) {
    bencher.bench(|| validate(black_box(BAD_SHAPE), ValidationOptions::default()));
}

#[divan::bench]
fn classify_client_pattern(bencher: Bencher) {
    bencher.bench(|| classify(black_box(BAD_SHAPE)));
}

#[divan::bench]
fn suggest_bad_checksum(bencher: Bencher) {
    bencher.bench(|| suggest(black_box(BAD_CHECKSUM)));
}

#[divan::bench]
fn display_valid(bencher: Bencher) {
    let id = ChittyId::parse(VALID).expect("valid");
    bencher.bench(|| black_box(id).to_string());
}
