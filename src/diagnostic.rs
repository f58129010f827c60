//! The one finding type every rule produces and every reporter renders.

use serde::Serialize;

use crate::edit::Fix;
use crate::model::Object;
use crate::project::Project;
use crate::source::Loc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A secondary location, usually in another file ("roles of postgres-shared are declared here").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Related {
    pub loc: Loc,
    pub message: String,
}

/// What a rule found, before the engine attaches the rule id and configured severity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    pub loc: Loc,
    /// What is wrong, lowercase, without a trailing period, never containing a secret value.
    pub message: String,
    /// A short text under the primary underline.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// The deployment the finding is about, when the object is applied by several (one
    /// overlay breaks it, another does not): part of the finding's identity in a baseline.
    pub deployment: Option<String>,
    /// The most severe this finding may be, whatever its rule's level: a rule whose milder
    /// cases are only hygiene (`role-privileged`: `createdb` alone) caps them.
    pub at_most: Option<Severity>,
    /// The edits that repair it, when they are mechanical (see [`crate::edit`]).
    pub fix: Option<Fix>,
    /// The finding exists only because no object of these kinds was found (an empty list: of
    /// any kind): when a file that could not be parsed may hold one, the engine does not
    /// report it (a cascade of the parse error), and counts it as skipped.
    pub absent: Option<&'static [&'static str]>,
    /// The node of the transformation that made the problem, when it is not where the rule
    /// judged (a kustomization's `namePrefix:` that renamed the Cluster a Database names, a
    /// Cluster renamed away from the name its Databases use): the engine reports every
    /// finding with one cause once, there, the judged objects listed as related locations.
    pub cause: Option<Cause>,
    /// What the finding is about: the object holding the node it points at and that node's
    /// field path. Every rule sets it; a baseline entry and `check --base` identify the
    /// finding by it (with the rule and [`Finding::deployment`]), never by line.
    pub subject: Option<Subject>,
    /// The object the rule judged (its name, or the field), when the finding points at a
    /// transformation instead: what the engine lists when it merges findings of one node.
    pub judged: Option<Loc>,
    /// The places (whole documents, or one node) where a finding of a rule this one yields to
    /// explains this one: fixing that finding settles this one too (`sync-wave-order` of two
    /// objects whose SOP waves are in order, when `sync-wave-wrong` reports one of them;
    /// `naming-convention` at a Database's name, when `database-duplicate` reports it there
    /// and moves its finding to a kustomization's entry). The engine drops this finding only
    /// when such a finding is reported.
    pub explained_within: Vec<Loc>,
}

/// What a finding is about, across revisions of the repository: the object and the field.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Subject {
    /// `Kind/namespace/name` of the object holding the node, as applied (a kustomization's
    /// `namespace:` included, see [`Object::identity`]); the file's path for a node outside
    /// any object (a kustomization without `kind`, a file that could not be parsed).
    pub object: String,
    /// The node's field path from its document's root: `.key` for mapping entries, `[name]`
    /// for list items with a `name`, else `[index]` (`spec.owner`,
    /// `spec.managed.roles[gitea_user].passwordSecret.name`,
    /// `metadata.annotations.argocd.argoproj.io/sync-wave`); empty for the whole document.
    pub path: String,
}

impl Subject {
    /// A field of `object`.
    pub fn field(object: &Object, path: impl Into<String>) -> Subject {
        Subject {
            object: object.identity(),
            path: path.into(),
        }
    }

    /// A field of a file holding no object there (`path`: repository-relative).
    pub fn in_file(file: impl Into<String>, path: impl Into<String>) -> Subject {
        Subject {
            object: file.into(),
            path: path.into(),
        }
    }

    /// The node at `loc`, whose field path is `path` in the object it is about: of the
    /// object holding it, else of its file. A node a kustomization wrote (its `namespace:`,
    /// `namePrefix:`, an inline patch, a common label: where an applied value may come
    /// from) is named by its own field there instead.
    pub fn at(project: &Project, loc: Loc, path: impl Into<String>) -> Subject {
        let object = project.object_at(loc);
        let mut path = project
            .kustomize
            .field_at(loc)
            .unwrap_or_else(|| path.into());
        // An item of a `kind: List` document is an object of its own, named under `items`.
        if object.is_some_and(|o| o.kind_str().ends_with("List"))
            && let Some(index) = project.list_item_at(loc)
        {
            path = format!("items[{index}].{path}");
        }
        match object {
            Some(object) => Subject::field(object, path),
            None => Subject::in_file(project.path(loc.file), path),
        }
    }
}

impl Subject {
    /// The node at `loc` as the model names it (see [`Object::field_at`]), for a finding
    /// built from a location alone (a live finding of `pglint verify`, a node kustomize
    /// refuses); the object's or file's whole document when the model does not read it.
    pub fn of_node(project: &Project, loc: Loc) -> Subject {
        let path = project
            .object_at(loc)
            .and_then(|obj| obj.field_at(loc))
            .unwrap_or_default();
        Subject::at(project, loc, path)
    }
}

/// Where a problem was made, and how (see [`Finding::cause`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cause {
    pub loc: Loc,
    /// The node's object and field: the merged finding's subject.
    pub subject: Subject,
    /// What the node did, as the message of the one finding reported there ("`namePrefix:
    /// shared-` renames Cluster `postgres-shared` to `shared-postgres-shared`").
    pub what: String,
}

impl Finding {
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        Finding {
            loc,
            message: message.into(),
            label: None,
            help: None,
            related: Vec::new(),
            deployment: None,
            at_most: None,
            fix: None,
            absent: None,
            cause: None,
            subject: None,
            judged: None,
            explained_within: Vec::new(),
        }
    }

    /// Records what the finding is about (see [`Finding::subject`]).
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Records that the finding is about the field `path` of the node it points at (see
    /// [`Subject::at`]): what most rules say.
    pub fn field(self, project: &Project, path: impl Into<String>) -> Self {
        let subject = Subject::at(project, self.loc, path);
        self.subject(subject)
    }

    /// Records the judged object's node, when the finding points elsewhere (see
    /// [`Finding::judged`]).
    pub fn judged(mut self, loc: Loc) -> Self {
        self.judged = Some(loc);
        self
    }

    /// Records an object where a finding of a rule this one yields to would explain it (see
    /// [`Finding::explained_within`]).
    pub fn explained_within(mut self, object: Loc) -> Self {
        self.explained_within.push(object);
        self
    }

    /// Where the judged object is: [`Finding::judged`], else where the finding points.
    pub fn judged_loc(&self) -> Loc {
        self.judged.unwrap_or(self.loc)
    }

    /// Records the node that made the problem, and its subject (see [`Finding::cause`]).
    pub fn caused_by(mut self, loc: Loc, subject: Subject, what: impl Into<String>) -> Self {
        self.cause = Some(Cause {
            loc,
            subject,
            what: what.into(),
        });
        self
    }

    /// Marks the finding as resting on the absence of objects of `kinds` (see
    /// [`Finding::absent`]; `&[]` for any kind).
    pub fn rests_on_absence(mut self, kinds: &'static [&'static str]) -> Self {
        self.absent = Some(kinds);
        self
    }

    /// Caps the finding's severity (see [`Finding::at_most`]).
    pub fn at_most(mut self, severity: Severity) -> Self {
        self.at_most = Some(severity);
        self
    }

    /// Names the deployment (see [`Finding::deployment`]) in the finding and its message.
    pub fn in_deployment(mut self, deployment: Option<&str>) -> Self {
        if let Some(name) = deployment {
            self.message.push_str(&format!(" (in {name})"));
            self.deployment = Some(name.to_string());
        }
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn fix_opt(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix.or(self.fix);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn related(mut self, loc: Loc, message: impl Into<String>) -> Self {
        self.related.push(Related {
            loc,
            message: message.into(),
        });
        self
    }
}

/// A finding attributed to a rule, at its configured severity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub rule: crate::rules::RuleId,
    pub severity: Severity,
    pub finding: Finding,
}

/// Names as a message lists them: each in backticks, separated by commas (`` `a`, `b` ``).
pub fn code_list<T: std::fmt::Display>(names: impl IntoIterator<Item = T>) -> String {
    names
        .into_iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
