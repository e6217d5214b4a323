//! Parses one input N times, for instruction counts under `valgrind --tool=callgrind`, which are
//! repeatable where wall-clock benchmarks on a shared machine are not. See BENCHMARKS.md.
//!
//! `cargo run --release -p chittyid-domain --example parse_loop -- chittyid|uuid N`

use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let count: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let mut ok = 0u64;
    match which.as_str() {
        "chittyid" => {
            for _ in 0..count {
                ok += u64::from(
                    chittyid_domain::ChittyId::parse(black_box("03-1-USA-0001-P-2602-0-85"))
                        .is_ok(),
                );
            }
        }
        "uuid" => {
            for _ in 0..count {
                ok += u64::from(
                    uuid::Uuid::parse_str(black_box("67e55044-10b1-426f-9247-bb680e5fe0c8"))
                        .is_ok(),
                );
            }
        }
        _ => {
            eprintln!("usage: parse_loop chittyid|uuid [N]");
            std::process::exit(2);
        }
    }
    println!("{which}: {ok} of {count} parsed");
}
