//! Writes PNG screenshots of herd's main screens on the demo cluster, through the real
//! connection, feeds, keymap and `render`: `cargo run --release --example screenshots [DIR]`
//! (DIR defaults to the repository's `screenshots/`).
// Tooling code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod raster;
mod session;
mod shots;

use std::path::PathBuf;
use std::process::ExitCode;

use session::Session;

/// The terminal size of every screenshot: roomy enough for every column, small enough to read.
const WIDTH: u16 = 160;
const HEIGHT: u16 = 45;

#[tokio::main]
async fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(shots::default_dir, PathBuf::from);
    match run(&dir).await {
        Ok(written) => {
            for path in written {
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("screenshots: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(dir: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut session = Session::start(WIDTH, HEIGHT).await?;
    let result = shots::take_all(&mut session, dir).await;
    session.stop().await;
    result
}
