//! `pglint verify`: the repository's intent for one cluster against what is live.
//!
//! A reader of the outside, beside `check`: [`live`] reads PostgreSQL's catalogues
//! (`pg_roles`, `pg_database`, `pg_auth_members`, read-only) through [`tls`] (or, without
//! TLS, [`plaintext`]'s watch that never lets the password go in clear), [`kube`] reads
//! the objects `kubectl get … -o json` printed, and [`compare`] turns both into the same
//! [`Diagnostic`](crate::diagnostic::Diagnostic)s `check` reports, located at the Git node that
//! declared the intent (found through the [`Index`]). The checks' ids and documentation are
//! catalogue entries in [`crate::rules::live`]; they are not rules `check` runs.

pub mod compare;
pub mod kube;
pub mod live;
pub mod plaintext;
pub mod tls;

use crate::config::Config;
use crate::index::Index;
use crate::model::Spec;

pub use compare::{Live, Target, compare};

/// The cluster to verify: `wanted` (`name` or `namespace/name`), else the only one the
/// repository has. When the same Cluster is applied by several deployments, `deployment`
/// picks one. Errors say which names exist.
pub fn choose_cluster<'p>(
    index: &Index<'p>,
    config: &Config,
    wanted: Option<&str>,
    deployment: Option<&str>,
) -> Result<Target<'p>, String> {
    let mut clusters: Vec<(crate::index::InstanceId, Target<'p>)> = index
        .clusters()
        .map(|(id, cluster)| {
            (
                id,
                Target {
                    id,
                    object: index.object(id),
                    cluster,
                },
            )
        })
        .filter(|(_, t)| matches!(t.object.spec, Spec::Cluster(_)))
        .collect();
    clusters.sort_by_key(|(id, _)| *id);
    let label = |t: &Target<'_>| format!("{}/{}", t.namespace(config), t.name());
    let deployment_of = |t: &Target<'_>| {
        index
            .instance(t.id)
            .deployment
            .map(|d| index.deploy().deployments[d].name.clone())
    };
    let mut names: Vec<String> = clusters.iter().map(|(_, t)| label(t)).collect();
    names.dedup();
    let mut matching: Vec<Target<'p>> = match wanted {
        Some(wanted) => clusters
            .iter()
            .map(|(_, t)| *t)
            .filter(|t| t.name() == wanted || label(t) == wanted)
            .collect(),
        None => clusters.iter().map(|(_, t)| *t).collect(),
    };
    if matching.is_empty() {
        return Err(match (wanted, names.is_empty()) {
            (_, true) => "the repository declares no CNPG Cluster to verify".to_string(),
            (Some(wanted), false) => format!(
                "no Cluster `{wanted}` in the repository; its clusters: {}",
                names.join(", ")
            ),
            (None, false) => unreachable!("every cluster matches"),
        });
    }
    let mut distinct: Vec<String> = matching.iter().map(label).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() > 1 {
        return Err(format!(
            "the repository declares several clusters ({}): name one with --cluster",
            distinct.join(", ")
        ));
    }
    if let Some(deployment) = deployment {
        matching.retain(|t| deployment_of(t).as_deref() == Some(deployment));
        if matching.is_empty() {
            return Err(format!(
                "no deployment `{deployment}` applies Cluster `{}` (`pglint deployments` lists them)",
                distinct[0]
            ));
        }
    }
    if matching.len() > 1 {
        let deployments: Vec<String> = matching
            .iter()
            .map(|t| deployment_of(t).unwrap_or_else(|| "(none)".into()))
            .collect();
        return Err(format!(
            "Cluster `{}` is applied by several deployments ({}): pick the one you verify with --deployment",
            distinct[0],
            deployments.join(", ")
        ));
    }
    Ok(matching[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::Deploy;
    use crate::project::Project;

    #[test]
    fn a_cluster_several_deployments_apply_needs_deployment() {
        let config = Config::default();
        let cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\n  namespace: postgres\nspec:\n  instances: 1\n";
        let files = [
            ("base/cluster.yaml", cluster),
            ("base/kustomization.yaml", "resources:\n  - cluster.yaml\n"),
            ("prod/kustomization.yaml", "resources:\n  - ../base\n"),
            ("test/kustomization.yaml", "resources:\n  - ../base\n"),
        ];
        let project = Project::from_texts(&files, &config);
        let deploy = Deploy::build(&project, &config);
        let index = Index::build(&project, &config, &deploy);
        let error = choose_cluster(&index, &config, None, None).unwrap_err();
        assert!(
            error.starts_with("Cluster `postgres/pg` is applied by several deployments"),
            "{error}"
        );
        let prod = deploy
            .deployments
            .iter()
            .position(|d| d.name.contains("prod"))
            .expect("a deployment for prod");
        let chosen = choose_cluster(
            &index,
            &config,
            Some("pg"),
            Some(&deploy.deployments[prod].name),
        )
        .unwrap();
        assert_eq!(index.instance(chosen.id).deployment, Some(prod));
        let unknown = choose_cluster(&index, &config, None, Some("staging")).unwrap_err();
        assert!(unknown.contains("no deployment `staging`"), "{unknown}");
    }
}
