//! A throwaway PostgreSQL for the tests of the PostgreSQL store.
//!
//! Debian's `postgresql` package provides the server programs; a cluster is
//! made with `initdb` in a temporary directory and run by `pg_ctl` on a free
//! loopback port, with its socket in that directory, so it never touches a
//! cluster the package itself may run. `initdb` refuses to run as root, so as
//! root every program runs as the package's `postgres` user. One cluster is
//! shared by a test binary ([`PgCluster::shared`], a fresh database per
//! test); a test that stops PostgreSQL starts its own ([`PgCluster::start`]).
//! A watchdog process stops each cluster and removes its directory once the
//! test binary has exited, however it exits.
//!
//! Where the programs are missing the tests fail, saying what to install:
//! a skipped test would pass in CI without testing anything.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, bail};

/// A running PostgreSQL cluster of the tests'.
#[derive(Debug)]
pub struct PgCluster {
    /// The directory holding the cluster (`data`), its socket and its log.
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
    as_postgres: bool,
    /// Stops the cluster when dropped; the shared one lives as long as the test binary.
    stop_on_drop: bool,
}

impl PgCluster {
    /// The cluster shared by every test of this test binary, started on first use.
    pub fn shared() -> anyhow::Result<&'static PgCluster> {
        static SHARED: OnceLock<Result<PgCluster, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let mut cluster = PgCluster::start().map_err(|error| format!("{error:#}"))?;
                cluster.stop_on_drop = false;
                Ok(cluster)
            })
            .as_ref()
            .map_err(|error| anyhow::anyhow!("{error}"))
    }

    /// Starts a cluster of its own, stopped when it is dropped.
    pub fn start() -> anyhow::Result<PgCluster> {
        let bin = server_programs()?;
        let as_postgres = is_root()?;
        let dir = tempfile::Builder::new().prefix("touchpoint-pg-").tempdir()?.keep();
        if as_postgres {
            run(Command::new("chown").arg("postgres:postgres").arg(&dir))?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let cluster = PgCluster { dir, port, bin, as_postgres, stop_on_drop: true };
        cluster.watch()?;
        // --no-sync: initdb's own files need not survive a power cut; the server syncs as usual.
        let data = cluster.data();
        run(cluster
            .program("initdb")
            .args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--no-sync", "-D"])
            .arg(&data))?;
        cluster.start_again()?;
        Ok(cluster)
    }

    /// A new, empty database in the cluster; its URL.
    pub async fn fresh_database(&self) -> anyhow::Result<String> {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let name = format!("touchpoint_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        self.connect("postgres").await?.batch_execute(&format!("CREATE DATABASE {name}")).await?;
        Ok(self.url(&name))
    }

    /// The URL of a database of the cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A client on a database of the cluster, to look at (or damage) what the server stored.
    pub async fn connect(&self, database: &str) -> anyhow::Result<tokio_postgres::Client> {
        let (client, connection) = tokio_postgres::connect(&self.url(database), tokio_postgres::NoTls)
            .await
            .with_context(|| format!("connecting to the test cluster's database {database}"))?;
        tokio::spawn(connection);
        Ok(client)
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`): no checkpoint,
    /// recovery from the write-ahead log at the next start.
    pub fn stop_immediately(&self) -> anyhow::Result<()> {
        run(self.program("pg_ctl").args(["stop", "-m", "immediate", "-w", "-D"]).arg(self.data()))
    }

    /// Starts the server (again) on its port, and waits until it accepts connections.
    pub fn start_again(&self) -> anyhow::Result<()> {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.display());
        run(self
            .program("pg_ctl")
            .args(["start", "-w", "-t", "60", "-o", &options, "-l"])
            .arg(self.dir.join("log"))
            .arg("-D")
            .arg(self.data()))
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A command for one of the server programs, as the `postgres` user when the tests run as root.
    fn program(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// Starts a process of its own session that, once this test binary has exited, stops the
    /// cluster and removes its directory.
    fn watch(&self) -> anyhow::Result<()> {
        let stop = self.program("pg_ctl");
        let stop = std::iter::once(stop.get_program())
            .chain(stop.get_args())
            .map(|part| shell_quote(&part.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ");
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} stop -m immediate -D {data} >/dev/null 2>&1; \
             rm -rf {dir}",
            pid = std::process::id(),
            data = shell_quote(&self.data().to_string_lossy()),
            dir = shell_quote(&self.dir.to_string_lossy()),
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the test cluster's watchdog")?;
        Ok(())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.stop_on_drop {
            let _ = self.stop_immediately();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The directory of `initdb` and `pg_ctl`: on the `PATH`, or Debian's newest version.
fn server_programs() -> anyhow::Result<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .find(|dir| dir.join("pg_ctl").is_file() && dir.join("initdb").is_file());
    if let Some(dir) = on_path {
        return Ok(dir);
    }
    let debian = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(debian)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse::<u32>().ok()?, entry.path().join("bin"))))
        .filter(|(_, bin)| bin.join("pg_ctl").is_file())
        .max_by_key(|(version, _)| *version);
    match newest {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "these tests need PostgreSQL's server programs (initdb, pg_ctl), found neither on the PATH nor \
             under /usr/lib/postgresql: install Debian's `postgresql` package (apt-get install -y postgresql)"
        ),
    }
}

fn is_root() -> anyhow::Result<bool> {
    let output = Command::new("id").arg("-u").output().context("running id -u")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// Runs a command to its end; an error with its output if it fails.
fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command.stdin(Stdio::null()).output().with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
