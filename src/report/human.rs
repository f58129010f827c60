//! Human output: miette's graphical reports. All miette use sits in this module, so the
//! renderer can change without touching a rule.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan,
    MietteError, MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents,
};

use textwrap::core::Word;
use textwrap::{WordSeparator, WordSplitter};

use super::{MaskedText, Summary, masked_text, printable};
use crate::diagnostic::{Diagnostic, Severity};
use crate::edit::Applicability;
use crate::hash::HashMap;
use crate::project::Project;
use crate::source::{FileId, Loc};

/// How the report looks: the command line decides from the terminal and the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Unicode box drawing (else ASCII).
    pub unicode: bool,
    /// The columns messages and help are wrapped to (the snippets are never wrapped).
    pub width: usize,
}

impl Style {
    /// The width when it cannot be known (output to a file or a pipe).
    pub const WIDTH: usize = 120;

    /// No colour, Unicode box drawing, [`Style::WIDTH`] columns: for logs, files and tests.
    pub fn plain() -> Style {
        Style {
            color: false,
            unicode: true,
            width: Style::WIDTH,
        }
    }

    fn theme(self) -> GraphicalTheme {
        match (self.unicode, self.color) {
            (true, true) => GraphicalTheme::unicode(),
            (true, false) => GraphicalTheme::unicode_nocolor(),
            (false, true) => GraphicalTheme::ascii(),
            (false, false) => GraphicalTheme::none(),
        }
    }

    /// miette's report handler, wrapping text at spaces only: never inside a word, a name
    /// with hyphens or a `code span`.
    fn handler(self) -> GraphicalReportHandler {
        GraphicalReportHandler::new_themed(self.theme())
            .with_width(self.width)
            .with_links(false)
            .with_break_words(false)
            .with_word_splitter(WordSplitter::NoHyphenation)
            .with_word_separator(WordSeparator::Custom(words))
    }
}

/// The words a line is wrapped between: runs of text ending in spaces, where the spaces inside
/// a `code span` (closed on the same line) do not end a word.
fn words(line: &str) -> Box<dyn Iterator<Item = Word<'_>> + '_> {
    let bytes = line.as_bytes();
    let mut words = Vec::new();
    let (mut start, mut i, mut in_code) = (0, 0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'`' if in_code => in_code = false,
            b'`' => in_code = line[i + 1..].contains('`'),
            b' ' if !in_code => {
                while bytes.get(i) == Some(&b' ') {
                    i += 1;
                }
                words.push(Word::from(&line[start..i]));
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if start < line.len() {
        words.push(Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

/// Masked file texts, shared by every report that shows the file.
struct Sources<'p> {
    project: &'p Project,
    cache: HashMap<FileId, Arc<Masked>>,
}

impl<'p> Sources<'p> {
    fn named(&mut self, file: FileId) -> Arc<Masked> {
        let project = self.project;
        self.cache
            .entry(file)
            .or_insert_with(|| {
                let masked = masked_text(project, file);
                let line_starts = std::iter::once(0)
                    .chain(masked.text.match_indices('\n').map(|(i, _)| i + 1))
                    .collect();
                Arc::new(Masked {
                    name: project.path(file).to_string(),
                    masked,
                    line_starts,
                })
            })
            .clone()
    }
}

/// A masked file and where its lines start. miette's own `SourceCode` for text scans the file
/// from its start for every snippet, which is quadratic in findings × file size; this one
/// hands miette only the lines around the span (the answer is the same).
struct Masked {
    name: String,
    masked: MaskedText,
    line_starts: Vec<usize>,
}

impl Masked {
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset) - 1
    }

    /// Would miette show this span? It pads underlines with `{:width$}`, which panics past
    /// `u16::MAX` columns (a tab counts 4).
    fn fits(&self, start: usize, len: usize) -> bool {
        let line_start = self.line_starts[self.line_of(start.min(self.masked.text.len()))];
        (start + len).saturating_sub(line_start) * 4 < usize::from(u16::MAX)
    }
}

impl SourceCode for Masked {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let (start, end) = (span.offset(), span.offset() + span.len());
        if end > self.masked.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.line_of(start).saturating_sub(before);
        let last = self.line_of(end.saturating_sub(1).max(start)) + after + 1;
        let window_start = self.line_starts[first];
        let window_end = self
            .line_starts
            .get(last + 1)
            .copied()
            .unwrap_or(self.masked.text.len());
        let window = &self.masked.text.as_bytes()[window_start..window_end];
        let inner = SourceSpan::new((start - window_start).into(), span.len());
        let contents = window.read_span(&inner, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            SourceSpan::new(
                (contents.span().offset() + window_start).into(),
                contents.span().len(),
            ),
            contents.line() + first,
            contents.column(),
            contents.line_count() + first,
        )))
    }
}

/// Past this many related locations in other files, the human report lists them one line
/// each instead of a snippet each.
const COMPACT_AFTER: usize = 3;

/// One report: the primary location, same-file related labels, and related notes for the
/// locations in other files (each with its own snippet).
struct Report {
    code: String,
    severity: Severity,
    message: String,
    help: Option<String>,
    source: Arc<Masked>,
    labels: Vec<LabeledSpan>,
    related: Vec<Note>,
}

/// A related location in another file.
struct Note {
    message: String,
    source: Arc<Masked>,
    label: LabeledSpan,
}

/// A label on `source`, whose masked values may be shorter or longer than the original ones.
fn labeled(source: &Masked, loc: Loc, text: Option<String>, primary: bool) -> LabeledSpan {
    let range = source.masked.range(loc.span.range());
    let span = (range.start, range.len());
    if primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    }
}

impl Report {
    fn new(diagnostic: &Diagnostic, sources: &mut Sources<'_>) -> Report {
        let finding = &diagnostic.finding;
        let text = |t: &str| printable(t).into_owned();
        let source = sources.named(finding.loc.file);
        let mut labels = vec![labeled(
            &source,
            finding.loc,
            finding.label.as_deref().map(text),
            true,
        )];
        let mut related = Vec::new();
        // Many objects one mistake affects (the engine merged their findings): a compact list,
        // one line each, instead of a snippet each.
        let elsewhere = finding
            .related
            .iter()
            .filter(|r| r.loc.file != finding.loc.file)
            .count();
        let mut listed = Vec::new();
        for r in &finding.related {
            if r.loc.file == finding.loc.file {
                labels.push(labeled(&source, r.loc, Some(text(&r.message)), false));
            } else if elsewhere > COMPACT_AFTER {
                let line = sources
                    .project
                    .text(r.loc.file)
                    .line_col(r.loc.span.start())
                    .line;
                listed.push(format!(
                    "  {}:{line}: {}",
                    sources.project.path(r.loc.file),
                    text(&r.message)
                ));
            } else {
                let other = sources.named(r.loc.file);
                related.push(Note {
                    message: text(&r.message),
                    label: labeled(&other, r.loc, Some(text(&r.message)), true),
                    source: other,
                });
            }
        }
        let mut help = finding.help.as_deref().map(text);
        if !listed.is_empty() {
            let list = format!("affected ({}):\n{}", listed.len(), listed.join("\n"));
            help = Some(match help {
                Some(help) => format!("{list}\n{help}"),
                None => list,
            });
        }
        if let Some(fix) = &finding.fix {
            let how = match fix.applicability {
                Applicability::Safe => "safe fix, `--fix`",
                Applicability::Unsafe => "unsafe fix, `--fix --unsafe-fixes`",
                Applicability::DisplayOnly => "by hand",
            };
            let line = format!("fix ({how}): {}", text(&fix.message));
            help = Some(match help {
                Some(help) => format!("{help}\n{line}"),
                None => line,
            });
        }
        let fixable = finding.fix.as_ref().is_some_and(|f| f.applies(true));
        Report {
            code: format!(
                "{}[{}]{}",
                diagnostic.severity.as_str(),
                diagnostic.rule,
                if fixable { " [*]" } else { "" }
            ),
            severity: diagnostic.severity,
            message: text(&finding.message),
            help,
            source,
            labels,
            related,
        }
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl MietteDiagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&*self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn MietteDiagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|n| n as &dyn MietteDiagnostic),
        ))
    }
}

impl fmt::Debug for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Note {}

impl MietteDiagnostic for Note {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&*self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(self.label.clone())))
    }
}

/// Renders every diagnostic, then the summary line (unless `summary` is `None`).
pub fn render(
    project: &Project,
    diagnostics: &[Diagnostic],
    summary: Option<Summary>,
    style: Style,
) -> String {
    let handler = style.handler().with_context_lines(1);
    let mut sources = Sources {
        project,
        cache: HashMap::default(),
    };
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = Report::new(diagnostic, &mut sources);
        let mut rendered = String::new();
        let fits = report
            .labels
            .iter()
            .map(|l| (&report.source, l))
            .chain(report.related.iter().map(|n| (&n.source, &n.label)))
            .all(|(source, label)| source.fits(label.offset(), label.len()));
        if fits && handler.render_report(&mut rendered, &report).is_ok() {
            for line in rendered.lines() {
                out.push_str(line.trim_end());
                out.push('\n');
            }
        } else {
            // A span miette cannot show still gets its message and location.
            let at = super::position(project, diagnostic.finding.loc);
            out.push_str(&format!(
                "{}: {}\n  at {}:{}:{}\n",
                report.code,
                printable(&diagnostic.finding.message),
                at.file,
                at.start.line,
                at.start.column
            ));
        }
        out.push('\n');
    }
    if let Some(summary) = summary {
        if let Some(fixable) = summary.fixable_line() {
            out.push_str(&fixable);
            out.push('\n');
        }
        out.push_str(&summary.line());
        out.push('\n');
    }
    out
}

/// A mistake in `pglint.toml`, pointed at like any other diagnostic.
#[derive(Debug)]
struct ConfigReport {
    message: String,
    help: Option<String>,
    source: NamedSource<String>,
    span: Option<std::ops::Range<usize>>,
}

impl fmt::Display for ConfigReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigReport {}

impl MietteDiagnostic for ConfigReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("config"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span.clone()?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, (span.start, span.end - span.start)),
        )))
    }
}

pub fn render_config_error(error: &crate::config::ConfigError, style: Style) -> String {
    let report = ConfigReport {
        message: format!("invalid configuration: {}", error.message),
        help: error.help.clone(),
        source: NamedSource::new(&error.path, error.text.clone()),
        span: error.span.clone(),
    };
    let mut out = String::new();
    if style.handler().render_report(&mut out, &report).is_err() {
        out = format!("{error}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<&str> {
        words(line).map(|w| w.word).collect()
    }

    #[test]
    fn code_spans_are_one_word() {
        assert_eq!(
            split("add `sync-wave: \"2\"` to  `metadata`, then re-seal"),
            [
                "add",
                "`sync-wave: \"2\"`",
                "to",
                "`metadata`,",
                "then",
                "re-seal"
            ]
        );
        // A backtick without its pair on the line is an ordinary character.
        assert_eq!(split("a `b c"), ["a", "`b", "c"]);
        assert_eq!(split("  lead"), ["", "lead"]);
    }

    #[test]
    fn wrapping_never_breaks_a_code_span_or_a_name() {
        let style = Style {
            width: 30,
            ..Style::plain()
        };
        let text = "the value `reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"` of \
                    `wikijs-secrets-sealed` is misplaced";
        let report = ConfigReport {
            message: text.into(),
            help: None,
            source: NamedSource::new("pglint.toml", String::new()),
            span: None,
        };
        let mut out = String::new();
        style.handler().render_report(&mut out, &report).unwrap();
        assert!(
            out.contains("`reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"`"),
            "{out}"
        );
        assert!(out.contains("`wikijs-secrets-sealed`"), "{out}");
        assert!(out.lines().count() > 3, "wrapped: {out}");
    }
}
