//! `scripts/fleet.sh` on this build: two authorities on a database of their own, three gateways
//! on it and Redis, loaded, one of each SIGKILLed mid-run. The script exits 1 if an ID is
//! answered twice, a 5xx comes back outside the kills, the survivors fail a request, or the
//! fleet's rate limit does not hold.

use std::process::Command;

#[test]
fn the_fleet_script_passes_on_this_build() {
    let _alone = crate::helpers::HEAVY_LOAD.blocking_lock();
    for (name, how) in [
        (
            "DATABASE_URL",
            "a PostgreSQL server the script may create a database on",
        ),
        ("REDIS_URL", "a Redis server"),
    ] {
        assert!(
            std::env::var_os(name).is_some(),
            "{name} is not set: this test needs {how}. Run `bash scripts/test.sh` (it starts or \
             installs one and sets {name}), or set it yourself"
        );
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/fleet.sh");
    let output = Command::new("bash")
        .arg(script)
        .env("CHITTYID_BIN", env!("CARGO_BIN_EXE_chittyid"))
        .env("FLEET_REQUESTS", "600")
        .output()
        .expect("bash runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{said}");
    assert!(said.contains("answered twice: 0"), "{said}");
    assert!(said.contains("fleet: passed"), "{said}");
}
