//! The alert rules: `promtool check rules` accepts them, `promtool test rules` shows each one
//! firing on a series that should trigger it and quiet on a healthy gateway, and each alert's
//! runbook link leads to a section of docs/operations.md.

use std::process::Command;

const RULES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/prometheus");
const ALERTS: &str = include_str!("../../../deploy/prometheus/alerts.yml");
const OPERATIONS: &str = include_str!("../../../docs/operations.md");

fn promtool(args: &[&str]) {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(RULES_DIR)
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "promtool could not be run ({err}): install Debian's `prometheus` package \
                 (apt-get install prometheus), as scripts/test.sh does"
            )
        });
    assert!(
        output.status.success(),
        "promtool {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_alert_rules_are_valid_and_their_tests_pass() {
    promtool(&["check", "rules", "alerts.yml"]);
    promtool(&["test", "rules", "alerts_test.yml"]);
}

#[test]
fn the_v2_2_0_names_are_recorded_and_their_tests_pass() {
    promtool(&["check", "rules", "v2_2_0_names.yml"]);
    promtool(&["test", "rules", "v2_2_0_names_test.yml"]);
}

/// GitHub's anchor for a heading: lower case, spaces to dashes, other punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn every_alert_has_a_runbook_section_and_a_test() {
    let anchors: Vec<String> = OPERATIONS
        .lines()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|heading| anchor(heading.trim_start_matches('#')))
        .collect();
    let tests = std::fs::read_to_string(format!("{RULES_DIR}/alerts_test.yml")).expect("tests");
    let alerts: Vec<&str> = ALERTS
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- alert: "))
        .collect();
    assert!(alerts.len() >= 10, "{alerts:?}");
    for alert in alerts {
        let link = format!("docs/operations.md#{}", alert.to_lowercase());
        assert!(ALERTS.contains(&link), "{alert} does not link {link}");
        assert!(
            anchors.contains(&alert.to_lowercase()),
            "docs/operations.md has no section for {alert}"
        );
        let fires = format!("alertname: {alert}\n        exp_alerts:\n          - exp_labels");
        assert!(
            tests.contains(&fires),
            "no test in alerts_test.yml shows {alert} firing"
        );
        assert!(
            tests.contains(&format!("alertname: {alert}, exp_alerts: []")),
            "no test shows {alert} quiet on a healthy gateway"
        );
    }
}
