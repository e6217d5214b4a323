//! prometheus-client writes OpenMetrics only (a counter's TYPE line names the family without
//! `_total`, its samples with it). The Prometheus text format, which `promtool check metrics`
//! and older scrapers read, names the family `_total` too and has no `# UNIT` or `# EOF`
//! lines. Hand-written because the crate has no Prometheus-format encoder (an open upstream
//! pull request adds one); a line-by-line rewrite that keeps every sample as written.

pub(crate) const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub(crate) const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub(crate) fn to_prometheus_text(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len() + 256);
    // HELP comes before TYPE in a family's header; hold it until the type says its name.
    let mut help: Option<(&str, &str)> = None;
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            help = Some((name, text));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let (exposed, kind) = match kind {
                "counter" => (format!("{name}_total"), "counter"),
                "info" => (format!("{name}_info"), "gauge"),
                other => (name.to_owned(), other),
            };
            if let Some((help_name, text)) = help.take() {
                let name = if help_name == name {
                    exposed.as_str()
                } else {
                    help_name
                };
                out.push_str(&format!("# HELP {name} {text}\n"));
            }
            out.push_str(&format!("# TYPE {exposed} {kind}\n"));
        } else if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        } else {
            if let Some((name, text)) = help.take() {
                out.push_str(&format!("# HELP {name} {text}\n"));
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_with_total_and_openmetrics_lines_are_dropped() {
        let openmetrics = "# HELP chittyid_things Things done.\n# TYPE chittyid_things counter\n\
                           chittyid_things_total{outcome=\"ok\"} 3\n\
                           # HELP chittyid_wait_seconds Waits.\n# TYPE chittyid_wait_seconds histogram\n\
                           # UNIT chittyid_wait_seconds seconds\nchittyid_wait_seconds_sum 0.5\n\
                           chittyid_wait_seconds_count 1\nchittyid_wait_seconds_bucket{le=\"+Inf\"} 1\n\
                           # HELP chittyid_up Up.\n# TYPE chittyid_up gauge\nchittyid_up 1\n# EOF\n";
        assert_eq!(
            to_prometheus_text(openmetrics),
            "# HELP chittyid_things_total Things done.\n# TYPE chittyid_things_total counter\n\
             chittyid_things_total{outcome=\"ok\"} 3\n\
             # HELP chittyid_wait_seconds Waits.\n# TYPE chittyid_wait_seconds histogram\n\
             chittyid_wait_seconds_sum 0.5\nchittyid_wait_seconds_count 1\n\
             chittyid_wait_seconds_bucket{le=\"+Inf\"} 1\n\
             # HELP chittyid_up Up.\n# TYPE chittyid_up gauge\nchittyid_up 1\n"
        );
    }
}
