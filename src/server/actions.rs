//! Code actions: a finding's fix, labelled safe or unsafe as `check --fix` applies them, and a
//! suppression comment (`# pglint-ignore: RULE -- reason`, see [`crate::suppress`]) on the
//! line before the finding.

use lsp_types::{CodeAction, CodeActionKind, Range, TextEdit, Url, WorkspaceEdit};

use crate::diagnostic::Diagnostic;
use crate::edit::Applicability;
use crate::hash::HashMap;
use crate::hash::HashSet;
use crate::rules::RuleId;
use crate::source::FileId;

use super::text::LineIndex;
use super::workspace::{Analysis, to_lsp};

/// The code actions for the findings of `file` whose primary range meets `range`.
pub fn code_actions(
    analysis: &Analysis,
    file: FileId,
    range: Range,
    uri_of: &dyn Fn(&str) -> Option<Url>,
) -> Vec<CodeAction> {
    let index = analysis.line_index(file);
    let (start, end) = (index.offset(range.start), index.offset(range.end));
    let mut actions = Vec::new();
    let mut suppressed: HashSet<(usize, RuleId)> = HashSet::default();
    for diagnostic in &analysis.diagnostics {
        let loc = diagnostic.finding.loc;
        if loc.file != file || loc.span.end() < start || loc.span.start() > end {
            continue;
        }
        let lsp = to_lsp(diagnostic, index.range(loc.span), Vec::new());
        if let Some(action) = fix_action(analysis, diagnostic, &lsp, uri_of) {
            actions.push(action);
        }
        let (line_start, line) = index.line_at(loc.span.start());
        let unsuppressible = crate::suppress::UNSUPPRESSIBLE.contains(&diagnostic.rule);
        if !unsuppressible && suppressed.insert((line_start, diagnostic.rule)) {
            let Some(uri) = uri_of(analysis.project.path(file)) else {
                continue;
            };
            let indent = &line[..line.len() - line.trim_start().len()];
            let at = index.position(line_start);
            let comment = format!("{indent}# pglint-ignore: {} -- \n", diagnostic.rule);
            actions.push(CodeAction {
                title: format!(
                    "Suppress `{}` on this line (write the reason after `--`)",
                    diagnostic.rule
                ),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp]),
                edit: Some(edit_of(
                    uri,
                    vec![TextEdit::new(Range::new(at, at), comment)],
                )),
                ..CodeAction::default()
            });
        }
    }
    actions
}

/// The finding's fix as an action, when it has edits.
fn fix_action(
    analysis: &Analysis,
    diagnostic: &Diagnostic,
    lsp: &lsp_types::Diagnostic,
    uri_of: &dyn Fn(&str) -> Option<Url>,
) -> Option<CodeAction> {
    let fix = diagnostic.finding.fix.as_ref()?;
    if fix.edits.is_empty() || fix.applicability == Applicability::DisplayOnly {
        return None;
    }
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::default();
    let mut indexes: HashMap<FileId, LineIndex<'_>> = HashMap::default();
    for edit in &fix.edits {
        let uri = uri_of(analysis.project.path(edit.file))?;
        let index = indexes
            .entry(edit.file)
            .or_insert_with(|| analysis.line_index(edit.file));
        changes
            .entry(uri)
            .or_default()
            .push(TextEdit::new(index.range(edit.span), edit.content.clone()));
    }
    Some(CodeAction {
        title: format!("Fix: {} ({})", fix.message, fix.applicability.as_str()),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![lsp.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(changes.into_iter().collect()),
            ..WorkspaceEdit::default()
        }),
        is_preferred: Some(fix.applicability == Applicability::Safe),
        ..CodeAction::default()
    })
}

fn edit_of(uri: Url, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(std::iter::once((uri, edits)).collect()),
        ..WorkspaceEdit::default()
    }
}
