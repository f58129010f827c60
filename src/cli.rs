//! The command line: parses arguments, runs the engine ([`crate::engine`]), prints, and maps
//! the outcome to an exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::baseline::Baseline;
use crate::config::{Config, ConfigArg, ConfigError, DEFAULT_TOML, FILE_NAME, Level};
use crate::diagnostic::{Diagnostic, Severity};
use crate::engine::{self, lint::severity_of};
use crate::index::Index;
use crate::project::Project;
use crate::report::human::Style;
use crate::report::{self, Summary};
use crate::rules::{self, RuleId};

#[derive(Debug, Parser)]
#[command(
    name = "pglint",
    version,
    about = "Lint a GitOps repository's CloudNativePG databases, roles and sealed credentials"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lint the repository (or only report findings about the given files and folders).
    Check(CheckArgs),
    /// List every rule: id, level as configured (`pglint.toml`), default level, summary.
    Rules(RepoArgs),
    /// Print a rule's full documentation.
    Explain {
        /// A rule id, e.g. `owner-role-missing`.
        rule: String,
    },
    /// Print the objects pglint believes are applied: for a folder with a kustomization,
    /// what `kustomize build` makes of it; for a file, its objects in every deployment that
    /// applies it.
    Render(RenderArgs),
    /// List the deployments pglint found: what applies objects, from where.
    Deployments(RepoArgs),
    /// Add an app's database the SOP way, in one command: the SealedSecret `<app>-db-creds`
    /// (sealed in process with the repository's certificate, a fresh password that is never
    /// written in clear nor shown), the login role in the shared Cluster, the Database, and
    /// the new files in the folder's kustomization. Nothing is written when the result would
    /// add a finding or the app exists (exit 2).
    New(NewArgs),
    /// Re-seal one value, read from standard input, into an existing SealedSecret (a password
    /// rotation), under that SealedSecret's own scope; the rest of the file is kept.
    Seal(SealArgs),
    /// Draw the chains credentials Secret → role → Database → Cluster, with their sync waves
    /// and deployments; links a finding breaks in red, with the rule's id.
    Graph(GraphArgs),
    /// Compare the repository with what is live after a sync: a cluster's roles and databases
    /// in PostgreSQL (read-only catalogue queries) and the Secrets, SealedSecrets, Clusters
    /// and Databases `kubectl get … -o json` printed. Findings and exit codes as `check`.
    Verify(VerifyArgs),
    /// Print a shell completion script, e.g. `pglint completions bash >
    /// ~/.local/share/bash-completion/completions/pglint`.
    Completions { shell: clap_complete::Shell },
    /// Print pglint's manual page (roff) to standard output, or write one page per command
    /// into DIR: `pglint man | man -l -`.
    Man {
        /// Write `pglint.1`, `pglint-check.1`… into this folder instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Write a commented default `pglint.toml` at the repository root (the git top level around
    /// the working directory, else the working directory).
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// The language server for editors (LSP over standard input and output): diagnostics as
    /// you type, fixes and suppressions as code actions, definition, references, hover and
    /// completion along the Secret → role → Database → Cluster chain.
    Server,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Files or folders to report on (the whole repository is still loaded, so references
    /// resolve). Default: everything.
    paths: Vec<PathBuf>,
    /// Repository root. Default: the git top level around the working directory, else the
    /// working directory.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Output format. Default: `github` when `GITHUB_ACTIONS=true`, else `human`; with
    /// `--output`, the file's format (default `json`).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report in `--format` (default `json`) to FILE, and the human report to
    /// standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print how many findings each rule has instead of the findings (`--format human` or
    /// `json`).
    #[arg(long)]
    statistics: bool,
    /// Configuration file, or a TOML `key = value` overriding one of its settings
    /// (repeatable), e.g. `--config 'rules.secret-type = "off"'`. Default file: the first
    /// `pglint.toml` from the working directory up to the repository root, if any.
    #[arg(long, value_name = "FILE|KEY=VALUE", value_parser = ConfigArg::parse)]
    config: Vec<ConfigArg>,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// Exit 0 even when there are findings (2 still means pglint could not check).
    #[arg(long, conflicts_with = "exit_non_zero_on_fix")]
    exit_zero: bool,
    /// With `--fix`: exit 1 when a fix was applied, even if no finding remains.
    #[arg(long, requires = "fix")]
    exit_non_zero_on_fix: bool,
    /// Colour the human report. `auto`: when standard output is a terminal, unless
    /// `NO_COLOR` is set or `TERM=dumb`; `FORCE_COLOR` or `CLICOLOR_FORCE` force it.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print only the findings, no summary line (human and concise formats).
    #[arg(short, long)]
    quiet: bool,
    /// Run only these rules (comma-separated, repeatable).
    #[arg(long = "select", value_name = "RULE", value_delimiter = ',')]
    select: Vec<String>,
    /// Turn these rules off (comma-separated, repeatable).
    #[arg(long = "ignore", value_name = "RULE", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Record today's findings in FILE (then exit 0): adopt pglint without fixing everything.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
    /// Report only findings that FILE (from `--write-baseline`) does not record.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Report only the findings this change introduces against the git revision REF (a
    /// branch, tag or commit, read from git's objects: no checkout), plus change-safety
    /// findings (data a merge would drop, renames CNPG cannot do, rotated credentials).
    #[arg(long, value_name = "REF", conflicts_with_all = ["write_baseline", "baseline"])]
    base: Option<String>,
    /// Also write a Markdown summary (counts, findings with links, the Mermaid picture of the
    /// chains the change touches) to FILE. Under GitHub Actions it is appended to
    /// `$GITHUB_STEP_SUMMARY` anyway.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// Apply the safe fixes, then report what remains.
    #[arg(long)]
    fix: bool,
    /// With `--fix` or `--diff`: apply the unsafe fixes too (they change what is deployed or
    /// pick a name for you; review them).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of writing them (exit 1 when there is
    /// anything to fix).
    #[arg(long, conflicts_with_all = ["write_baseline", "fix"])]
    diff: bool,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// The PostgreSQL to compare with: a URL
    /// (`postgresql://USER@HOST:5432/DB?sslmode=verify-full&sslrootcert=ca.crt`) or libpq
    /// `key=value` pairs; unset parameters come from libpq's variables (`PGHOST`, `PGPORT`,
    /// `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`…). Without it and
    /// without `PGHOST`/`PGHOSTADDR`/`PGPORT`/`PGDATABASE`/`PGUSER`, PostgreSQL is not read.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// The Cluster to verify (`NAME` or `NAMESPACE/NAME`). Default: the only one.
    #[arg(long, value_name = "NAME")]
    cluster: Option<String>,
    /// When several deployments apply the Cluster: the one that is live here.
    #[arg(long, value_name = "NAME")]
    deployment: Option<String>,
    /// The JSON of `kubectl get secrets,sealedsecrets,clusters.postgresql.cnpg.io,databases.postgresql.cnpg.io -A -o json`
    /// (`-`: standard input). Secret values in it are never read nor shown.
    #[arg(long, value_name = "FILE|-")]
    kube_objects: Option<PathBuf>,
    /// Output format. Default: `github` when `GITHUB_ACTIONS=true`, else `human`.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report in `--format` to FILE, and the human report to standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print only the findings, no summary line nor note of what was compared.
    #[arg(short, long)]
    quiet: bool,
    /// Answer a server that asks for the password in clear text or as MD5 over a connection
    /// without TLS (refused by default: CloudNativePG serves TLS and SCRAM). Shorthand for
    /// libpq's default of `require_auth` (any method); an explicit `require_auth` in the URL
    /// or PGREQUIREAUTH is honoured instead.
    #[arg(long)]
    allow_password_without_tls: bool,
    #[command(flatten)]
    repo: RootArgs,
}

#[derive(Debug, clap::Args)]
struct RepoArgs {
    /// Repository root. Default: the git top level around the working directory, else the
    /// working directory.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Configuration file, or a TOML `key = value` overriding one of its settings
    /// (repeatable), e.g. `--config 'rules.secret-type = "off"'`. Default file: the first
    /// `pglint.toml` from the working directory up to the repository root, if any.
    #[arg(long, value_name = "FILE|KEY=VALUE", value_parser = ConfigArg::parse)]
    config: Vec<ConfigArg>,
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    format: ListFormat,
}

#[derive(Debug, clap::Args)]
struct GraphArgs {
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
    /// Only the chains of this app (its Database, role and Secret names start with APP).
    #[arg(long)]
    app: Option<String>,
    #[command(flatten)]
    repo: RootArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (bare, starting with `flowchart`; GitHub renders it in Markdown).
    Mermaid,
    /// Graphviz DOT.
    Dot,
    Json,
}

/// Where the repository is, for the commands that change it.
#[derive(Debug, clap::Args)]
struct RootArgs {
    /// Repository root. Default: the git top level around the working directory, else the
    /// working directory.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Configuration file, or a TOML `key = value` overriding one of its settings
    /// (repeatable). Default file: `pglint.toml` at the repository root, if present.
    #[arg(long, value_name = "FILE|KEY=VALUE", value_parser = ConfigArg::parse)]
    config: Vec<ConfigArg>,
}

#[derive(Debug, clap::Args)]
struct NewArgs {
    /// The app's name (a DNS label: lowercase letters, digits, `-`).
    app: String,
    /// The app's namespace, where Reflector mirrors the credentials. Default: APP.
    #[arg(long, value_name = "APP_NS")]
    namespace: Option<String>,
    /// The login role. Default: APP with `-` written `_`, then `_user`.
    #[arg(long, value_name = "NAME")]
    role: Option<String>,
    /// The database. Default: APP with `-` written `_`.
    #[arg(long, value_name = "NAME")]
    database: Option<String>,
    /// Read the password from the first line of standard input instead of generating 32
    /// random URL-safe characters; at a terminal, prompt for it without echo, twice.
    #[arg(long)]
    password_stdin: bool,
    /// Print the change as a diff (sealed values masked) and write nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    repo: RootArgs,
}

#[derive(Debug, clap::Args)]
struct SealArgs {
    /// The SealedSecret's name.
    #[arg(long)]
    name: String,
    /// Its namespace. Default: the SOP namespace (`postgres`).
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
    /// The key in `spec.encryptedData` to (re)write, e.g. `password`.
    #[arg(long)]
    key: String,
    #[command(flatten)]
    repo: RootArgs,
}

#[derive(Debug, clap::Args)]
struct RenderArgs {
    /// A folder holding a kustomization, or a manifest file.
    path: PathBuf,
    #[command(flatten)]
    repo: RepoArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Graphical reports with snippets.
    Human,
    /// One line per finding: `file:line:col: severity[rule] message`.
    Concise,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions annotations, then the human report.
    Github,
    /// GitLab Code Quality.
    Gitlab,
    /// JUnit XML (GitLab and Jenkins test reports): one failed test case per finding.
    Junit,
    /// reviewdog's Diagnostic Format (`reviewdog -f=rdjson`): fixes become suggested changes.
    Rdjson,
}

/// What `check` reports, in whichever format.
struct Shown<'a> {
    project: &'a Project,
    diagnostics: &'a [Diagnostic],
    summary: Summary,
    /// Print the summary line (no `--quiet`).
    summary_line: bool,
    /// `--statistics`: counts per rule instead of the findings.
    statistics: bool,
    /// What the run wants a reader to know that is no finding (in the JSON summary).
    notices: &'a [String],
    /// What SARIF describes in `tool.driver.rules`: the rules, or the live checks.
    rules: &'a [&'static rules::RuleMeta],
    /// The git top level, which the CI formats' paths are relative to.
    top: &'a Path,
}

impl Shown<'_> {
    /// The report for standard output; with `--output FILE`, the report in `format` (JSON by
    /// default) is written there and standard output gets the human one.
    fn output(
        &self,
        format: Option<Format>,
        file: Option<&Path>,
        style: Style,
    ) -> Result<String, String> {
        match file {
            Some(path) => {
                let report = Format::for_file(format).render(self, Style::plain());
                std::fs::write(path, report)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(Format::Human.render(self, style))
            }
            None => Ok(Format::for_stdout(format, self.statistics).render(self, style)),
        }
    }
}

impl Format {
    /// The format of standard output: the one asked for, else the one the environment calls
    /// for (`github` on GitHub Actions, except for `--statistics`).
    fn for_stdout(explicit: Option<Format>, statistics: bool) -> Format {
        explicit.unwrap_or_else(|| {
            if !statistics && std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
                Format::Github
            } else {
                Format::Human
            }
        })
    }

    /// The format of `--output FILE`: the one asked for, else the JSON contract (never
    /// switched by the environment).
    fn for_file(explicit: Option<Format>) -> Format {
        explicit.unwrap_or(Format::Json)
    }

    fn render(self, shown: &Shown<'_>, style: Style) -> String {
        let Shown {
            project,
            diagnostics,
            summary,
            top,
            ..
        } = *shown;
        let summary_line = shown.summary_line.then_some(summary);
        if shown.statistics {
            return match self {
                Format::Json => report::statistics::render_json(project, diagnostics, summary),
                _ => report::statistics::render_human(diagnostics, summary_line),
            };
        }
        match self {
            Format::Human => report::human::render(project, diagnostics, summary_line, style),
            Format::Concise => report::concise::render(project, diagnostics, summary_line),
            Format::Json => {
                report::json::render_with_notices(project, diagnostics, summary, shown.notices)
            }
            Format::Sarif => report::sarif::render_with(project, diagnostics, shown.rules, top),
            Format::Github => report::github::render(project, diagnostics, summary_line, top),
            Format::Gitlab => report::gitlab::render(project, diagnostics, top),
            Format::Junit => report::junit::render(project, diagnostics, top),
            Format::Rdjson => report::rdjson::render(project, diagnostics, top),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// How a run ended; the one place exit codes are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Findings,
    Failure,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        ExitCode::from(match outcome {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::Failure => 2,
        })
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check(args) => check(args),
        Command::Rules(args) => list_rules(args),
        Command::Explain { rule } => explain(&rule),
        Command::Render(args) => render(args),
        Command::Deployments(args) => list_deployments(args),
        Command::Graph(args) => graph(args),
        Command::New(args) => new_app(args),
        Command::Seal(args) => seal(args),
        Command::Verify(args) => verify(args),
        Command::Init { force } => init(force),
        // The protocol's exit codes: 0 after `shutdown` then `exit`, 1 on `exit` alone.
        Command::Server => crate::server::run().map(|clean| match clean {
            true => Outcome::Clean,
            false => Outcome::Findings,
        }),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "pglint", &mut out);
            print_stdout(&String::from_utf8_lossy(&out));
            Ok(Outcome::Clean)
        }
        Command::Man { dir } => man(dir.as_deref()),
    };
    outcome
        .unwrap_or_else(|message| {
            eprintln!("pglint: {message}");
            Outcome::Failure
        })
        .into()
}

/// The look of the human report on standard output.
fn terminal_style(choice: ColorChoice) -> Style {
    let stdout = std::io::stdout();
    let terminal_width = stdout
        .is_terminal()
        .then(|| terminal_size::terminal_size_of(&stdout))
        .flatten()
        .map(|(width, _)| usize::from(width.0));
    style_for(choice, |name| std::env::var_os(name), terminal_width)
}

/// The style from `--color`, the environment and, when standard output is a terminal, its
/// width. Colour: the flag, else `FORCE_COLOR` (https://force-color.org), else `NO_COLOR`
/// (https://no-color.org), else `CLICOLOR_FORCE`, else a terminal that is not `TERM=dumb`
/// (a variable counts when set, non-empty and, for the two that force, not `0`). `TERM=dumb`
/// also means ASCII drawing. Width: `COLUMNS`, else the terminal's, else [`Style::WIDTH`].
fn style_for(
    choice: ColorChoice,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
    terminal_width: Option<usize>,
) -> Style {
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    let forces = |name: &str| set(name).is_some_and(|v| v != "0");
    let dumb = var("TERM").is_some_and(|t| t == "dumb");
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if forces("FORCE_COLOR") => true,
        ColorChoice::Auto if set("NO_COLOR").is_some() => false,
        ColorChoice::Auto if forces("CLICOLOR_FORCE") => true,
        ColorChoice::Auto => terminal_width.is_some() && !dumb,
    };
    let columns = set("COLUMNS")
        .and_then(|v| v.to_str()?.trim().parse::<usize>().ok())
        .filter(|&w| w > 0);
    Style {
        color,
        unicode: !dumb,
        width: columns.or(terminal_width).unwrap_or(Style::WIDTH),
    }
}

/// The git top level around `dir`, else `dir`.
fn repository_root(dir: &Path) -> PathBuf {
    crate::discover::git_top_level(dir)
        .unwrap_or(dir)
        .to_path_buf()
}

/// The rule of `check` written `id`.
fn known_rule(id: &str) -> Result<RuleId, String> {
    match RuleId::parse(id) {
        Some(rule) if rule.rule().is_some() => return Ok(rule),
        _ => {}
    }
    if rules::live::find(id).is_some() {
        return Err(format!(
            "`{id}` is a check of `pglint verify` (it needs the live cluster), not a rule of `pglint check`"
        ));
    }
    let suggestion = crate::model::closest(id, rules::ALL.iter().map(|r| r.meta().id));
    Err(match suggestion {
        Some(s) => format!("unknown rule `{id}`; did you mean `{s}`?"),
        None => format!("unknown rule `{id}`; `pglint rules` lists every rule"),
    })
}

/// The configuration file in use: `--config FILE`, else the first `pglint.toml` from the
/// working directory up to the repository root (only the root's when the working directory is
/// outside the repository).
fn config_path(root: &Path, cwd: &Path, explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(cwd.join(path));
    }
    let cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf());
    let start = if cwd.starts_with(root) {
        cwd.as_path()
    } else {
        root
    };
    start
        .ancestors()
        .take_while(|dir| dir.starts_with(root))
        .map(|dir| dir.join(FILE_NAME))
        .find(|path| path.is_file())
}

/// The configuration, and the repository-relative path of its file when it is in the
/// repository.
fn load_config(
    root: &Path,
    cwd: &Path,
    args: &[ConfigArg],
) -> Result<(Result<Config, ConfigError>, Option<String>), String> {
    // `PGLINT_NOW` fixes the time dates are compared with.
    let clock = match std::env::var(crate::config::NOW_VAR) {
        Ok(text) if !text.trim().is_empty() => crate::config::Clock::at(&text)
            .map_err(|e| format!("{}: {e}", crate::config::NOW_VAR))?,
        _ => crate::config::Clock::System,
    };
    let overrides = ConfigArg::overrides(args);
    let Some(path) = config_path(root, cwd, ConfigArg::file(args)?) else {
        return Ok((
            Config::from_toml_with_overrides(FILE_NAME, "", overrides)
                .map(|config| Config { clock, ..config }),
            None,
        ));
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let relative = path.canonicalize().ok().and_then(|p| {
        p.strip_prefix(root)
            .ok()
            .map(|r| crate::discover::relative(Path::new(""), r))
    });
    Ok((
        Config::from_toml_with_overrides(&path.display().to_string(), &text, overrides)
            .map(|config| Config { clock, ..config }),
        relative,
    ))
}

/// The repository root and the project loaded from it, for the commands that only read.
fn load_repository(args: &RepoArgs) -> Result<(PathBuf, Config, Project), String> {
    load_root(args.root.as_ref(), &args.config)
}

/// The repository at `root` (default: around the working directory), its configuration and
/// the project loaded from it.
fn load_root(
    root: Option<&PathBuf>,
    config: &[ConfigArg],
) -> Result<(PathBuf, Config, Project), String> {
    let (root, config) = root_config(root, config)?;
    for note in crate::write::recover_if_needed(&root) {
        eprintln!("pglint: note: {note}");
    }
    let project = engine::load(&root, &config).map_err(|e| e.to_string())?;
    print_unreadable(&project);
    Ok((root, config, project))
}

/// As [`load_root`] for a command that writes: the write lock is taken before the repository
/// is read and held until the lock is dropped.
fn load_root_to_write(
    root: Option<&PathBuf>,
    config: &[ConfigArg],
) -> Result<(crate::write::Lock, Config, crate::new::ConfigFile, Project), String> {
    let (root, config, file) = root_config_file(root, config)?;
    let lock = lock_to_write(&root)?;
    let project = engine::load(&root, &config).map_err(|e| e.to_string())?;
    print_unreadable(&project);
    Ok((lock, config, file, project))
}

/// The write lock of `root`, saying what it finished of an earlier run's interrupted write.
fn lock_to_write(root: &Path) -> Result<crate::write::Lock, String> {
    let (lock, notes) = crate::write::Lock::acquire(root)?;
    for note in notes {
        eprintln!("pglint: note: {note}");
    }
    Ok(lock)
}

/// Notes the files the load skipped (unreadable, too large…).
fn print_unreadable(project: &Project) {
    for (path, reason) in &project.unreadable {
        eprintln!("pglint: note: skipped {path}: {reason}");
    }
}

/// The repository root (default: around the working directory) and its configuration.
fn root_config(root: Option<&PathBuf>, config: &[ConfigArg]) -> Result<(PathBuf, Config), String> {
    root_config_file(root, config).map(|(root, config, _)| (root, config))
}

/// [`root_config`], and where the configuration file is.
fn root_config_file(
    root: Option<&PathBuf>,
    config: &[ConfigArg],
) -> Result<(PathBuf, Config, crate::new::ConfigFile), String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let root = match root {
        Some(root) => cwd.join(root),
        None => repository_root(&cwd),
    };
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let (loaded, relative) = load_config(&root, &cwd, config)?;
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            return Err(report::human::render_config_error(&error, Style::plain()));
        }
    };
    let file = match (relative, ConfigArg::file(config)?) {
        (Some(path), _) => crate::new::ConfigFile::InRepository(path),
        (None, Some(_)) => crate::new::ConfigFile::Elsewhere,
        (None, None) => crate::new::ConfigFile::Absent,
    };
    Ok((root, loaded, file))
}

fn render(args: RenderArgs) -> Result<Outcome, String> {
    use crate::deploy::{Deploy, DeploymentKind, Kustomize, display_dir};
    use crate::report::objects::{self, Rendered};

    let (root, config, project) = load_repository(&args.repo)?;
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let target = cwd.join(&args.path);
    let target = target
        .canonicalize()
        .map_err(|_| format!("{} does not exist", args.path.display()))?;
    let relative = target
        .strip_prefix(&root)
        .map_err(|_| {
            format!(
                "{} is outside the repository {}",
                target.display(),
                root.display()
            )
        })?
        .to_string_lossy()
        .replace('\\', "/");
    let mut shown: Vec<Rendered<'_>> = Vec::new();
    let built;
    let deploy;
    if target.is_dir() {
        if project.kustomize.in_dir(&relative).is_none() {
            return Err(format!(
                "{} holds no kustomization.yaml",
                args.path.display()
            ));
        }
        // Exactly what `kustomize build` makes of the folder.
        built = Kustomize::new(&project)
            .build(&relative)
            .map_err(|error| format!("{}: {}", display_dir(&relative), error.message))?;
        for unknown in &built.unknown {
            eprintln!("pglint: note: partly known: {}", unknown.reason);
        }
        shown.extend(built.resources.iter().map(|resource| Rendered {
            object: &resource.object,
            deployment: display_dir(&relative),
            annotations_as_strings: true,
        }));
    } else {
        let file = project.file_id(&relative);
        deploy = Deploy::build(&project, &config);
        for (id, object) in project.sources() {
            if Some(object.file) != file {
                continue;
            }
            let mut applied = false;
            for (deployment, resource) in deploy.instances_of(id) {
                applied = true;
                shown.push(Rendered {
                    object: &resource.object,
                    deployment: &deployment.name,
                    annotations_as_strings: deployment.kind != DeploymentKind::Folder,
                });
            }
            if !applied {
                shown.push(Rendered {
                    object,
                    deployment: "(applied by no deployment)",
                    annotations_as_strings: false,
                });
            }
        }
    }
    let text = match args.repo.format {
        ListFormat::Json => objects::render_json(&project, &shown),
        ListFormat::Human => objects::render_human(&project, &shown),
    };
    print_stdout(&text);
    Ok(Outcome::Clean)
}

/// Writes to standard output; a closed pipe (`pglint render . | head`) is not a failure.
fn print_stdout(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn list_deployments(args: RepoArgs) -> Result<Outcome, String> {
    use crate::deploy::{Deploy, display_dir};

    let (_, config, project) = load_repository(&args)?;
    let deploy = Deploy::build(&project, &config);
    let unknown_deployers: Vec<String> = deploy
        .unknown_deployers
        .iter()
        .map(|u| u.reason.clone())
        .collect();
    let mut rows = Vec::new();
    for deployment in &deploy.deployments {
        let (objects, unknown, error) = match &deployment.rendered {
            Ok(rendered) => (
                rendered.resources.len(),
                rendered.unknown.iter().map(|u| u.reason.clone()).collect(),
                None,
            ),
            Err(error) => (0, Vec::new(), Some(error.message.clone())),
        };
        let line = project
            .text(deployment.origin.file)
            .line_col(deployment.origin.span.start())
            .line;
        rows.push(serde_json::json!({
            "kind": deployment.kind.as_str(),
            "name": deployment.name,
            "source": {"file": project.path(deployment.origin.file), "line": line},
            "root": display_dir(&deployment.root),
            "namespace": deployment
                .forced_namespace
                .as_ref()
                .or(deployment.default_namespace.as_ref())
                .map(|n| n.value.clone()),
            "objects": objects,
            "partially_known": unknown,
            "error": error,
        }));
    }
    let text = match args.format {
        ListFormat::Json => {
            let mut text = serde_json::to_string_pretty(
                &serde_json::json!({"version": 1, "deployments": rows, "unknown_deployers": unknown_deployers}),
            )
            .unwrap_or_default();
            text.push('\n');
            text
        }
        ListFormat::Human => {
            let mut text = String::new();
            for row in &rows {
                text.push_str(&format!(
                    "{} [{}] root={} ({}:{}) namespace={} objects={}",
                    row["name"].as_str().unwrap_or(""),
                    row["kind"].as_str().unwrap_or(""),
                    row["root"].as_str().unwrap_or(""),
                    row["source"]["file"].as_str().unwrap_or(""),
                    row["source"]["line"],
                    row["namespace"].as_str().unwrap_or("-"),
                    row["objects"],
                ));
                if let Some(error) = row["error"].as_str() {
                    text.push_str(&format!(" error: {error}"));
                }
                for reason in row["partially_known"].as_array().into_iter().flatten() {
                    text.push_str(&format!(
                        "\n    partly known: {}",
                        reason.as_str().unwrap_or("")
                    ));
                }
                text.push('\n');
            }
            for reason in &unknown_deployers {
                text.push_str(&format!("unknown: {reason}\n"));
            }
            text.push_str(&format!("{} deployments\n", rows.len()));
            text
        }
    };
    print_stdout(&text);
    Ok(Outcome::Clean)
}

fn check(args: CheckArgs) -> Result<Outcome, String> {
    use crate::engine::FixMode;

    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let root = match &args.root {
        Some(root) => cwd.join(root),
        None => repository_root(&cwd),
    };
    if !root.is_dir() {
        return Err(format!("{} is not a directory", root.display()));
    }
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let style = terminal_style(args.color);
    if args.statistics
        && let Some(format) = args.format
        && !matches!(format, Format::Human | Format::Json)
    {
        return Err("--statistics works with --format human or json".into());
    }
    let (config, config_file) = load_config(&root, &cwd, &args.config)?;
    let mut config = match config {
        Ok(config) => config,
        Err(error) => {
            eprint!("{}", report::human::render_config_error(&error, style));
            return Ok(Outcome::Failure);
        }
    };
    if args.unsafe_fixes && !args.fix && !args.diff {
        eprintln!(
            "pglint: warning: --unsafe-fixes does nothing without --fix or --diff: nothing was fixed (the summary counts the unsafe fixes either way)"
        );
    }
    let select = args
        .select
        .iter()
        .map(|id| known_rule(id))
        .collect::<Result<Vec<RuleId>, String>>()?;
    let ignore = args
        .ignore
        .iter()
        .map(|id| known_rule(id))
        .collect::<Result<Vec<RuleId>, String>>()?;
    if !select.is_empty() {
        for rule in rules::ALL {
            let id = rule.id();
            if !select.contains(&id) {
                config.levels.insert(id, Level::Off);
            } else if severity_of(id, &config).is_none() {
                config.levels.insert(id, Level::On(Severity::Warning));
            }
        }
    }
    for id in ignore {
        config.levels.insert(id, Level::Off);
    }
    let paths = path_filters(&root, &cwd, &args.paths)?;
    let baseline = match &args.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Some(Baseline::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let fix = match (args.fix, args.diff) {
        (_, true) => FixMode::Preview {
            unsafe_fixes: args.unsafe_fixes,
        },
        (true, false) => FixMode::Write {
            unsafe_fixes: args.unsafe_fixes,
        },
        (false, false) => FixMode::Off,
    };
    let options = engine::Options {
        paths,
        fix,
        base: args.base.as_deref(),
        baseline: baseline.as_ref(),
        config_file: config_file.as_deref(),
        writer: None,
        long_running: false,
    };

    let lock = if matches!(fix, FixMode::Write { .. }) {
        Some(lock_to_write(&root)?)
    } else {
        for note in crate::write::recover_if_needed(&root) {
            eprintln!("pglint: note: {note}");
        }
        None
    };
    let options = engine::Options {
        writer: lock.as_ref(),
        ..options
    };
    let project = engine::load(&root, &config).map_err(|e| e.to_string())?;
    print_unreadable(&project);
    let report = match engine::check(project, &config, &options) {
        Ok(report) => report,
        Err(engine::EngineError::Write(failures)) => {
            for failure in &failures {
                eprintln!("pglint: error: {failure}");
            }
            return Err("the fixes were not written".into());
        }
        Err(error) => return Err(error.to_string()),
    };
    let fixed = report.fixes.as_ref().map_or(0, |fixes| fixes.count);
    let fix_refused = report
        .fixes
        .as_ref()
        .is_some_and(|fixes| !fixes.changed_meanwhile.is_empty());
    if let Some(fixes) = &report.fixes {
        for note in &fixes.skipped {
            eprintln!("pglint: note: {note}");
        }
        let (count, files) = (fixes.count, fixes.changed.len());
        if fixes.preview {
            let before = fixes.before.as_ref().unwrap_or(&report.project);
            let paths = fixes.changed.iter().map(|c| c.path.as_str());
            print_stdout(&report::diff::render(before, &report.project, paths));
            eprintln!(
                "pglint: would fix {} in {}",
                report::counted(count, "finding"),
                report::counted(files, "file")
            );
            return Ok(if files > 0 && !args.exit_zero {
                Outcome::Findings
            } else {
                Outcome::Clean
            });
        }
        if count > 0 {
            eprintln!(
                "pglint: fixed {} in {}",
                report::counted(count, "finding"),
                report::counted(files, "file")
            );
        }
    }
    let engine::Report {
        project,
        diagnostics,
        skipped,
        notices,
        unidentified,
        touched,
        stale_baseline,
        fixes: _,
    } = report;
    if let Some(path) = &args.write_baseline {
        let baseline = Baseline::record(&diagnostics);
        std::fs::write(path, baseline.to_json())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!(
            "pglint: recorded {} in {} to {}",
            report::counted(diagnostics.len(), "finding"),
            report::counted(baseline.entries.len(), "entry"),
            path.display()
        );
        return Ok(Outcome::Clean);
    }
    if let Some(path) = &args.baseline
        && !stale_baseline.is_empty()
    {
        let count: usize = stale_baseline.iter().map(|e| e.count).sum();
        eprintln!(
            "pglint: {count} baseline findings are gone; shrink the baseline with --write-baseline {}:",
            path.display()
        );
        for entry in &stale_baseline {
            eprintln!(
                "  {} {} {} (x{})",
                entry.key.rule, entry.key.object, entry.key.path, entry.count
            );
        }
    }
    let summary = Summary::new(&project, &diagnostics).with_skipped(skipped);
    for notice in &notices {
        eprintln!("pglint: note: {notice}");
    }
    let all_rules: Vec<&rules::RuleMeta> = rules::ALL.iter().map(|r| r.meta()).collect();
    let shown = Shown {
        project: &project,
        diagnostics: &diagnostics,
        summary,
        notices: &notices,
        rules: &all_rules,
        summary_line: !args.quiet,
        statistics: args.statistics,
        top: crate::discover::git_top_level(&root).unwrap_or(&root),
    };
    let output = shown.output(args.format, args.output.as_deref(), style)?;
    // A closed pipe (`pglint check | head`) is not pglint's failure.
    print_stdout(&output);
    write_summaries(
        &root,
        &config,
        &project,
        &diagnostics,
        summary,
        touched.as_deref(),
        args.summary.as_deref(),
    )?;
    let failing = !args.exit_zero
        && (summary.errors > 0
            || (args.deny_warnings && (summary.warnings > 0 || unidentified))
            || (args.exit_non_zero_on_fix && fixed > 0));
    // The process ends here: freeing every object one by one would only cost time.
    std::mem::forget(diagnostics);
    std::mem::forget(project);
    Ok(if fix_refused {
        Outcome::Failure
    } else if failing {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// The Markdown summary, to `--summary FILE` and appended to `$GITHUB_STEP_SUMMARY` when it
/// is set. Its picture shows the chains of the files the change touched (with `--base`), else
/// those with findings.
fn write_summaries(
    root: &Path,
    config: &Config,
    project: &Project,
    diagnostics: &[Diagnostic],
    summary: Summary,
    touched: Option<&[String]>,
    file: Option<&Path>,
) -> Result<(), String> {
    let step_summary = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty());
    if file.is_none() && step_summary.is_none() {
        return Ok(());
    }
    let deploy = crate::deploy::Deploy::build(project, config);
    let files: Vec<&str> = match touched {
        Some(paths) => paths.iter().map(String::as_str).collect(),
        None => diagnostics
            .iter()
            .map(|d| project.path(d.finding.loc.file))
            .collect(),
    };
    let graph = report::graph::Graph::build(project, &deploy, diagnostics, None).touching(&files);
    let prefix = crate::git::top_level_prefix(root);
    let links = report::summary::Links::from_env(prefix);
    let text = report::summary::markdown(project, diagnostics, summary, Some(&graph), &links);
    if let Some(path) = file {
        std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = step_summary {
        use std::io::Write as _;
        let mut out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot write $GITHUB_STEP_SUMMARY: {e}"))?;
        out.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write $GITHUB_STEP_SUMMARY: {e}"))?;
    }
    Ok(())
}

fn graph(args: GraphArgs) -> Result<Outcome, String> {
    let (_, config, project) = load_root(args.repo.root.as_ref(), &args.repo.config)?;
    let deploy = crate::deploy::Deploy::build(&project, &config);
    let index = Index::build(&project, &config, &deploy);
    let diagnostics = engine::lint::lint_indexed(&project, &index, &config).diagnostics;
    let graph = report::graph::Graph::build(&project, &deploy, &diagnostics, args.app.as_deref());
    print_stdout(&match args.format {
        GraphFormat::Mermaid => graph.mermaid(),
        GraphFormat::Dot => graph.dot(),
        GraphFormat::Json => graph.json(),
    });
    Ok(Outcome::Clean)
}

/// Repository-relative prefixes of the PATH arguments.
fn path_filters(root: &Path, cwd: &Path, paths: &[PathBuf]) -> Result<Vec<String>, String> {
    paths
        .iter()
        .map(|path| {
            let absolute = cwd.join(path);
            let absolute = absolute
                .canonicalize()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let relative = absolute.strip_prefix(root).map_err(|_| {
                format!(
                    "{} is outside the repository {}",
                    path.display(),
                    root.display()
                )
            })?;
            Ok(crate::discover::relative(Path::new(""), relative))
        })
        .collect()
}

fn list_rules(args: RepoArgs) -> Result<Outcome, String> {
    let (_, config) = root_config(args.root.as_ref(), &args.config)?;
    let level = |id| engine::lint::severity_of(id, &config).map_or("off", Severity::as_str);
    let mut out = String::new();
    match args.format {
        ListFormat::Human => {
            let width = rules::catalogue().map(|m| m.id.len()).max().unwrap_or(0);
            out.push_str(&format!(
                "{:width$}  {:7}  {:7}  summary\n",
                "rule", "level", "default"
            ));
            for &id in RuleId::ALL {
                let meta = id.meta();
                out.push_str(&format!(
                    "{:width$}  {:7}  {:7}  {}\n",
                    meta.id,
                    level(id),
                    meta.default_level.as_str(),
                    meta.summary
                ));
            }
            out.push('\n');
            out.push_str(&crate::schema::embedded::listing());
        }
        ListFormat::Json => {
            let list: Vec<_> = RuleId::ALL
                .iter()
                .map(|&id| {
                    let m = id.meta();
                    serde_json::json!({"id": m.id, "group": m.group.as_str(), "level": level(id), "severity": m.default_level.as_str(), "summary": m.summary})
                })
                .collect();
            out = serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?;
            out.push('\n');
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(Outcome::Clean)
}

/// The rules that judge objects against a CRD: `explain` names the CRDs.
const SCHEMA_RULES: [RuleId; 4] = [
    RuleId::SchemaInvalid,
    RuleId::SchemaUnknownField,
    RuleId::CelRuleFailed,
    RuleId::FieldImmutable,
];

fn explain(id: &str) -> Result<Outcome, String> {
    let Some(meta) = rules::meta(id) else {
        let suggestion = crate::model::closest(id, rules::catalogue().map(|m| m.id));
        return Err(match suggestion {
            Some(s) => format!("unknown rule `{id}`; did you mean `{s}`?"),
            None => format!("unknown rule `{id}`; `pglint rules` lists every rule"),
        });
    };
    let fix = match &meta.fix {
        Some(fix) => format!(
            "Fix: {} (`{}`): {}.",
            fix.applicability.as_str(),
            match fix.applicability {
                crate::edit::Applicability::Safe => "pglint check --fix",
                crate::edit::Applicability::Unsafe => "pglint check --fix --unsafe-fixes",
                crate::edit::Applicability::DisplayOnly => "shown, applied by hand",
            },
            fix.what
        ),
        None => "Fix: none.".to_string(),
    };
    let group = if meta.group == rules::RuleGroup::Live {
        "live (reported by `pglint verify`, which compares the repository with the live cluster)"
    } else {
        meta.group.as_str()
    };
    println!(
        "# {}\n\nDefault severity: {}. Group: {}.\n{}\n{fix}\n\n{}",
        meta.id,
        meta.default_level.as_str(),
        group,
        meta.summary,
        report::rule_docs(meta)
    );
    if SCHEMA_RULES.iter().any(|rule| rule.as_str() == meta.id) {
        print!("\n{}", crate::schema::embedded::listing());
    }
    Ok(Outcome::Clean)
}

fn new_app(args: NewArgs) -> Result<Outcome, String> {
    use std::io::IsTerminal;
    use zeroize::Zeroizing;

    let (lock, config, config_file, project) =
        load_root_to_write(args.repo.root.as_ref(), &args.repo.config)?;
    let root = lock.root().to_path_buf();
    let password = if args.password_stdin && std::io::stdin().is_terminal() {
        prompt_secret("password for the new role")?
    } else if args.password_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        let length = line.trim_end_matches(['\n', '\r']).len();
        line.truncate(length);
        if line.is_empty() {
            return Err("--password-stdin: the first line of standard input is empty".into());
        }
        line
    } else {
        crate::seal::generate_password(32)?
    };
    if password.contains('\0') {
        return Err("the password holds a NUL byte, which PostgreSQL cannot store".into());
    }
    let request = crate::new::NewApp {
        app: args.app,
        namespace: args.namespace,
        role: args.role,
        database: args.database,
        config_file,
    };
    let plan = crate::new::plan_new(&root, &config, &project, &request, &password)?;
    drop(password);
    if args.dry_run {
        let paths = plan.changes.iter().map(|c| c.path.as_str());
        print_stdout(&report::diff::render(&project, &plan.after, paths));
        eprintln!("pglint: dry run: nothing written");
        return Ok(Outcome::Clean);
    }
    if let Err(failures) = crate::write::write_all(&lock, &plan.changes) {
        return Err(format!("nothing was written: {}", failures.join("; ")));
    }
    let mut out = format!("added `{}`:\n", request.app);
    for line in &plan.summary {
        out.push_str(&format!("  {line}\n"));
    }
    for change in &plan.changes {
        let verb = if change.before.is_some() {
            "changed"
        } else {
            "created"
        };
        out.push_str(&format!("  {verb} {}\n", change.path));
    }
    out.push_str("The password exists only in the sealed values: once the app is synced, its pods read it from the mirrored Secret.\n");
    print_stdout(&out);
    Ok(Outcome::Clean)
}

/// A secret typed at a terminal: prompted for without echo (on the terminal, not standard
/// output), then once more to confirm.
fn prompt_secret(what: &str) -> Result<zeroize::Zeroizing<String>, String> {
    use zeroize::Zeroizing;
    let read = |prompt: String| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| format!("cannot read the {what} from the terminal: {e}"))
    };
    let first = read(format!("{what}: "))?;
    if first.is_empty() {
        return Err(format!("the {what} is empty; nothing was written"));
    }
    let again = read(format!("{what} (again): "))?;
    if *first != *again {
        return Err(format!(
            "the two entries of the {what} differ; nothing was written"
        ));
    }
    Ok(first)
}

fn seal(args: SealArgs) -> Result<Outcome, String> {
    use std::io::{IsTerminal, Read};
    use zeroize::Zeroizing;

    let (lock, config, _, project) =
        load_root_to_write(args.repo.root.as_ref(), &args.repo.config)?;
    let root = lock.root().to_path_buf();
    // Before a value is typed for a key the API server would refuse.
    crate::new::check_secret_key(&args.key)?;
    let mut value = Zeroizing::new(Vec::new());
    if std::io::stdin().is_terminal() {
        let typed = prompt_secret(&format!("value of `{}`", args.key))?;
        value.extend_from_slice(typed.as_bytes());
    } else {
        std::io::stdin()
            .read_to_end(&mut value)
            .map_err(|e| format!("cannot read the value from standard input: {e}"))?;
    }
    // One trailing line break is the shell's, not the value's.
    if value.ends_with(b"\n") {
        value.pop();
        if value.ends_with(b"\r") {
            value.pop();
        }
    }
    if value.is_empty() {
        return Err("the value on standard input is empty".into());
    }
    let request = crate::new::SealRequest {
        name: args.name,
        namespace: args.namespace,
        key: args.key,
    };
    let (change, message) = crate::new::plan_seal(&root, &config, &project, &request, &value)?;
    drop(value);
    if let Err(failures) = crate::write::write_all(&lock, std::slice::from_ref(&change)) {
        return Err(format!("nothing was written: {}", failures.join("; ")));
    }
    print_stdout(&format!("{message}\n"));
    Ok(Outcome::Clean)
}

fn verify(args: VerifyArgs) -> Result<Outcome, String> {
    use crate::verify::{self, kube::KubeObjects, live};

    let style = terminal_style(args.color);
    let env = |name: &str| std::env::var(name).ok();
    let read_database = args.database_url.is_some() || live::environment_names_a_server(&env);
    if !read_database && args.kube_objects.is_none() {
        return Err("nothing to compare with: give --database-url (or set PGHOST and the other libpq variables) and/or --kube-objects FILE".into());
    }
    let (_, config, project) = load_root(args.repo.root.as_ref(), &args.repo.config)?;
    let deploy = crate::deploy::Deploy::build(&project, &config);
    let index = Index::build(&project, &config, &deploy);
    let target = verify::choose_cluster(
        &index,
        &config,
        args.cluster.as_deref(),
        args.deployment.as_deref(),
    )?;
    let kube = match &args.kube_objects {
        None => None,
        Some(path) => {
            let (name, text) = if path.as_os_str() == "-" {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
                    format!("cannot read the Kubernetes objects from standard input: {e}")
                })?;
                ("standard input".to_string(), text)
            } else {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                (path.display().to_string(), text)
            };
            let objects = KubeObjects::parse(&text).map_err(|e| format!("{name}: {e}"))?;
            // The text holds every Secret's values: gone as soon as it is read.
            drop(zeroize::Zeroizing::new(text));
            Some(objects)
        }
    };
    let options = read_database
        .then(|| live::ConnectOptions::resolve(args.database_url.as_deref(), &env))
        .transpose()
        .map_err(|e| format!("--database-url: {e}"))?;
    if options.as_ref().is_some_and(|o| o.password_in_url) {
        eprintln!(
            "pglint: warning: the password in --database-url is visible to other users in the process list; use PGPASSWORD or a password file (~/.pgpass, PGPASSFILE) instead"
        );
    }
    let catalogue = options
        .as_ref()
        .map(|o| live::read_catalogue(o, args.allow_password_without_tls))
        .transpose()?;
    let mut diagnostics = verify::compare(
        &index,
        &config,
        &target,
        verify::Live {
            catalogue: catalogue.as_ref(),
            kube: kube.as_ref(),
        },
    );
    crate::engine::lint::sort(&project, &mut diagnostics);
    if !args.quiet {
        let mut compared = Vec::new();
        if let (Some(options), Some(catalogue)) = (&options, &catalogue) {
            compared.push(format!(
                "PostgreSQL {} at {} ({} roles, {} databases)",
                catalogue.server_version,
                options.describe(),
                catalogue.roles.len(),
                catalogue.databases.len()
            ));
        }
        if let Some(kube) = &kube {
            compared.push(format!("{} Kubernetes objects", kube.len()));
        }
        eprintln!(
            "pglint: verified cluster `{}/{}` against {}",
            target.namespace(&config),
            target.name(),
            compared.join(" and ")
        );
    }
    let summary = Summary::new(&project, &diagnostics);
    let root = project.root.clone();
    let live_checks: Vec<&rules::RuleMeta> = rules::live::all().collect();
    let shown = Shown {
        project: &project,
        diagnostics: &diagnostics,
        summary,
        notices: &[],
        rules: &live_checks,
        summary_line: !args.quiet,
        statistics: false,
        top: crate::discover::git_top_level(&root).unwrap_or(&root),
    };
    let output = shown.output(args.format, args.output.as_deref(), style)?;
    print_stdout(&output);
    let failing = summary.errors > 0 || (args.deny_warnings && summary.warnings > 0);
    Ok(if failing {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// `pglint man`: the manual page of the command line, from the same definition as `--help`.
fn man(dir: Option<&Path>) -> Result<Outcome, String> {
    let command = Cli::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .map_err(|e| format!("cannot write into {}: {e}", dir.display()))?;
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut out)
                .map_err(|e| format!("cannot render the manual page: {e}"))?;
            print_stdout(&String::from_utf8_lossy(&out));
        }
    }
    Ok(Outcome::Clean)
}

fn init(force: bool) -> Result<Outcome, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let root = repository_root(&cwd);
    let path = root.join(FILE_NAME);
    let lock = lock_to_write(&root)?;
    // Through the writer: atomic, and never through a symbolic link.
    let before = match std::fs::symlink_metadata(&path) {
        Err(_) => None,
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(format!(
                "{} is a symbolic link; pglint never writes through one",
                path.display()
            ));
        }
        Ok(_) if !force => {
            return Err(format!(
                "{} already exists (use --force to overwrite)",
                path.display()
            ));
        }
        Ok(_) => {
            Some(std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?)
        }
    };
    let change = crate::write::Changed {
        path: FILE_NAME.to_string(),
        before,
        after: DEFAULT_TOML.as_bytes().to_vec(),
    };
    if let Err(failures) = crate::write::write_all(&lock, &[change]) {
        return Err(format!("nothing was written: {}", failures.join("; ")));
    }
    println!("wrote {}", path.display());
    Ok(Outcome::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn style(choice: ColorChoice, vars: &[(&str, &str)], terminal: Option<usize>) -> Style {
        let var = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        };
        style_for(choice, var, terminal)
    }

    #[test]
    fn colour_precedence() {
        let auto = |vars: &[(&str, &str)], terminal| style(ColorChoice::Auto, vars, terminal).color;
        assert!(auto(&[], Some(80)));
        assert!(!auto(&[], None));
        assert!(!auto(&[("NO_COLOR", "1")], Some(80)));
        assert!(
            auto(&[("NO_COLOR", "")], Some(80)),
            "an empty NO_COLOR is unset"
        );
        assert!(auto(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")], None));
        assert!(!auto(&[("FORCE_COLOR", "0")], None));
        assert!(auto(&[("CLICOLOR_FORCE", "1")], None));
        assert!(!auto(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], None));
        assert!(!auto(&[("TERM", "dumb")], Some(80)));
        assert!(auto(&[("TERM", "dumb"), ("FORCE_COLOR", "1")], Some(80)));
        let forced = [("FORCE_COLOR", "1")];
        assert!(!style(ColorChoice::Never, &forced, Some(80)).color);
        assert!(style(ColorChoice::Always, &[("NO_COLOR", "1")], None).color);
    }

    #[test]
    fn drawing_and_width() {
        let plain = style(ColorChoice::Auto, &[], None);
        assert_eq!((plain.unicode, plain.width), (true, Style::WIDTH));
        assert!(!style(ColorChoice::Always, &[("TERM", "dumb")], None).unicode);
        assert_eq!(style(ColorChoice::Auto, &[], Some(90)).width, 90);
        assert_eq!(
            style(ColorChoice::Auto, &[("COLUMNS", "70")], Some(90)).width,
            70
        );
        for bad in ["0", "wide", ""] {
            let width = style(ColorChoice::Auto, &[("COLUMNS", bad)], None).width;
            assert_eq!(width, Style::WIDTH, "COLUMNS={bad:?}");
        }
    }
}
