use crate::diagnostic::Finding;
use crate::hash::HashSet;
use crate::index::{configured_wave, InstanceId};
use crate::model::{Object, SYNC_WAVE, WaveValue};
use crate::rules::Context;
use crate::source::Loc;

declare_rule! {
    /// ## What it does
    /// Follows each chain of a credentials secret → the Cluster whose role (or
    /// `bootstrap.initdb.secret`) uses it → the Databases that role owns, and checks that the
    /// effective sync waves strictly increase along it: every secret before the Cluster, the
    /// Cluster before each Database. An object without a wave is in wave 0. A chain in which
    /// no object sets a wave is left alone (everything syncs together and CNPG retries). This
    /// holds with any wave numbers and anywhere in the repository, not only in the SOP folder.
    ///
    /// ## Why is this bad?
    /// Argo CD applies a wave only after every object of the previous wave is healthy, and
    /// objects of the same wave in no useful order. A Cluster in the same wave as its
    /// credentials may start before the SealedSecret is decrypted, so CNPG cannot set the
    /// role's password; a Database in the Cluster's wave (or an earlier one) is created
    /// before the Cluster is ready, and its role may not exist yet.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Cluster
    /// metadata:
    ///   name: postgres-shared
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "5"
    /// ---
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "3"   # before its Cluster
    /// spec:
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Cluster
    /// metadata:
    ///   name: postgres-shared
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "5"
    /// ---
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "6"
    /// spec:
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## How to fix
    /// Give the later object a wave greater than the earlier one's: secrets lowest (a
    /// SealedSecret's wave goes in its own `metadata.annotations`, not its template), then the
    /// Cluster, then its Databases.
    pub struct SyncWaveOrder {
        id: "sync-wave-order",
        group: "waves",
        level: Error,
        summary: "sync waves do not strictly increase from a credentials secret to its Cluster to its Databases",
        // Where the SOP's own waves are in order, a missing or other wave on one of the two
        // objects is the mistake: fixing it restores the order.
        yields_to: [SyncWaveMissing, SyncWaveWrong],
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut seen: HashSet<(InstanceId, InstanceId)> = HashSet::default();
    for chain in cx.index.chains() {
        let mut members: Vec<InstanceId> = chain.secrets.iter().map(|s| s.object()).collect();
        members.push(chain.cluster);
        members.extend(&chain.databases);
        if !members.iter().any(|&id| sets_wave(cx.index.object(id))) {
            continue;
        }
        let pairs = chain
            .secrets
            .iter()
            .map(|s| (s.object(), chain.cluster))
            .chain(chain.databases.iter().map(|&db| (chain.cluster, db)));
        for (earlier, later) in pairs {
            if earlier == later || !seen.insert((earlier, later)) {
                continue;
            }
            let (first, second) = (cx.index.object(earlier), cx.index.object(later));
            if !knowable(first) || !knowable(second) {
                continue;
            }
            // Waves order objects only within one Argo CD sync, and not at all under Flux.
            let deploy = cx.deploy();
            let (a, b) = (
                cx.index.instance(earlier).deployment,
                cx.index.instance(later).deployment,
            );
            if !deploy.orders_by_waves(a)
                || !deploy.orders_by_waves(b)
                || !deploy.synced_together(a, b, cx.config.deploy.application_health)
            {
                continue;
            }
            let (before, after) = (first.effective_wave(), second.effective_wave());
            if before < after {
                continue;
            }
            let relation = if before == after {
                "in the same wave as"
            } else {
                "before"
            };
            let finding = Finding::new(
                    wave_loc(second),
                    format!(
                        "{} (wave {after}) is synced {relation} {} (wave {before}), which it depends on",
                        second.display_name(),
                        first.display_name()
                    ),
                )
                .field(cx.project, wave_path(second))
                .label(format!("wave {after}"))
                .help(format!(
                    "give {} a higher wave than {before} (`{SYNC_WAVE}: \"{}\"`), or lower the wave of {}",
                    second.display_name(),
                    before + 1,
                    first.display_name()
                ))
                .related(wave_loc(first), format!("{} is in wave {before}", first.display_name()));
            out.push(explained_by_sop_waves(cx, finding, first, second));
        }
    }
}

/// When the SOP's waves order the two objects, giving each its SOP wave restores the order:
/// a finding that one of them is missing or has another wave explains this one.
fn explained_by_sop_waves(
    cx: &Context<'_>,
    finding: Finding,
    first: &Object,
    second: &Object,
) -> Finding {
    match (
        configured_wave(cx.config, first),
        configured_wave(cx.config, second),
    ) {
        (Some(a), Some(b)) if a < b => finding
            .explained_within(first.loc)
            .explained_within(second.loc),
        _ => finding,
    }
}

/// The object writes a wave Argo CD reads as such.
fn sets_wave(obj: &Object) -> bool {
    obj.wave().and_then(|a| WaveValue::of(a).valid()).is_some()
}

/// Its effective wave is known: unset (0) or a valid wave. An invalid or non-string wave is
/// reported by `sync-wave-invalid`/`annotation-not-string`; a templated one is not guessed at.
fn knowable(obj: &Object) -> bool {
    obj.wave()
        .is_none_or(|a| WaveValue::of(a).valid().is_some())
}

/// The field path of [`wave_loc`].
fn wave_path(obj: &Object) -> String {
    match obj.wave() {
        Some(_) => format!("metadata.annotations.{SYNC_WAVE}"),
        None => obj.anchor_path().to_string(),
    }
}

/// The object's wave annotation value, else its name.
fn wave_loc(obj: &Object) -> Loc {
    obj.wave().map_or_else(|| obj.anchor(), |a| a.value.loc)
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{rules_reported, run};

    fn annotations(wave: Option<&str>) -> String {
        wave.map_or_else(String::new, |w| {
            format!("  annotations:\n    argocd.argoproj.io/sync-wave: {w}\n")
        })
    }

    fn secret(name: &str, wave: Option<&str>) -> String {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: pg\n{}type: kubernetes.io/basic-auth\n",
            annotations(wave)
        )
    }

    fn cluster(wave: Option<&str>) -> String {
        format!(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\n  namespace: pg\n{}spec:\n  managed:\n    roles:\n      - name: a\n        login: true\n        passwordSecret:\n          name: a-creds\n      - name: b\n        login: true\n        passwordSecret:\n          name: a-creds\n",
            annotations(wave)
        )
    }

    fn db(name: &str, owner: &str, wave: Option<&str>) -> String {
        format!(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: {name}\n  namespace: pg\n{}spec:\n  name: {name}\n  owner: {owner}\n  cluster:\n    name: pg\n",
            annotations(wave)
        )
    }

    fn lint(
        dir: &str,
        secret_wave: Option<&str>,
        cluster_wave: Option<&str>,
        db_wave: Option<&str>,
    ) -> Vec<String> {
        with_files(dir, [secret_wave, cluster_wave, db_wave], |files| {
            run(files, check)
        })
    }

    /// The rules of the whole lint (precedence included) over the same chain.
    fn lint_rules(dir: &str, waves: [Option<&str>; 3]) -> Vec<String> {
        with_files(dir, waves, |files| rules_reported("sync-wave", files))
    }

    fn with_files<T>(
        dir: &str,
        [secret_wave, cluster_wave, db_wave]: [Option<&str>; 3],
        f: impl FnOnce(&[(&str, &str)]) -> T,
    ) -> T {
        let files = [
            (format!("{dir}/secret.yaml"), secret("a-creds", secret_wave)),
            (format!("{dir}/cluster.yaml"), cluster(cluster_wave)),
            (format!("{dir}/db.yaml"), db("a-db", "a", db_wave)),
        ];
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        f(&files)
    }

    #[test]
    fn chains_without_waves_are_left_alone() {
        assert_eq!(lint("apps", None, None, None), Vec::<String>::new());
    }

    #[test]
    fn strictly_increasing_with_any_numbers() {
        assert_eq!(
            lint("apps", Some("\"-5\""), Some("\"10\""), Some("\"11\"")),
            Vec::<String>::new()
        );
        assert_eq!(
            lint("apps", None, Some("\"3\""), Some("\"3\"")),
            [
                "apps/db.yaml:7:35 Database `a-db` (wave 3) is synced in the same wave as Cluster `pg` (wave 3), which it depends on"
            ]
        );
    }

    #[test]
    fn a_secret_shared_by_two_roles_is_one_pair() {
        assert_eq!(
            lint("apps", None, None, Some("\"1\"")),
            [
                "apps/cluster.yaml:4:9 Cluster `pg` (wave 0) is synced in the same wave as Secret `a-creds` (wave 0), which it depends on"
            ]
        );
    }

    #[test]
    fn invalid_or_templated_waves_are_not_ordered() {
        assert_eq!(
            lint("apps", Some("\"${WAVE}\""), Some("\"-1\""), Some("\"0\"")),
            Vec::<String>::new()
        );
        assert_eq!(
            lint("apps", Some("\"x\""), Some("\"-1\""), Some("\"0\"")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn sop_folder_findings_of_wrong_or_missing_waves_are_not_repeated() {
        let sop = "infra/databases/postgres";
        // The Database misses its wave / has the Cluster's: the rule sees the order broken…
        assert_eq!(lint(sop, None, Some("\"1\""), None).len(), 1);
        // …and the engine reports the one mistake as sync-wave-missing's / -wrong's.
        assert_eq!(
            lint_rules(sop, [None, Some("\"1\""), None]),
            ["sync-wave-missing"]
        );
        assert_eq!(
            lint_rules(sop, [None, Some("\"1\""), Some("\"1\"")]),
            ["sync-wave-wrong"]
        );
        // The secret's and the Cluster's waves wrong, the SOP's in order: two mistakes, no
        // third.
        assert_eq!(
            lint_rules(sop, [Some("\"3\""), Some("\"2\""), Some("\"2\"")]),
            ["sync-wave-wrong", "sync-wave-wrong"]
        );
        // Outside the SOP folder no wave is wrong: the order is the mistake.
        assert_eq!(
            lint_rules("apps", [None, Some("\"1\""), Some("\"1\"")]),
            ["sync-wave-order"]
        );
    }
}
