//! `chittyid authority` as a user starts it.

#[test]
fn the_authority_refuses_a_default_jurisdiction_that_is_no_country() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = crate::helpers::chittyid(
        &[
            "authority",
            "--listen",
            "127.0.0.1:0",
            "--default-jurisdiction",
            "ZZZ",
            "--data-dir",
            dir.path().to_str().expect("utf-8"),
        ],
        b"",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("not an ISO 3166-1 alpha-3 country code"),
        "{}",
        run.stderr
    );
}
