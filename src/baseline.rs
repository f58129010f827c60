//! Baselines, for adopting pglint in a repository that already has findings:
//! `--write-baseline FILE` records today's findings, `--baseline FILE` reports only new ones.
//!
//! An entry is keyed by rule and the finding's [subject](crate::diagnostic::Subject): object
//! identity (`Kind/namespace/name`, or the file for findings outside any object) and the field
//! path of the node (`spec.owner`, `spec.managed.roles[gitea_user].name`), with a count —
//! never by line number, so edits elsewhere in a file do not bring old findings back — and,
//! for an object several deployments apply, the deployment the finding is about. Nothing is
//! read again to make a key: the rules named their subjects.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub rule: String,
    pub object: String,
    pub path: String,
    /// Set for an object several deployments apply, one of which the finding is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(flatten)]
    pub key: Key,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub entries: Vec<Entry>,
}

impl Baseline {
    /// Records the diagnostics of this run.
    pub fn record(diagnostics: &[Diagnostic]) -> Baseline {
        let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
        for d in diagnostics {
            *counts.entry(Key::of(d)).or_default() += 1;
        }
        Baseline {
            version: VERSION,
            entries: counts
                .into_iter()
                .map(|(key, count)| Entry { key, count })
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a baseline serialises");
        text.push('\n');
        text
    }

    pub fn from_json(text: &str) -> Result<Baseline, String> {
        let baseline: Baseline =
            serde_json::from_str(text).map_err(|e| format!("invalid baseline: {e}"))?;
        if baseline.version != VERSION {
            return Err(format!(
                "unsupported baseline version {} (expected {VERSION})",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// Drops the diagnostics the baseline already knows; returns the entries (with the count
    /// left over) that matched nothing, so the baseline can shrink.
    pub fn filter(&self, diagnostics: &mut Vec<Diagnostic>) -> Vec<Entry> {
        let mut remaining: BTreeMap<Key, usize> = self
            .entries
            .iter()
            .map(|e| (e.key.clone(), e.count))
            .collect();
        diagnostics.retain(|d| match remaining.get_mut(&Key::of(d)) {
            Some(count) if *count > 0 => {
                *count -= 1;
                false
            }
            _ => true,
        });
        remaining
            .into_iter()
            .filter(|&(_, count)| count > 0)
            .map(|(key, count)| Entry { key, count })
            .collect()
    }
}

impl Key {
    /// A diagnostic's identity: its rule, its subject's object and field path, and its
    /// deployment.
    pub fn of(diagnostic: &Diagnostic) -> Key {
        let subject = diagnostic.finding.subject.clone().unwrap_or_default();
        Key {
            rule: diagnostic.rule.to_string(),
            object: subject.object,
            path: subject.path,
            deployment: diagnostic.finding.deployment.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::lint::lint;
    use crate::project::Project;

    /// The same object, broken by one overlay only: its entry names that deployment; and a
    /// baseline without deployments (written before they were modelled) still reads.
    #[test]
    fn the_deployment_is_part_of_the_identity() {
        let db = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\nspec:\n  name: app\n  owner: app_user\n  cluster:\n    name: pg\n";
        let cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  managed:\n    roles:\n      - name: app_user\n        login: true\n";
        let patch = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\nspec:\n  owner: nobody\n";
        let files = [
            (
                "base/kustomization.yaml",
                "resources: [db.yaml, cluster.yaml]\n",
            ),
            ("base/db.yaml", db),
            ("base/cluster.yaml", cluster),
            (
                "dev/kustomization.yaml",
                "resources: [../base]\nnamespace: dev\n",
            ),
            (
                "live/kustomization.yaml",
                "resources: [../base]\nnamespace: live\npatches:\n  - path: owner.yaml\n",
            ),
            ("live/owner.yaml", patch),
        ];
        let files = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect();
        let config = Config::default();
        let project = Project::from_files(files, &config).unwrap();
        let diagnostics = lint(&project, &config);
        let baseline = Baseline::record(&diagnostics);
        let deployments: Vec<Option<&str>> = baseline
            .entries
            .iter()
            .filter(|e| e.key.rule == "owner-role-missing")
            .map(|e| e.key.deployment.as_deref())
            .collect();
        assert_eq!(deployments, [Some("kustomization live")]);
        let old =
            r#"{"version": 1, "entries": [{"rule": "r", "object": "o", "path": "p", "count": 1}]}"#;
        assert_eq!(
            Baseline::from_json(old).unwrap().entries[0].key.deployment,
            None
        );
        assert!(
            !Baseline::from_json(old)
                .unwrap()
                .to_json()
                .contains("deployment")
        );
    }
}
