//! Benchmark of pglint against the parse-only floor.
//!
//! Build the two measured binaries, then run the harness:
//!
//! ```text
//! cargo build --release --bin pglint --examples
//! cargo run --release --example bench -- [--runs 5] [--apps 100,1000,10000] \
//!     [--shape sop|small|argo] [--pglint PATH] [--floor PATH] [--regen]
//! ```
//!
//! For each app count N the harness generates a synthetic repository
//! (`tests/common/synth.rs`) of the chosen `--shape`:
//!
//! - `sop` (the default): SOP-conformant, as `write_sop_repo` lays it out —
//!   each app's SealedSecret and Database in `infra/databases/postgres/`
//!   next to the shared Cluster, plus a Deployment, Service, ConfigMap
//!   (a few KiB) and kustomization per app under `apps/<app>/`;
//! - `small`: many small files (`write_small_repo`) — per app only its
//!   SealedSecret and Database in the SOP folder and one ~1 KB ConfigMap
//!   under `apps/<app>/`, no per-app kustomization;
//! - `argo`: an Argo CD Application per app (`write_argo_repo`) —
//!   `argocd/<app>.yaml` deploys `overlays/<app>`, whose kustomization
//!   pulls in `infra/databases/postgres/apps/<app>/` (the app's
//!   SealedSecret and Database), and `argocd/postgres-cluster.yaml` the
//!   shared Cluster in `infra/databases/postgres/cluster/`.
//!
//! The repository goes into `$TMPDIR/pglint-bench-N` (`sop`) or
//! `$TMPDIR/pglint-bench-<shape>-N`, once: later runs reuse it unless
//! `--regen` is given. It then runs one warm-up of each command (so both
//! see a warm page cache) followed by `--runs` alternating pairs of
//!
//! ```text
//! <pglint> check --root DIR --format json -q
//! <floor> DIR
//! ```
//!
//! each a child process with stdout discarded. Wall time is measured around
//! spawn + reap; peak RSS is the child's `ru_maxrss` as reported by `wait4`.
//! Alternating the two commands spreads machine noise over both evenly, and
//! the ratio column is the median of the per-pair ratios for the same reason.
//!
//! The Markdown table goes to stdout, progress to stderr. A command exiting
//! non-zero aborts the benchmark, except that on the `small` and `argo`
//! shapes pglint may exit 1: those layouts are not the SOP's, and rules
//! about layout may report findings, which does not matter for a speed
//! measurement (their number is printed to stderr, from the warm-up run,
//! once per repository). On a `sop` repository pglint must be clean, so
//! anything but exit 0 means the numbers would not measure a real check;
//! exit 2 (pglint could not check) aborts on every shape.
//!
//! With `--owner-typos T` (shapes `sop` and `small`) the harness measures the cost of
//! findings instead: next to each repository it generates the same one in which `T`
//! Databases have an owner that is no role (`synth::add_owner_typos`: a dropped letter,
//! swapped letters, the wrong case, a word three edits away, in turn), then alternates
//! `pglint check` on the clean and on the mistyped repository and reports both medians and
//! the median of the per-pair ratios (mistyped / clean). "Did you mean" must keep that
//! ratio bounded (at most 2× for 3,000 typos).
//!
//! Defaults for the binaries are `release/pglint` and
//! `release/examples/parse_floor` in the target directory this harness was
//! built into (normally `target/`).

#[path = "../tests/common/synth.rs"]
mod synth;

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use synth::RepoStats;

/// Seed of every generated repository, so results are comparable over time.
const SEED: u64 = 42;
const MIB: f64 = 1024.0 * 1024.0;

#[derive(Parser)]
#[command(about = "Compare pglint's wall time and peak RSS with the parse-only floor")]
struct Args {
    /// Measured runs of each command per repository (after one warm-up).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Repository sizes to measure, in apps.
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000")]
    apps: Vec<usize>,
    /// Layout of the generated repositories.
    #[arg(long, value_enum, default_value_t = Shape::Sop)]
    shape: Shape,
    /// pglint binary [default: <target>/release/pglint]
    #[arg(long)]
    pglint: Option<PathBuf>,
    /// Floor binary [default: <target>/release/examples/parse_floor]
    #[arg(long)]
    floor: Option<PathBuf>,
    /// Regenerate the repositories even if a previous run left them.
    #[arg(long)]
    regen: bool,
    /// Compare a clean run with a run on the same repository in which this many Databases
    /// have an owner typo (shapes `sop` and `small`), instead of pglint with the floor.
    #[arg(long, value_name = "T")]
    owner_typos: Option<usize>,
}

/// The layouts the benchmark can generate (see the module documentation).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Shape {
    /// SOP-conformant: pglint must report nothing.
    Sop,
    /// Many small files: three of about 1 KB per app.
    Small,
    /// An Argo CD Application and kustomize overlay per app.
    Argo,
}

impl Shape {
    /// Writes the repository of `apps` apps under `root`.
    fn write(self, root: &Path, apps: usize, seed: u64) -> io::Result<RepoStats> {
        match self {
            Self::Sop => synth::write_sop_repo(root, apps, seed),
            Self::Small => synth::write_small_repo(root, apps, seed),
            Self::Argo => synth::write_argo_repo(root, apps, seed),
        }
    }

    /// File name of the cached repository in `$TMPDIR`; `sop` keeps the
    /// name it had before there were shapes, so old caches stay valid.
    fn dir_name(self, apps: usize) -> String {
        match self {
            Self::Sop => format!("pglint-bench-{apps}"),
            Self::Small => format!("pglint-bench-small-{apps}"),
            Self::Argo => format!("pglint-bench-argo-{apps}"),
        }
    }

    /// Exit codes of pglint that still make a valid measurement: on the
    /// conformant shape only a clean check, elsewhere findings too.
    fn pglint_ok(self) -> &'static [i32] {
        match self {
            Self::Sop => &[0],
            Self::Small | Self::Argo => &[0, 1],
        }
    }
}

/// One run of a child process.
struct Sample {
    wall: Duration,
    max_rss_kib: u64,
}

/// Everything measured on one repository.
struct Row {
    apps: usize,
    repo: RepoStats,
    pglint: Vec<Sample>,
    floor: Vec<Sample>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let target = target_dir();
    let pglint = args
        .pglint
        .clone()
        .unwrap_or_else(|| target.join("release/pglint"));
    let floor = args
        .floor
        .clone()
        .unwrap_or_else(|| target.join("release/examples/parse_floor"));

    let missing: Vec<&Path> = [&pglint, &floor]
        .into_iter()
        .filter(|p| !p.is_file())
        .map(PathBuf::as_path)
        .collect();
    if !missing.is_empty() {
        for path in missing {
            eprintln!("error: binary not found: {}", path.display());
        }
        eprintln!("build them with: cargo build --release --bin pglint --examples");
        return ExitCode::FAILURE;
    }

    if let Some(typos) = args.owner_typos {
        if args.shape == Shape::Argo {
            eprintln!("error: --owner-typos needs --shape sop or small");
            return ExitCode::FAILURE;
        }
        return match run_typos(&args, &pglint, typos) {
            Ok(rows) => {
                print_typo_table(&rows);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }

    match run(&args, &pglint, &floor) {
        Ok(rows) => {
            print_table(&rows);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args, pglint: &Path, floor: &Path) -> io::Result<Vec<Row>> {
    let mut rows = Vec::with_capacity(args.apps.len());
    for &apps in &args.apps {
        let (dir, repo) = ensure_repo(args.shape, apps, args.regen)?;
        eprintln!(
            "N={apps}: {} files, {:.2} MiB of YAML in {}",
            repo.files,
            repo.yaml_bytes as f64 / MIB,
            dir.display()
        );

        let mut pglint_cmd = Command::new(pglint);
        pglint_cmd
            .arg("check")
            .arg("--root")
            .arg(&dir)
            .args(["--format", "json", "-q"]);
        let mut floor_cmd = Command::new(floor);
        floor_cmd.arg(&dir);

        let pglint_ok = args.shape.pglint_ok();
        warm_up_pglint(&mut pglint_cmd, pglint_ok)?;
        measure(&mut floor_cmd, &[0])?;
        let mut row = Row {
            apps,
            repo,
            pglint: Vec::new(),
            floor: Vec::new(),
        };
        for i in 1..=args.runs {
            row.pglint.push(measure(&mut pglint_cmd, pglint_ok)?);
            row.floor.push(measure(&mut floor_cmd, &[0])?);
            eprintln!(
                "  run {i}/{}: pglint {:.1} ms, floor {:.1} ms",
                args.runs,
                ms(row.pglint.last().unwrap().wall),
                ms(row.floor.last().unwrap().wall),
            );
        }
        rows.push(row);
    }
    Ok(rows)
}

/// One repository measured clean and with owner typos.
struct TypoRow {
    apps: usize,
    typos: usize,
    clean: Vec<Sample>,
    mistyped: Vec<Sample>,
}

fn run_typos(args: &Args, pglint: &Path, typos: usize) -> io::Result<Vec<TypoRow>> {
    let mut rows = Vec::with_capacity(args.apps.len());
    for &apps in &args.apps {
        let (clean_dir, repo) = ensure_repo(args.shape, apps, args.regen)?;
        let (typo_dir, typos) = ensure_typo_repo(args.shape, apps, typos, args.regen)?;
        eprintln!(
            "N={apps}: {} files, {:.2} MiB of YAML; {typos} owner typos in {}",
            repo.files,
            repo.yaml_bytes as f64 / MIB,
            typo_dir.display()
        );
        let command = |dir: &Path| {
            let mut cmd = Command::new(pglint);
            cmd.arg("check")
                .arg("--root")
                .arg(dir)
                .args(["--format", "json", "-q"]);
            cmd
        };
        let (mut clean_cmd, mut typo_cmd) = (command(&clean_dir), command(&typo_dir));
        let clean_ok = args.shape.pglint_ok();
        warm_up_pglint(&mut clean_cmd, clean_ok)?;
        warm_up_pglint(&mut typo_cmd, &[1])?;
        let mut row = TypoRow {
            apps,
            typos,
            clean: Vec::new(),
            mistyped: Vec::new(),
        };
        for i in 1..=args.runs {
            row.clean.push(measure(&mut clean_cmd, clean_ok)?);
            row.mistyped.push(measure(&mut typo_cmd, &[1])?);
            eprintln!(
                "  run {i}/{}: clean {:.1} ms, with typos {:.1} ms",
                args.runs,
                ms(row.clean.last().unwrap().wall),
                ms(row.mistyped.last().unwrap().wall),
            );
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The repository of [`ensure_repo`] with `typos` owner typos, generated unless a complete one
/// is there; returns its folder and how many typos it holds.
fn ensure_typo_repo(
    shape: Shape,
    apps: usize,
    typos: usize,
    regen: bool,
) -> io::Result<(PathBuf, usize)> {
    let tmp = std::env::temp_dir();
    let name = format!("{}-owner-typos-{typos}", shape.dir_name(apps));
    let dir = tmp.join(&name);
    let stamp = tmp.join(format!("{name}.stats"));
    if !regen
        && dir.is_dir()
        && let Some(written) = fs::read_to_string(&stamp)
            .ok()
            .and_then(|t| t.trim().parse::<usize>().ok())
    {
        return Ok((dir, written));
    }
    eprintln!(
        "generating {apps} apps with {typos} owner typos into {} ...",
        dir.display()
    );
    let _ = fs::remove_file(&stamp);
    match fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    shape.write(&dir, apps, SEED)?;
    let written = synth::add_owner_typos(&dir, apps, SEED, typos)?;
    fs::write(&stamp, format!("{written}\n"))?;
    Ok((dir, written))
}

fn print_typo_table(rows: &[TypoRow]) {
    println!(
        "| N apps | owner typos | clean median ms | clean min–max ms | with typos median ms | with typos min–max ms | typos/clean |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let (clean_median, clean_range) = wall_summary(&row.clean);
        let (typo_median, typo_range) = wall_summary(&row.mistyped);
        let ratio = median(
            row.mistyped
                .iter()
                .zip(&row.clean)
                .map(|(t, c)| t.wall.as_secs_f64() / c.wall.as_secs_f64())
                .collect(),
        );
        println!(
            "| {} | {} | {clean_median:.1} | {clean_range} | {typo_median:.1} | {typo_range} | {ratio:.2}× |",
            row.apps, row.typos
        );
    }
}

/// The target directory this harness runs from: its binary lives at
/// `<target>/<profile>/examples/bench`.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Returns the benchmark repository for `apps`, generating it unless a
/// complete one is already there. Completeness is recorded by a stamp file
/// written beside the repository (not inside it, where it would be linted)
/// only after generation succeeded; it also caches the stats.
fn ensure_repo(shape: Shape, apps: usize, regen: bool) -> io::Result<(PathBuf, RepoStats)> {
    let tmp = std::env::temp_dir();
    let name = shape.dir_name(apps);
    let dir = tmp.join(&name);
    let stamp = tmp.join(format!("{name}.stats"));

    if !regen
        && dir.is_dir()
        && let Some(stats) = read_stamp(&stamp)
    {
        return Ok((dir, stats));
    }

    eprintln!("generating {apps} apps into {} ...", dir.display());
    let _ = fs::remove_file(&stamp);
    match fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let stats = shape.write(&dir, apps, SEED)?;
    fs::write(
        &stamp,
        format!("{SEED} {} {}\n", stats.files, stats.yaml_bytes),
    )?;
    Ok((dir, stats))
}

/// Parses a stamp `SEED FILES YAML_BYTES`; `None` if absent, malformed or
/// from another seed.
fn read_stamp(path: &Path) -> Option<RepoStats> {
    let text = fs::read_to_string(path).ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let (seed, files, yaml_bytes) = (
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    );
    (seed == SEED).then_some(RepoStats {
        files: usize::try_from(files).ok()?,
        yaml_bytes,
    })
}

/// The unmeasured warm-up run of pglint: its JSON report is read (the
/// measured runs discard it) to print how many findings there are, by rule,
/// when there are any. Fails unless pglint exits with one of `ok`.
fn warm_up_pglint(cmd: &mut Command, ok: &[i32]) -> io::Result<()> {
    let output = cmd.stdin(Stdio::null()).output()?;
    // Later runs discard stdout again.
    cmd.stdout(Stdio::null());
    check_status(cmd, output.status.into_raw(), ok)?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| io::Error::other(format!("{}: report is not JSON: {e}", command_line(cmd))))?;
    let diagnostics = report["diagnostics"].as_array().ok_or_else(|| {
        io::Error::other(format!("{}: report has no diagnostics", command_line(cmd)))
    })?;
    let mut by_rule = std::collections::BTreeMap::<&str, usize>::new();
    for d in diagnostics {
        *by_rule
            .entry(d["rule"].as_str().unwrap_or("?"))
            .or_default() += 1;
    }
    let rules: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    eprintln!(
        "  pglint: {} findings (exit {}){}{}",
        diagnostics.len(),
        output.status.code().unwrap_or(-1),
        if rules.is_empty() { "" } else { ": " },
        rules.join(", ")
    );
    Ok(())
}

/// Runs `cmd` to completion with stdout discarded, returning its wall time
/// and peak RSS; fails unless it exits with one of `ok`. The child is reaped
/// with `wait4` directly, because `Child::wait` throws the resource usage
/// away.
// Peak memory comes from wait4's rusage, which std does not expose.
#[allow(unsafe_code)]
fn measure(cmd: &mut Command, ok: &[i32]) -> io::Result<Sample> {
    let start = Instant::now();
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).spawn()?;
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits in pid_t");

    let mut status = 0;
    // SAFETY: rusage is plain old data, for which all-zero bytes are valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unreaped child, and both out-pointers are
        // valid for writes for the duration of the call.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let wall = start.elapsed();
    // Reaped above: dropping `child` neither waits nor kills.
    drop(child);

    check_status(cmd, status, ok)?;
    Ok(Sample {
        wall,
        // Linux reports ru_maxrss in KiB.
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    })
}

/// Fails unless the wait `status` of `cmd` is a normal exit with one of
/// the codes in `ok`.
fn check_status(cmd: &Command, status: libc::c_int, ok: &[i32]) -> io::Result<()> {
    if libc::WIFEXITED(status) && ok.contains(&libc::WEXITSTATUS(status)) {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "{} failed ({}): {}",
        cmd.get_program().to_string_lossy(),
        describe_status(status),
        command_line(cmd),
    )))
}

fn describe_status(status: libc::c_int) -> String {
    if libc::WIFEXITED(status) {
        format!("exit code {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("wait status {status:#x}")
    }
}

fn command_line(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median of a non-empty list (mean of the middle two for even lengths).
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    if xs.len().is_multiple_of(2) {
        (xs[mid - 1] + xs[mid]) / 2.0
    } else {
        xs[mid]
    }
}

/// `median`, `min–max` of the wall times in milliseconds.
fn wall_summary(samples: &[Sample]) -> (f64, String) {
    let walls: Vec<f64> = samples.iter().map(|s| ms(s.wall)).collect();
    let min = walls.iter().copied().fold(f64::INFINITY, f64::min);
    let max = walls.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (median(walls), format!("{min:.1}–{max:.1}"))
}

fn print_table(rows: &[Row]) {
    println!(
        "| N apps | files | YAML MiB | pglint median ms | pglint min–max ms | floor median ms | floor min–max ms | pglint/floor | pglint peak RSS MiB | peak RSS / YAML |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let (pglint_median, pglint_range) = wall_summary(&row.pglint);
        let (floor_median, floor_range) = wall_summary(&row.floor);
        let ratio = median(
            row.pglint
                .iter()
                .zip(&row.floor)
                .map(|(p, f)| p.wall.as_secs_f64() / f.wall.as_secs_f64())
                .collect(),
        );
        let peak_rss_kib = row.pglint.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
        let peak_rss = peak_rss_kib as f64 * 1024.0;
        println!(
            "| {} | {} | {:.2} | {pglint_median:.1} | {pglint_range} | {floor_median:.1} | {floor_range} | {ratio:.2}× | {:.1} | {:.2}× |",
            row.apps,
            row.repo.files,
            row.repo.yaml_bytes as f64 / MIB,
            peak_rss / MIB,
            peak_rss / row.repo.yaml_bytes as f64,
        );
    }
}
