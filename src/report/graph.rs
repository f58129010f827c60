//! `pglint graph`: the SOP's chains — credentials Secret → role → Database → Cluster — with
//! their sync waves and deployments, as Mermaid, Graphviz DOT or JSON. A link that a finding
//! breaks (`owner-role-missing`, `role-secret-missing`, `cluster-missing`) is drawn in red
//! with the rule's id, and what it points at as a missing node.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::deploy::Deploy;
use crate::diagnostic::Diagnostic;
use crate::model::apps::starts_with_app;
use crate::model::{Object, SourceId, Spec};
use crate::project::Project;
use crate::rules::RuleId;
use crate::source::Loc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Secret,
    Role,
    Database,
    Cluster,
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    /// `namespace/name` for objects; `cluster/role` for roles.
    pub name: String,
    /// The Kubernetes kind (`SealedSecret`, `Secret`, `ExternalSecret`, `Database`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_kind: Option<String>,
    /// The PostgreSQL database (`spec.name`) of a Database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wave: Option<String>,
    pub deployments: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Referenced, but nothing in the repository declares it.
    pub missing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// `passwordSecret`, `owner` or `cluster`.
    pub link: &'static str,
    /// The rule whose finding breaks this link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<RuleId>,
}

#[derive(Debug, Default, Serialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// What a chain is made of, before the nodes are numbered.
#[derive(Default)]
struct Builder<'a> {
    nodes: BTreeMap<(NodeKind, String), Node>,
    edges: Vec<Edge>,
    project: Option<&'a Project>,
}

impl Builder<'_> {
    fn key(kind: NodeKind, name: &str) -> String {
        let prefix = match kind {
            NodeKind::Secret => "secret",
            NodeKind::Role => "role",
            NodeKind::Database => "database",
            NodeKind::Cluster => "cluster",
        };
        format!("{prefix}:{name}")
    }

    fn node(&mut self, kind: NodeKind, name: &str) -> String {
        let id = Self::key(kind, name);
        self.nodes
            .entry((kind, name.to_string()))
            .or_insert_with(|| Node {
                id: id.clone(),
                kind,
                name: name.to_string(),
                object_kind: None,
                database: None,
                wave: None,
                deployments: Vec::new(),
                file: None,
                line: None,
                missing: true,
            });
        id
    }

    /// Marks the node as declared by `obj` (at `loc`).
    fn declared(
        &mut self,
        kind: NodeKind,
        name: &str,
        obj: &Object,
        loc: Loc,
        deployments: Vec<String>,
    ) -> String {
        let id = self.node(kind, name);
        let project = self.project.expect("set");
        let node = self
            .nodes
            .get_mut(&(kind, name.to_string()))
            .expect("just added");
        if node.missing {
            node.missing = false;
            node.object_kind = Some(obj.kind_str().to_string());
            // Argo CD's wave: the annotation's, 0 without one (or with one it cannot read).
            node.wave = Some(obj.effective_wave().to_string());
            node.deployments = deployments;
            node.file = Some(project.path(loc.file).to_string());
            node.line = Some(project.text(loc.file).line_col(loc.span.start()).line);
        }
        id
    }
}

/// `namespace/name` of an object (`-` for no namespace).
fn qualified(obj: &Object) -> String {
    format!(
        "{}/{}",
        obj.namespace_str().unwrap_or("-"),
        obj.name().unwrap_or("?")
    )
}

/// The rule of a finding at `loc`, among the rules that break a chain's link.
fn broken_at(diagnostics: &[Diagnostic], loc: Option<Loc>, rules: &[RuleId]) -> Option<RuleId> {
    let loc = loc?;
    diagnostics
        .iter()
        .find(|d| d.finding.loc == loc && rules.contains(&d.rule))
        .map(|d| d.rule)
}

/// A declared role of `cluster`, and the link from its password Secret.
fn add_role(
    b: &mut Builder<'_>,
    cluster: &Object,
    role: &crate::model::Role,
    key: &str,
    secrets: &BTreeMap<String, SourceId>,
    diagnostics: &[Diagnostic],
    deployments: &dyn Fn(SourceId) -> Vec<String>,
) -> String {
    let project = b.project.expect("set");
    let id = b.declared(NodeKind::Role, key, cluster, role.loc, Vec::new());
    if let Some(node) = b.nodes.get_mut(&(NodeKind::Role, key.to_string())) {
        node.object_kind = Some("role".into());
    }
    if let Some(secret) = &role.password_secret {
        let secret_key = format!(
            "{}/{}",
            cluster.namespace_str().unwrap_or("-"),
            secret.value
        );
        let secret_id = match secrets.get(&secret_key) {
            Some(&sid) => {
                let s = project.object(sid);
                b.declared(
                    NodeKind::Secret,
                    &secret_key,
                    s,
                    s.anchor(),
                    deployments(sid),
                )
            }
            None => b.node(NodeKind::Secret, &secret_key),
        };
        b.edges.push(Edge {
            from: secret_id,
            to: id.clone(),
            link: "passwordSecret",
            broken: broken_at(diagnostics, Some(secret.loc), &[RuleId::RoleSecretMissing]),
        });
    }
    id
}

impl Graph {
    /// The chains of the repository's Databases and roles (only those of `app`'s names when
    /// given), links broken by `diagnostics` marked.
    pub fn build(
        project: &Project,
        deploy: &Deploy<'_>,
        diagnostics: &[Diagnostic],
        app: Option<&str>,
    ) -> Graph {
        let mut b = Builder {
            project: Some(project),
            ..Builder::default()
        };
        let deployments = |id: SourceId| -> Vec<String> {
            let mut names: Vec<String> = deploy
                .instances_of(id)
                .map(|(d, _)| d.name.clone())
                .collect();
            names.sort();
            names.dedup();
            names
        };
        let wanted = |name: Option<&str>| match (app, name) {
            (None, _) => true,
            (Some(app), Some(name)) => starts_with_app(name, app),
            (Some(_), None) => false,
        };
        // Credentials secrets by namespace/name, to link roles to them.
        let mut secrets: BTreeMap<String, SourceId> = BTreeMap::new();
        for (id, obj) in project.sources() {
            if matches!(
                obj.spec,
                Spec::Secret(_) | Spec::SealedSecret(_) | Spec::ExternalSecret(_)
            ) {
                secrets.entry(qualified(obj)).or_insert(id);
            }
        }
        for (id, obj) in project.sources() {
            let Spec::Database(database) = &obj.spec else {
                continue;
            };
            let owner = database.owner.as_ref().map(|o| o.as_str());
            if !wanted(obj.name())
                && !wanted(database.name.as_ref().map(|n| n.as_str()))
                && !wanted(owner)
            {
                continue;
            }
            let ns = obj.namespace_str().unwrap_or("-");
            let db = b.declared(
                NodeKind::Database,
                &qualified(obj),
                obj,
                obj.anchor(),
                deployments(id),
            );
            if let Some(node) = b.nodes.get_mut(&(NodeKind::Database, qualified(obj))) {
                node.database = database.name.as_ref().map(|n| n.value.clone());
            }
            // The cluster.
            let cluster_name = database.cluster.as_ref().map_or("?", |c| c.as_str());
            let cluster_key = format!("{ns}/{cluster_name}");
            let cluster = project
                .sources()
                .find(|(_, c)| matches!(c.spec, Spec::Cluster(_)) && qualified(c) == cluster_key);
            let cluster_id = match cluster {
                Some((cid, c)) => b.declared(
                    NodeKind::Cluster,
                    &cluster_key,
                    c,
                    c.anchor(),
                    deployments(cid),
                ),
                None => b.node(NodeKind::Cluster, &cluster_key),
            };
            b.edges.push(Edge {
                from: db.clone(),
                to: cluster_id,
                link: "cluster",
                broken: broken_at(
                    diagnostics,
                    database.cluster.as_ref().map(|c| c.loc),
                    &[RuleId::ClusterMissing],
                ),
            });
            // The owner role, in that cluster.
            let Some(owner) = database.owner.as_ref() else {
                continue;
            };
            let role_key = format!("{cluster_key}/{}", owner.value);
            let role = cluster.and_then(|(_, c)| match &c.spec {
                Spec::Cluster(spec) => spec
                    .roles
                    .iter()
                    .find(|r| r.name.as_ref().is_some_and(|n| n.value == owner.value))
                    .map(|r| (c, r)),
                _ => None,
            });
            let role_id = match role {
                Some((c, r)) => {
                    add_role(&mut b, c, r, &role_key, &secrets, diagnostics, &deployments)
                }
                None => b.node(NodeKind::Role, &role_key),
            };
            b.edges.push(Edge {
                from: role_id,
                to: db,
                link: "owner",
                broken: broken_at(
                    diagnostics,
                    Some(owner.loc),
                    &[
                        RuleId::OwnerRoleMissing,
                        RuleId::OwnerRoleAbsent,
                        RuleId::RoleLoginDisabled,
                    ],
                ),
            });
        }
        // Roles that own no Database still have their Secret.
        for obj in &project.objects {
            let Spec::Cluster(cluster) = &obj.spec else {
                continue;
            };
            for role in &cluster.roles {
                let Some(name) = role.name.as_ref().filter(|n| wanted(Some(n.as_str()))) else {
                    continue;
                };
                let key = format!("{}/{}", qualified(obj), name.value);
                add_role(&mut b, obj, role, &key, &secrets, diagnostics, &deployments);
            }
        }
        let mut edges = b.edges;
        edges.sort_by(|a, b| (&a.from, &a.to, a.link).cmp(&(&b.from, &b.to, b.link)));
        edges.dedup_by(|a, b| a.from == b.from && a.to == b.to && a.link == b.link);
        Graph {
            nodes: b.nodes.into_values().collect(),
            edges,
        }
    }

    /// Only the chains that hold one of `files` (repository paths): what a change touched.
    pub fn touching(mut self, files: &[&str]) -> Graph {
        let mut keep: std::collections::BTreeSet<String> = self
            .nodes
            .iter()
            .filter(|n| n.file.as_deref().is_some_and(|f| files.contains(&f)))
            .map(|n| n.id.clone())
            .collect();
        // Whole chains: follow links both ways until nothing is added.
        loop {
            let before = keep.len();
            for edge in &self.edges {
                if keep.contains(&edge.from) || keep.contains(&edge.to) {
                    keep.insert(edge.from.clone());
                    keep.insert(edge.to.clone());
                }
            }
            if keep.len() == before {
                break;
            }
        }
        self.nodes.retain(|n| keep.contains(&n.id));
        self.edges.retain(|e| keep.contains(&e.from));
        self
    }

    fn label(node: &Node) -> String {
        let kind = match node.kind {
            NodeKind::Secret => node.object_kind.clone().unwrap_or_else(|| "Secret".into()),
            NodeKind::Role => "role".into(),
            NodeKind::Database => "Database".into(),
            NodeKind::Cluster => "Cluster".into(),
        };
        let short = match node.kind {
            NodeKind::Role => node
                .name
                .rsplit('/')
                .next()
                .unwrap_or(&node.name)
                .to_string(),
            _ => node.name.clone(),
        };
        let mut lines = vec![format!("{kind} {short}")];
        if let Some(database) = &node.database {
            lines.push(format!("database {database}"));
        }
        if node.missing {
            lines.push("missing".into());
        } else if let Some(wave) = &node.wave {
            lines.push(format!("wave {wave}"));
        }
        lines.join("\n")
    }

    fn link_label(edge: &Edge) -> String {
        match edge.broken {
            Some(rule) => format!("{} ✗ {rule}", edge.link),
            None => edge.link.to_string(),
        }
    }

    /// A Mermaid flowchart (no fence): GitHub renders it in Markdown.
    pub fn mermaid(&self) -> String {
        let ids: BTreeMap<&str, String> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), format!("n{i}")))
            .collect();
        let escape = |text: &str| text.replace('"', "#quot;").replace('\n', "<br/>");
        let mut out = String::from("flowchart LR\n");
        for node in &self.nodes {
            let _ = writeln!(
                out,
                "  {}[\"{}\"]",
                ids[node.id.as_str()],
                escape(&Self::label(node))
            );
        }
        for edge in &self.edges {
            let _ = writeln!(
                out,
                "  {} -->|\"{}\"| {}",
                ids[edge.from.as_str()],
                escape(&Self::link_label(edge)),
                ids[edge.to.as_str()]
            );
        }
        out.push_str("  classDef missing stroke:#d00,stroke-dasharray:4 3,color:#d00\n");
        for node in self.nodes.iter().filter(|n| n.missing) {
            let _ = writeln!(out, "  class {} missing", ids[node.id.as_str()]);
        }
        for (i, edge) in self.edges.iter().enumerate() {
            if edge.broken.is_some() {
                let _ = writeln!(out, "  linkStyle {i} stroke:#d00,color:#d00");
            }
        }
        out
    }

    /// Graphviz DOT.
    pub fn dot(&self) -> String {
        let quote = |text: &str| {
            format!(
                "\"{}\"",
                text.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            )
        };
        let mut out = String::from("digraph pglint {\n  rankdir=LR;\n  node [shape=box];\n");
        for node in &self.nodes {
            let style = if node.missing {
                ", color=red, fontcolor=red, style=dashed"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} [label={}{style}];",
                quote(&node.id),
                quote(&Self::label(node))
            );
        }
        for edge in &self.edges {
            let style = if edge.broken.is_some() {
                ", color=red, fontcolor=red"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label={}{style}];",
                quote(&edge.from),
                quote(&edge.to),
                quote(&Self::link_label(edge))
            );
        }
        out.push_str("}\n");
        out
    }

    pub fn json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&serde_json::json!({
            "version": 1,
            "nodes": self.nodes,
            "edges": self.edges,
        }))
        .unwrap_or_default();
        text.push('\n');
        text
    }
}
