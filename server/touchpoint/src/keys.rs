//! The server's secrets, kept in the data directory across restarts.
//!
//! `secret` signs room credentials (see `touchpoint_core::identity`), so
//! facilitator links and participant tokens stay valid after a restart.
//! `admin-token` is generated on first start unless one is configured.
//! Both files are readable by the owner only.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use rand::RngExt;
use touchpoint_core::identity::ServerSecret;

/// Reads the signing secret, creating it on first start.
pub fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<ServerSecret> {
    let path = data_dir.join("secret");
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let bytes: [u8; 32] = rand::rng().random();
            write_private(&path, &bytes)?;
            bytes.to_vec()
        }
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) else {
        bail!("{} is not a 32-byte secret; remove it to make a new one (all links change)", path.display());
    };
    Ok(ServerSecret::from_bytes(bytes))
}

/// The admin token: the configured one, or the one kept in the data directory (made on first start).
pub fn load_or_create_admin_token(data_dir: &Path, configured: Option<&str>) -> anyhow::Result<String> {
    if let Some(token) = configured {
        if token.len() < 16 {
            bail!("the admin token must be at least 16 characters");
        }
        return Ok(token.to_owned());
    }
    let path = data_dir.join("admin-token");
    match fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_owned()),
        Ok(_) => bail!("{} is empty; remove it to make a new token", path.display()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let token = random_token();
            write_private(&path, token.as_bytes())?;
            Ok(token)
        }
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

/// 32 random bytes as URL-safe text.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents).and_then(|()| file.sync_all()).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_persist_across_starts() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let token = load_or_create_admin_token(dir.path(), None)?;
        assert_eq!(load_or_create_admin_token(dir.path(), None)?, token);
        assert_eq!(load_or_create_admin_token(dir.path(), Some("configured-token-123"))?, "configured-token-123");
        assert!(load_or_create_admin_token(dir.path(), Some("short")).is_err());
        let secret = load_or_create_secret(dir.path())?;
        let again = load_or_create_secret(dir.path())?;
        let code = touchpoint_core::identity::RoomCode::parse("ABCDEFGHJK")?;
        assert_eq!(secret.facilitator_key(&code), again.facilitator_key(&code));
        Ok(())
    }
}
