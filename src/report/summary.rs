//! The Markdown summary of a run, for a pull request's reviewer: counts, a table of the
//! findings with links to their lines, and the Mermaid picture of the chains the change
//! touched. `check` appends it to `$GITHUB_STEP_SUMMARY` under GitHub Actions, and writes it
//! to `--summary FILE` anywhere.

use std::fmt::Write;

use super::graph::Graph;
use super::{Summary, position};
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Project;

/// Where a finding's line is on the web: `{server}/{repository}/blob/{sha}/{path}#L{line}`
/// under GitHub Actions, else no link.
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub blob_url: Option<String>,
    /// The repository root's path below the git top level (`deploy/` in a monorepo), so
    /// links land on the right file.
    pub prefix: String,
}

impl Links {
    /// From the GitHub Actions environment (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`,
    /// `GITHUB_SHA`).
    pub fn from_env(prefix: String) -> Links {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let blob_url = match (
            var("GITHUB_SERVER_URL"),
            var("GITHUB_REPOSITORY"),
            var("GITHUB_SHA"),
        ) {
            (Some(server), Some(repository), Some(sha)) => {
                Some(format!("{server}/{repository}/blob/{sha}"))
            }
            _ => None,
        };
        Links { blob_url, prefix }
    }

    fn link(&self, path: &str, line: usize) -> String {
        let shown = format!("{path}:{line}");
        match &self.blob_url {
            // A file of the base revision (`REF:path`) has no page at this commit.
            Some(url) if !path.contains(':') => {
                format!("[`{shown}`]({url}/{}{path}#L{line})", self.prefix)
            }
            _ => format!("`{shown}`"),
        }
    }
}

/// Text for a table cell: one line, no `|`.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

pub fn markdown(
    project: &Project,
    diagnostics: &[Diagnostic],
    summary: Summary,
    graph: Option<&Graph>,
    links: &Links,
) -> String {
    let mut out = String::from("## pglint\n\n");
    let _ = writeln!(out, "**{}**\n", summary.line());
    if !diagnostics.is_empty() {
        out.push_str("| severity | rule | where | finding |\n|---|---|---|---|\n");
        for diagnostic in diagnostics {
            let at = position(project, diagnostic.finding.loc);
            let severity = match diagnostic.severity {
                Severity::Error => "❌ error",
                Severity::Warning => "⚠️ warning",
            };
            let _ = writeln!(
                out,
                "| {severity} | `{}` | {} | {} |",
                diagnostic.rule,
                links.link(at.file, at.start.line),
                cell(&diagnostic.finding.message)
            );
        }
        out.push('\n');
    }
    if let Some(graph) = graph.filter(|g| !g.nodes.is_empty()) {
        out.push_str(
            "<details open><summary>The chains this change touches</summary>\n\n```mermaid\n",
        );
        out.push_str(&graph.mermaid());
        out.push_str("```\n\n</details>\n");
    }
    out
}
