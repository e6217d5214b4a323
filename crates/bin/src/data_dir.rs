//! The per-user data directory and the secrets kept in it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// `$XDG_DATA_HOME/chittyid`, else `~/.local/share/chittyid`, else `./chittyid-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("chittyid");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/chittyid");
    }
    PathBuf::from("chittyid-data")
}

/// Creates the directory, and any missing parents, readable by its owner only. An existing
/// directory is left as it is (its mode is the user's choice), unless other users can write
/// to it: they could replace the database or the key files, so it is refused.
pub fn ensure(dir: &Path) -> anyhow::Result<()> {
    match fs::metadata(dir) {
        Ok(meta) => {
            anyhow::ensure!(
                meta.is_dir(),
                "the data directory {} is not a directory",
                dir.display()
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = meta.permissions().mode() & 0o7777;
                anyhow::ensure!(
                    mode & 0o022 == 0,
                    "refusing the data directory {}: other users can write to it (mode {mode:o}); \
                     choose a directory only you can write to, or run `chmod go-w {}`",
                    dir.display(),
                    dir.display()
                );
            }
            Ok(())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder
                .create(dir)
                .with_context(|| format!("creating the data directory {}", dir.display()))
        }
        Err(err) => {
            Err(err).with_context(|| format!("reading the data directory {}", dir.display()))
        }
    }
}

/// A random token: `prefix` then 32 random bytes in hex.
pub fn new_token(prefix: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("drawing a random token: {e}"))?;
    Ok(format!(
        "{prefix}{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// The secrets in `path`, one per line (blank lines and `#` comments skipped).
pub fn read_secrets(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    secret_lines(&text, path)
}

fn secret_lines(text: &str, path: &Path) -> anyhow::Result<Vec<String>> {
    let secrets: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    anyhow::ensure!(!secrets.is_empty(), "{} holds nothing", path.display());
    Ok(secrets)
}

/// The secrets in `path`, one per line; if the file does not exist, one new secret from
/// `create` is written there (owner-only) and returned with `true`. Safe when several processes
/// start at once: the file appears whole (written aside, then linked into place) and exactly
/// one of them creates it; the others read the one that won.
pub fn load_or_create_secrets(
    path: &Path,
    create: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<(Vec<String>, bool)> {
    match fs::read_to_string(path) {
        Ok(text) => Ok((secret_lines(&text, path)?, false)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let secret = create()?;
            let mut aside = path.as_os_str().to_owned();
            // Unique per process and per call: concurrent creators never share a file.
            static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            aside.push(format!(".{}.{call}.new", std::process::id()));
            let aside = PathBuf::from(aside);
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let written = options
                .open(&aside)
                .and_then(|mut file| {
                    writeln!(file, "{secret}")?;
                    file.sync_all()
                })
                .with_context(|| format!("writing {}", aside.display()));
            let linked =
                written.and_then(|()| fs::hard_link(&aside, path).map_err(anyhow::Error::from));
            let _ = fs::remove_file(&aside);
            match linked {
                Ok(()) => Ok((vec![secret], true)),
                Err(err)
                    if err
                        .downcast_ref::<std::io::Error>()
                        .is_some_and(|e| e.kind() == std::io::ErrorKind::AlreadyExists) =>
                {
                    let text = fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    Ok((secret_lines(&text, path)?, false))
                }
                Err(err) => Err(err).with_context(|| format!("creating {}", path.display())),
            }
        }
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("metadata").permissions().mode() & 0o7777
    }

    #[test]
    fn a_missing_directory_is_created_owner_only_and_an_existing_one_is_left_alone() {
        let root = tempfile::tempdir().expect("temp dir");
        let new = root.path().join("a/b");
        ensure(&new).expect("created");
        assert_eq!(mode(&new), 0o700);
        let home_like = root.path().join("home");
        fs::create_dir(&home_like).expect("dir");
        fs::set_permissions(&home_like, fs::Permissions::from_mode(0o755)).expect("chmod");
        ensure(&home_like).expect("accepted");
        assert_eq!(
            mode(&home_like),
            0o755,
            "an existing directory keeps its mode"
        );
    }

    #[test]
    fn a_directory_others_can_write_to_is_refused_by_name() {
        let root = tempfile::tempdir().expect("temp dir");
        let shared = root.path().join("shared");
        fs::create_dir(&shared).expect("dir");
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).expect("chmod");
        let err = ensure(&shared).expect_err("refused").to_string();
        assert!(
            err.contains("other users can write to it (mode 1777)"),
            "{err}"
        );
        assert!(err.contains(&shared.display().to_string()), "{err}");
    }

    #[test]
    fn concurrent_first_starts_agree_on_one_secret() {
        let root = tempfile::tempdir().expect("temp dir");
        let path = root.path().join("tokens");
        let created: Vec<(Vec<String>, bool)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let path = &path;
                    scope.spawn(move || {
                        load_or_create_secrets(path, || Ok(format!("secret-{i}"))).expect("ok")
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        let winners = created.iter().filter(|(_, new)| *new).count();
        assert_eq!(winners, 1);
        let first = &created[0].0;
        assert!(created.iter().all(|(secrets, _)| secrets == first));
        assert_eq!(mode(&path), 0o600);
    }
}
