//! The `touchpoint` command: parse the configuration once and hand it to the library.

use clap::Parser;
use touchpoint::config::{Cli, Command};

/// jemalloc gives the memory of closed connections and unloaded rooms back to the system, where
/// glibc's allocator kept most of it in fragmented arenas (the soak in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    touchpoint::telemetry::init("touchpoint=info");
    match cli.command {
        Command::Serve(config) => touchpoint::serve_command(config).await,
        Command::Export(config) => touchpoint::export_command(config).await,
        Command::Report(config) => touchpoint::report_command(config).await,
        Command::Check(config) => touchpoint::check_command(config),
        Command::Repair(config) => touchpoint::repair_command(config),
        Command::Backup(config) => touchpoint::backup_command(config),
        Command::Migrate(config) => touchpoint::migrate_command(config).await,
    }
}
