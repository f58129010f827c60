//! The chain credentials Secret → role → Database → Cluster as an editor walks it: the names
//! that declare each link's end (symbols), the values that name them (links), and what hover
//! and completion show. Built once per check from the index (nothing is resolved here that
//! the index does not resolve), owned, so requests need no borrow of the project.

use std::fmt::Write;

use crate::config::Config;
use crate::deploy::Deploy;
use crate::hash::HashMap;
use crate::index::{Index, InstanceId, RoleOrigin};
use crate::model::Object;
use crate::project::Project;
use crate::source::{FileId, Loc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Secret,
    Role,
    Database,
    Cluster,
}

/// A name that declares a link's end: a Secret's, a role's, a Database's, a Cluster's.
#[derive(Debug)]
pub struct Symbol {
    pub kind: SymbolKind,
    /// The name alone (`gitea`), as completion offers it.
    pub name: String,
    /// `SealedSecret postgres/gitea-db-creds`, `role gitea of Cluster postgres/postgres-shared`.
    pub title: String,
    pub loc: Loc,
    /// For a role: the symbol of its Cluster (or DatabaseRole object's cluster).
    pub cluster: Option<usize>,
    /// Argo CD's sync wave of the object that declares it.
    pub wave: i64,
    /// The deployments that apply it (empty: none does, or none can be known).
    pub deployments: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// A Database's `spec.owner` → the role.
    Owner,
    /// A role's `passwordSecret.name` → the Secret or SealedSecret.
    PasswordSecret,
    /// `spec.cluster.name` → the Cluster.
    Cluster,
}

/// A value that names a symbol.
#[derive(Debug)]
pub struct Link {
    pub kind: LinkKind,
    pub loc: Loc,
    /// The symbol whose object holds the value (the Database, the role).
    pub from: Option<usize>,
    pub targets: Vec<usize>,
}

/// What is at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Symbol(usize),
    Link(usize),
}

#[derive(Debug, Default)]
pub struct Navigation {
    pub symbols: Vec<Symbol>,
    pub links: Vec<Link>,
    by_file: HashMap<FileId, Vec<(Loc, Item)>>,
}

/// What completion offers at a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Owner,
    PasswordSecret,
    ClusterName,
}

impl Navigation {
    /// Deploys and indexes `project` and records the chain's names.
    pub fn build(project: &Project, config: &Config) -> Navigation {
        let deploy = Deploy::build(project, config);
        let index = Index::build(project, config, &deploy);
        let mut builder = Builder {
            index: &index,
            deploy: &deploy,
            navigation: Navigation::default(),
            at: HashMap::default(),
            links_at: HashMap::default(),
        };
        builder.symbols();
        builder.links();
        let mut navigation = builder.navigation;
        let mut by_file: HashMap<FileId, Vec<(Loc, Item)>> = HashMap::default();
        let symbols =
            (navigation.symbols.iter().enumerate()).map(|(i, s)| (s.loc, Item::Symbol(i)));
        let links = (navigation.links.iter().enumerate()).map(|(i, l)| (l.loc, Item::Link(i)));
        for (loc, item) in symbols.chain(links) {
            by_file.entry(loc.file).or_default().push((loc, item));
        }
        navigation.by_file = by_file;
        navigation
    }

    /// The symbol or link whose name spans `offset` (its end included: the cursor after the
    /// last character is still on the name).
    pub fn at(&self, file: FileId, offset: usize) -> Option<Item> {
        self.by_file
            .get(&file)?
            .iter()
            .filter(|(loc, _)| loc.span.start() <= offset && offset <= loc.span.end())
            .min_by_key(|(loc, _)| loc.span.len())
            .map(|(_, item)| *item)
    }

    /// Where the item leads: a link's targets, a symbol itself.
    pub fn definitions(&self, item: Item) -> Vec<usize> {
        match item {
            Item::Symbol(symbol) => vec![symbol],
            Item::Link(link) => self.links[link].targets.clone(),
        }
    }

    /// The values that name the item's symbols (and the declarations, when asked).
    pub fn references(&self, item: Item, declarations: bool) -> Vec<Loc> {
        let symbols = self.definitions(item);
        let mut locs: Vec<Loc> = Vec::new();
        if declarations {
            locs.extend(symbols.iter().map(|&s| self.symbols[s].loc));
        }
        locs.extend(
            self.links
                .iter()
                .filter(|l| l.targets.iter().any(|t| symbols.contains(t)))
                .map(|l| l.loc),
        );
        locs.sort();
        locs.dedup();
        locs
    }

    /// Markdown: each chain the item is part of, wave by wave, with the deployments.
    pub fn hover(&self, item: Item) -> Option<String> {
        let symbols = self.definitions(item);
        if symbols.is_empty() {
            let Item::Link(link) = item else {
                return None;
            };
            let what = match self.links[link].kind {
                LinkKind::Owner => "no role of the cluster has this name",
                LinkKind::PasswordSecret => "no Secret or SealedSecret of this name is applied",
                LinkKind::Cluster => "no Cluster of this name is in the namespace",
            };
            return Some(format!("**pglint**: {what}"));
        }
        let mut out = String::new();
        for symbol in symbols {
            if !out.is_empty() {
                out.push_str("\n---\n");
            }
            self.describe(symbol, &mut out);
        }
        Some(out)
    }

    fn describe(&self, symbol: usize, out: &mut String) {
        let this = &self.symbols[symbol];
        let _ = writeln!(out, "**{}**\n", this.title);
        let roles: Vec<usize> = match this.kind {
            SymbolKind::Role => vec![symbol],
            SymbolKind::Secret => self.linked_from(LinkKind::PasswordSecret, symbol),
            SymbolKind::Database => self.targets_from(LinkKind::Owner, symbol),
            SymbolKind::Cluster => {
                let roles = self
                    .symbols
                    .iter()
                    .filter(|s| s.kind == SymbolKind::Role && s.cluster == Some(symbol))
                    .count();
                let databases = self.linked_from(LinkKind::Cluster, symbol).len();
                let _ = writeln!(
                    out,
                    "{} · {roles} roles, {databases} Databases",
                    self.placement(symbol)
                );
                return;
            }
        };
        if roles.is_empty() {
            let _ = writeln!(
                out,
                "{} · in no chain: no role {}",
                self.placement(symbol),
                match this.kind {
                    SymbolKind::Secret => "takes its password from it",
                    _ => "of its cluster has its owner's name",
                }
            );
            return;
        }
        for role in roles {
            out.push_str("The chain, in sync-wave order:\n\n");
            let secrets = self.targets_from(LinkKind::PasswordSecret, role);
            if secrets.is_empty() {
                out.push_str("- credentials: no Secret found\n");
            }
            for secret in secrets {
                self.line("credentials", secret, out);
            }
            self.line("role", role, out);
            let databases = self.linked_from(LinkKind::Owner, role);
            if databases.is_empty() {
                out.push_str("- owns no Database\n");
            }
            for database in databases {
                self.line("database", database, out);
            }
        }
    }

    fn line(&self, what: &str, symbol: usize, out: &mut String) {
        let _ = writeln!(
            out,
            "- {what}: {} · {}",
            self.symbols[symbol].title,
            self.placement(symbol)
        );
    }

    /// `wave 1, applied by Application argocd/postgres`.
    fn placement(&self, symbol: usize) -> String {
        let this = &self.symbols[symbol];
        let deployments = if this.deployments.is_empty() {
            "applied by no deployment pglint found".to_string()
        } else {
            format!("applied by {}", this.deployments.join(", "))
        };
        format!("wave {}, {deployments}", this.wave)
    }

    /// The symbols whose links of `kind` lead to `symbol`.
    fn linked_from(&self, kind: LinkKind, symbol: usize) -> Vec<usize> {
        let mut from: Vec<usize> = self
            .links
            .iter()
            .filter(|l| l.kind == kind && l.targets.contains(&symbol))
            .filter_map(|l| l.from)
            .collect();
        from.sort_unstable();
        from.dedup();
        from
    }

    /// Where the links of `kind` of `symbol` lead.
    fn targets_from(&self, kind: LinkKind, symbol: usize) -> Vec<usize> {
        let mut targets: Vec<usize> = self
            .links
            .iter()
            .filter(|l| l.kind == kind && l.from == Some(symbol))
            .flat_map(|l| l.targets.iter().copied())
            .collect();
        targets.sort_unstable();
        targets.dedup();
        targets
    }

    /// The names completion offers for a slot, each with what declares it.
    pub fn candidates(&self, slot: Slot) -> Vec<(&str, &str)> {
        let kind = match slot {
            Slot::Owner => SymbolKind::Role,
            Slot::PasswordSecret => SymbolKind::Secret,
            Slot::ClusterName => SymbolKind::Cluster,
        };
        let mut names: Vec<(&str, &str)> = self
            .symbols
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| (s.name.as_str(), s.title.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup_by_key(|(name, _)| *name);
        names
    }
}

/// The slot a cursor is in, from the text before it on its line and the lines above:
/// `owner: ` → roles; `name: ` under `passwordSecret:` → Secrets; under `cluster:` → Clusters.
pub fn slot(lines_above: &[&str], before_cursor: &str) -> Option<Slot> {
    let indent = before_cursor.len() - before_cursor.trim_start().len();
    let key = before_cursor.trim_start().trim_start_matches("- ");
    let (key, value) = key.split_once(':')?;
    if value.contains(['#', '"', '\'']) && !value.trim_start().starts_with(['"', '\'']) {
        return None;
    }
    match key {
        "owner" => Some(Slot::Owner),
        "name" => {
            let parent = lines_above.iter().rev().find(|line| {
                let trimmed = line.trim_start();
                !trimmed.is_empty()
                    && !trimmed.starts_with('#')
                    && line.len() - trimmed.len() < indent
            })?;
            match parent.trim().trim_start_matches("- ") {
                "passwordSecret:" => Some(Slot::PasswordSecret),
                "cluster:" => Some(Slot::ClusterName),
                _ => None,
            }
        }
        _ => None,
    }
}

struct Builder<'i, 'p> {
    index: &'i Index<'p>,
    deploy: &'i Deploy<'p>,
    navigation: Navigation,
    /// Symbols by the location of their name: an object several deployments apply is one.
    at: HashMap<Loc, usize>,
    /// Links by the location of their value, likewise.
    links_at: HashMap<Loc, usize>,
}

impl Builder<'_, '_> {
    fn symbol(
        &mut self,
        kind: SymbolKind,
        name: &crate::source::Spanned<String>,
        title: String,
        instance: InstanceId,
        cluster: Option<usize>,
    ) -> usize {
        let deployment = self
            .index
            .instance(instance)
            .deployment
            .map(|d| self.deploy.deployments[d].name.clone());
        let wave = self.index.object(instance).effective_wave();
        let navigation = &mut self.navigation;
        let id = *self.at.entry(name.loc).or_insert_with(|| {
            navigation.symbols.push(Symbol {
                kind,
                name: name.value.clone(),
                title,
                loc: name.loc,
                cluster,
                wave,
                deployments: Vec::new(),
            });
            navigation.symbols.len() - 1
        });
        let deployments = &mut self.navigation.symbols[id].deployments;
        if let Some(deployment) = deployment
            && !deployments.contains(&deployment)
        {
            deployments.push(deployment);
        }
        id
    }

    /// The symbol of an object's own name.
    fn object(&mut self, kind: SymbolKind, instance: InstanceId) -> Option<usize> {
        let obj = self.index.object(instance);
        let name = obj.meta.name.as_ref()?;
        let title = format!("{} `{}`", obj.kind_str(), qualified(obj));
        Some(self.symbol(kind, name, title, instance, None))
    }

    fn symbols(&mut self) {
        let index = self.index;
        for (id, cluster) in index.clusters() {
            let Some(cluster_symbol) = self.object(SymbolKind::Cluster, id) else {
                continue;
            };
            let qualified = qualified(index.object(id));
            for role in &cluster.roles {
                if let Some(name) = &role.name {
                    let title = format!("role `{}` of Cluster `{qualified}`", name.value);
                    self.symbol(SymbolKind::Role, name, title, id, Some(cluster_symbol));
                }
            }
        }
        for (id, database_role) in index.database_roles() {
            if let Some(name) = &database_role.role.name {
                let title = format!(
                    "role `{}` (DatabaseRole `{}`)",
                    name.value,
                    qualified(index.object(id))
                );
                let cluster = database_role
                    .cluster
                    .as_ref()
                    .and_then(|c| index.cluster_of(id, c.as_str()).first().copied())
                    .and_then(|c| self.object(SymbolKind::Cluster, c));
                self.symbol(SymbolKind::Role, name, title, id, cluster);
            }
        }
        for (id, _) in index.databases() {
            self.object(SymbolKind::Database, id);
        }
        for &id in index.credentials() {
            self.object(SymbolKind::Secret, id);
        }
    }

    fn link(&mut self, kind: LinkKind, loc: Loc, from: Option<usize>, targets: Vec<usize>) {
        let mut targets = targets;
        targets.sort_unstable();
        targets.dedup();
        let links = &mut self.navigation.links;
        // An object applied by several deployments names the same targets from one place.
        if let Some(&existing) = self.links_at.get(&loc) {
            let link = &mut links[existing];
            link.targets.extend(targets);
            link.targets.sort_unstable();
            link.targets.dedup();
            return;
        }
        self.links_at.insert(loc, links.len());
        links.push(Link {
            kind,
            loc,
            from,
            targets,
        });
    }

    fn links(&mut self) {
        let index = self.index;
        for owner in index.owner_refs() {
            let from = self.object(SymbolKind::Database, owner.database_id);
            let mut targets = Vec::new();
            for &cluster in &owner.clusters {
                let target = match index.find_role(cluster, owner.owner.as_str()) {
                    Some(RoleOrigin::Managed(role) | RoleOrigin::DatabaseRole(_, role)) => role
                        .name
                        .as_ref()
                        .and_then(|n| self.at.get(&n.loc).copied()),
                    // The bootstrap owner is declared by the Cluster itself.
                    Some(RoleOrigin::Bootstrap) => self.object(SymbolKind::Cluster, cluster),
                    None => None,
                };
                targets.extend(target);
            }
            self.link(LinkKind::Owner, owner.owner.loc, from, targets);
        }
        let mut roles: Vec<(InstanceId, &crate::model::Role)> = index
            .clusters()
            .flat_map(|(id, cluster)| cluster.roles.iter().map(move |role| (id, role)))
            .collect();
        roles.extend(index.database_roles().map(|(id, r)| (id, &r.role)));
        for (id, role) in roles {
            let Some(secret) = &role.password_secret else {
                continue;
            };
            let from = role
                .name
                .as_ref()
                .and_then(|n| self.at.get(&n.loc).copied());
            let namespace = index.object(id).namespace_str();
            let targets = index
                .secret_sources(secret.as_str(), namespace)
                .into_iter()
                .filter_map(|source| self.object(SymbolKind::Secret, source.object()))
                .collect();
            self.link(LinkKind::PasswordSecret, secret.loc, from, targets);
        }
        let mut cluster_names: Vec<(InstanceId, &crate::source::Spanned<String>)> = index
            .databases()
            .filter_map(|(id, d)| Some((id, d.cluster.as_ref()?)))
            .collect();
        cluster_names.extend(
            index
                .database_roles()
                .filter_map(|(id, r)| Some((id, r.cluster.as_ref()?))),
        );
        for (id, name) in cluster_names {
            // A Database's symbol (a DatabaseRole's cluster link has none: its role is the
            // symbol, not the object).
            let from =
                (index.object(id).meta.name.as_ref()).and_then(|n| self.at.get(&n.loc).copied());
            let targets = index
                .cluster_of(id, name.as_str())
                .into_iter()
                .filter_map(|c| self.object(SymbolKind::Cluster, c))
                .collect();
            self.link(LinkKind::Cluster, name.loc, from, targets);
        }
    }
}

fn qualified(obj: &Object) -> String {
    format!(
        "{}/{}",
        obj.namespace_str().unwrap_or("-"),
        obj.name().unwrap_or("?")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_key_and_its_parent() {
        assert_eq!(slot(&[], "  owner: gi"), Some(Slot::Owner));
        let above = ["spec:", "  cluster:"];
        assert_eq!(slot(&above, "    name: "), Some(Slot::ClusterName));
        let above = ["      - name: gitea", "        passwordSecret:"];
        assert_eq!(
            slot(&above, "          name: g"),
            Some(Slot::PasswordSecret)
        );
        assert_eq!(slot(&["metadata:"], "  name: x"), None);
        assert_eq!(slot(&[], "  owner: x # note"), None);
    }
}
