//! The deployment files: the Kubernetes manifests pass a schema validator (kubernetes-validate,
//! strict: no unknown fields), the systemd units pass `systemd-analyze verify`, and the probes
//! and ports are the ones the servers answer on.

use std::process::Command;

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy");

fn run(program: &str, args: &[&str], install: &str) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("{program} could not be run ({err}): {install}"))
}

#[test]
fn the_kubernetes_manifests_pass_strict_schema_validation() {
    let gateway = format!("{DEPLOY}/kubernetes/gateway.yaml");
    let authority = format!("{DEPLOY}/kubernetes/authority.yaml");
    let output = run(
        "kubernetes-validate",
        &["--strict", &gateway, &authority],
        "install it with `python3 -m pip install kubernetes-validate`, as scripts/test.sh does",
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{said}");
    // Three resources in each file, each one passed.
    assert_eq!(said.matches(" passed for resource ").count(), 6, "{said}");
}

#[test]
fn the_manifests_probe_what_the_servers_answer() {
    let gateway =
        std::fs::read_to_string(format!("{DEPLOY}/kubernetes/gateway.yaml")).expect("read");
    let authority =
        std::fs::read_to_string(format!("{DEPLOY}/kubernetes/authority.yaml")).expect("read");
    for needle in [
        "replicas: 3",
        "path: /health",
        "path: /ready",
        "0.0.0.0:8787",
        "revisionHistoryLimit",
    ] {
        assert!(gateway.contains(needle), "gateway.yaml lacks {needle}");
    }
    for needle in [
        "replicas: 2",
        "path: /v1/health",
        "0.0.0.0:8788",
        "DATABASE_URL",
    ] {
        assert!(authority.contains(needle), "authority.yaml lacks {needle}");
    }
    assert!(gateway.contains("http://chittyid-authority:8788"));
}

#[test]
fn the_systemd_units_pass_systemd_analyze_verify() {
    let dir = tempfile::tempdir().expect("temp dir");
    for unit in ["chittyid-gateway.service", "chittyid-authority.service"] {
        let text = std::fs::read_to_string(format!("{DEPLOY}/systemd/{unit}")).expect("read");
        assert!(
            text.contains("ExecStart=/usr/local/bin/chittyid "),
            "{unit}"
        );
        // verify checks that the command exists: point it at the binary under test.
        let here = text.replace("/usr/local/bin/chittyid", env!("CARGO_BIN_EXE_chittyid"));
        let path = dir.path().join(unit);
        std::fs::write(&path, here).expect("write");
        let output = run(
            "systemd-analyze",
            &["verify", path.to_str().expect("UTF-8")],
            "install Debian's `systemd` package",
        );
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // verify exits 0 on an unknown directive and only says so: any output is a fault.
        assert!(
            output.status.success() && said.trim().is_empty(),
            "{unit}: {said}"
        );
    }
}
