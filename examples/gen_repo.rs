//! Writes a synthetic SOP-conformant GitOps repository.
//!
//! ```text
//! cargo run --release --example gen_repo -- OUT_DIR N_APPS [SEED]
//! ```
//!
//! The layout is described in `tests/common/synth.rs`; the same seed always
//! yields the same bytes.

#[path = "../tests/common/synth.rs"]
mod synth;

use std::path::PathBuf;

use clap::Parser;

#[derive(Parser)]
#[command(about = "Write a synthetic SOP-conformant GitOps repository")]
struct Args {
    /// Directory to write into (created if missing; should be empty).
    out_dir: PathBuf,
    /// Number of applications, each with its own database and role.
    apps: usize,
    /// Seed of the deterministic generator.
    #[arg(default_value_t = 42)]
    seed: u64,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let stats = synth::write_sop_repo(&args.out_dir, args.apps, args.seed)?;
    println!(
        "wrote {} apps to {}: files={} yaml_bytes={} ({:.2} MiB)",
        args.apps,
        args.out_dir.display(),
        stats.files,
        stats.yaml_bytes,
        stats.yaml_bytes as f64 / (1024.0 * 1024.0),
    );
    Ok(())
}
