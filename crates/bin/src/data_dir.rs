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

/// Creates the directory (readable by its owner only) if it is missing.
pub fn ensure(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    Ok(())
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
/// `create` is written there (owner-only) and returned with `true`.
pub fn load_or_create_secrets(
    path: &Path,
    create: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<(Vec<String>, bool)> {
    match fs::read_to_string(path) {
        Ok(text) => Ok((secret_lines(&text, path)?, false)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let secret = create()?;
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options
                .open(path)
                .with_context(|| format!("creating {}", path.display()))?;
            writeln!(file, "{secret}").with_context(|| format!("writing {}", path.display()))?;
            Ok((vec![secret], true))
        }
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}
