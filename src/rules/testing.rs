//! Helpers for the rules' unit tests: a small repository built in memory (as `check` builds
//! one from disk), and the findings of one check, or of one rule after the whole lint, over it.

use crate::config::Config;
use crate::deploy::Deploy;
use crate::diagnostic::Finding;
use crate::engine::lint::lint;
use crate::index::Index;
use crate::model::REFLECTOR_PREFIX;
use crate::project::Project;
use crate::rules::Context;

/// One check's findings over `files`.
fn check_findings(
    config: &Config,
    files: &[(&str, &str)],
    check: fn(&Context<'_>, &mut Vec<Finding>),
) -> (Project, Vec<Finding>) {
    let project = Project::from_texts(files, config);
    let deploy = Deploy::build(&project, config);
    let index = Index::build(&project, config, &deploy);
    let cx = Context::new(&project, &index, config);
    let mut findings = Vec::new();
    check(&cx, &mut findings);
    drop(index);
    drop(deploy);
    (project, findings)
}

/// `path:line:column message` of each finding of `check`, sorted.
pub fn run(files: &[(&str, &str)], check: fn(&Context<'_>, &mut Vec<Finding>)) -> Vec<String> {
    run_with(&Config::default(), files, check)
}

/// [`run`] under `config`.
pub fn run_with(
    config: &Config,
    files: &[(&str, &str)],
    check: fn(&Context<'_>, &mut Vec<Finding>),
) -> Vec<String> {
    let (project, findings) = check_findings(config, files, check);
    let mut lines: Vec<String> = findings
        .iter()
        .map(|f| {
            let at = project.text(f.loc.file).line_col(f.loc.span.start());
            format!(
                "{}:{}:{} {}",
                project.path(f.loc.file),
                at.line,
                at.column,
                f.message
            )
        })
        .collect();
    lines.sort();
    lines
}

/// The messages of `check`'s findings, in the order it made them.
pub fn messages(files: &[(&str, &str)], check: fn(&Context<'_>, &mut Vec<Finding>)) -> Vec<String> {
    let (_, findings) = check_findings(&Config::default(), files, check);
    findings.into_iter().map(|f| f.message).collect()
}

/// Every diagnostic of the whole lint of `files` under the default configuration.
pub fn lint_texts(files: &[(&str, &str)]) -> Vec<crate::diagnostic::Diagnostic> {
    let config = Config::default();
    lint(&Project::from_texts(files, &config), &config)
}

/// The ids of the rules the whole lint of `files` reports (precedence included) that start
/// with `prefix`, sorted, once per finding.
pub fn rules_reported(prefix: &str, files: &[(&str, &str)]) -> Vec<String> {
    let mut rules: Vec<String> = lint_texts(files)
        .iter()
        .map(|d| d.rule.to_string())
        .filter(|r| r.starts_with(prefix))
        .collect();
    rules.sort();
    rules
}

/// `path:line message` of every finding of `rule` after the whole lint (suppressions and
/// deduplication included).
pub fn findings(rule: &str, files: &[(&str, &str)]) -> Vec<String> {
    let config = Config::default();
    let project = Project::from_texts(files, &config);
    lint(&project, &config)
        .into_iter()
        .filter(|d| d.rule.as_str() == rule)
        .map(|d| {
            let file = d.finding.loc.file;
            let line = project.text(file).line_col(d.finding.loc.span.start()).line;
            format!("{}:{line} {}", project.path(file), d.finding.message)
        })
        .collect()
}

/// Like [`findings`], for `files` given relative to the SOP folder and reported by file name
/// (`name:line message`).
pub fn lint_sop(rule: &str, files: &[(&str, &str)]) -> Vec<String> {
    let config = Config::default();
    let paths: Vec<String> = files
        .iter()
        .map(|(path, _)| format!("{}/{path}", config.sop_folder))
        .collect();
    let files: Vec<(&str, &str)> = paths
        .iter()
        .zip(files)
        .map(|(path, (_, text))| (path.as_str(), *text))
        .collect();
    findings(rule, &files)
        .into_iter()
        .map(|line| {
            let (path, rest) = line.split_once(':').expect("path:line message");
            format!("{}:{rest}", path.rsplit('/').next().unwrap_or(path))
        })
        .collect()
}

/// A SealedSecret with this own metadata and template metadata (indented lines of YAML).
pub fn sealed_secret(own: &str, template: &str) -> String {
    format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n{own}spec:\n  encryptedData: {{}}\n  template:\n    metadata:\n{template}"
    )
}

/// A Secret in the `postgres` namespace with these Reflector annotations (keys without the
/// `reflector.v1.k8s.emberstack.com/` prefix).
pub fn secret(name: &str, annotations: &[(&str, &str)]) -> String {
    let mut text =
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: postgres\n");
    if !annotations.is_empty() {
        text.push_str("  annotations:\n");
        for (key, value) in annotations {
            text.push_str(&format!("    {REFLECTOR_PREFIX}{key}: {value}\n"));
        }
    }
    text.push_str("type: kubernetes.io/basic-auth\n");
    text
}

/// A Database `gitea` owned by `gitea_user` on cluster `pg`, namespace `db`.
pub const DATABASE: &str = "apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata:
  name: gitea-db
  namespace: db
spec:
  name: gitea
  owner: gitea_user
  cluster:
    name: pg
";

/// A DatabaseRole `wiki_user` of cluster `pg`, namespace `db`, with nothing else set.
pub const DATABASE_ROLE: &str = "apiVersion: postgresql.cnpg.io/v1
kind: DatabaseRole
metadata:
  name: wiki
  namespace: db
spec:
  cluster:
    name: pg
  name: wiki_user
";

pub const CLUSTER: &str = "apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg
  namespace: db
spec:
  managed:
    roles:
      - name: gitea_user
        login: true
        passwordSecret:
          name: gitea-db-creds
";

pub const SECRET: &str = "apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: gitea-db-creds
  namespace: db
spec:
  encryptedData:
    username: AgB
    password: AgC
";
