//! What deploys: Argo CD `Application`s and Flux `Kustomization`s, as far as pglint needs
//! them to know which folder is applied, where, and what it cannot know.
//!
//! Read leniently: a shape problem in them is not pglint's to report (their own CRD
//! validation does), a value that is not a string is simply unknown.

use super::kustomize::{Patch, PatchKind, join};
use super::loc_of;
use super::meta::StringMap;
use super::read::Reader;
use crate::source::{FileId, Loc, Spanned};
use crate::yaml::NodeRef;

/// One `spec.source` or `spec.sources[]` entry of an Argo CD Application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSource {
    pub loc: Loc,
    pub repo_url: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    /// A Helm chart from a chart repository (`chart:`), or Helm settings on a path.
    pub helm: bool,
    /// `ref:` only: a source of value files, applying nothing itself.
    pub is_ref_only: bool,
    /// `directory.recurse`.
    pub recurse: bool,
    /// `directory.include` / `directory.exclude`: globs over file paths relative to `path`.
    pub include: Option<String>,
    pub exclude: Option<String>,
    /// `kustomize.namespace`: overrides every object's namespace, like a kustomization's.
    pub kustomize_namespace: Option<Spanned<String>>,
    pub name_prefix: Option<Spanned<String>>,
    pub name_suffix: Option<Spanned<String>>,
    pub common_annotations: StringMap,
    pub common_labels: StringMap,
    /// `kustomize.patches`, applied like a kustomization's `patches` (paths relative to
    /// `path`).
    pub patches: Vec<Patch>,
    /// `kustomize.components`, relative to `path`.
    pub components: Vec<Spanned<String>>,
}

/// An Argo CD `Application`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub sources: Vec<AppSource>,
    /// `spec.destination.namespace`: the namespace of objects that set none.
    pub destination_namespace: Option<Spanned<String>>,
}

/// An Argo CD `ApplicationSet`: Applications made from a template, one per generator element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationSet {
    pub generators: Vec<AppSetGenerator>,
    /// `spec.template.metadata.name`, templated.
    pub name: Option<Spanned<String>>,
    /// `spec.template.spec`, its strings still templated (`{{path.basename}}`).
    pub template: Application,
    /// `spec.goTemplate`: parameters are written `{{.path.basename}}`.
    pub go_template: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSetGenerator {
    /// `list.elements`: each element's string fields are parameters.
    List(Vec<Vec<(String, String)>>),
    /// `git.directories`: folders of a repository matching `path` globs, minus `exclude: true`.
    GitDirectories {
        repo_url: Option<Spanned<String>>,
        include: Vec<String>,
        exclude: Vec<String>,
    },
    /// Any other generator (cluster, matrix, git files, SCM, pull request…): its parameters
    /// cannot be known here.
    Unknown(Spanned<String>),
}

/// A Flux `Kustomization` (`kustomize.toolkit.fluxcd.io`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FluxKustomization {
    /// `spec.path`, relative to the source's root.
    pub path: Option<Spanned<String>>,
    /// `spec.sourceRef`: kind and name.
    pub source_kind: Option<String>,
    pub source_name: Option<String>,
    /// `spec.targetNamespace`: overrides every object's namespace.
    pub target_namespace: Option<Spanned<String>>,
    /// `spec.components`, relative to `path`.
    pub components: Vec<Spanned<String>>,
    pub name_prefix: Option<Spanned<String>>,
    pub name_suffix: Option<Spanned<String>>,
    /// `spec.commonMetadata`.
    pub common_annotations: StringMap,
    pub common_labels: StringMap,
    /// `spec.postBuild.substitute` (values are plain configuration, not secrets).
    pub substitute: Vec<(String, String)>,
    /// `spec.postBuild.substituteFrom`: values only the cluster knows.
    pub substitute_from: Option<Loc>,
    /// `spec.dependsOn`: names (and namespaces, when given) of other Kustomizations.
    pub depends_on: Vec<(Spanned<String>, Option<String>)>,
    /// `spec.patches`: inline patches with targets, applied after the build.
    pub patches: Vec<Patch>,
}

fn lenient<'r>(reader: &Reader<'r>, problems: &'r mut Vec<super::ShapeProblem>) -> Reader<'r> {
    Reader {
        file: reader.file,
        text: reader.text,
        problems,
    }
}

fn text(node: Option<NodeRef<'_>>, file: FileId) -> Option<Spanned<String>> {
    let node = node?;
    node.as_str()
        .map(|s| Spanned::new(s.to_string(), loc_of(file, node)))
}

/// A deployer's `patches` list, read like a kustomization's (`dir`: the folder it builds).
fn patches(list: Option<NodeRef<'_>>, file: FileId, dir: &str, text: &str) -> Vec<Patch> {
    let dir = join("", dir).unwrap_or_default();
    list.into_iter()
        .flat_map(|l| l.items())
        .filter_map(|item| Patch::read(file, item, PatchKind::Detect, &dir, text))
        .collect()
}

impl ApplicationSet {
    pub(crate) fn read(reader: &Reader<'_>, root: NodeRef<'_>) -> ApplicationSet {
        let file = reader.file;
        let spec = root.get("spec");
        let template = spec.and_then(|s| s.get("template"));
        let mut generators = Vec::new();
        for generator in spec
            .and_then(|s| s.get("generators"))
            .into_iter()
            .flat_map(|l| l.items())
        {
            for (key, value) in generator.entries() {
                let Some(kind) = key.as_str() else { continue };
                generators.push(match kind {
                    "list" => AppSetGenerator::List(
                        value
                            .get("elements")
                            .into_iter()
                            .flat_map(|l| l.items())
                            .map(|element| {
                                element
                                    .entries()
                                    .into_iter()
                                    .filter_map(|(k, v)| {
                                        Some((k.as_str()?.to_string(), v.as_str()?.to_string()))
                                    })
                                    .collect()
                            })
                            .collect(),
                    ),
                    "git" if value.get("directories").is_some() => {
                        let mut include = Vec::new();
                        let mut exclude = Vec::new();
                        for directory in
                            value.get("directories").into_iter().flat_map(|l| l.items())
                        {
                            let Some(path) = directory.get("path").and_then(|p| p.as_str()) else {
                                continue;
                            };
                            if directory.get("exclude").and_then(|e| e.as_str()) == Some("true") {
                                exclude.push(path.to_string());
                            } else {
                                include.push(path.to_string());
                            }
                        }
                        AppSetGenerator::GitDirectories {
                            repo_url: text(value.get("repoURL"), file),
                            include,
                            exclude,
                        }
                    }
                    _ => {
                        AppSetGenerator::Unknown(Spanned::new(kind.to_string(), loc_of(file, key)))
                    }
                });
            }
        }
        ApplicationSet {
            generators,
            name: text(template.and_then(|t| t.path(&["metadata", "name"])), file),
            template: template.map_or(
                Application {
                    sources: Vec::new(),
                    destination_namespace: None,
                },
                |t| Application::read(reader, t),
            ),
            go_template: spec
                .and_then(|s| s.get("goTemplate"))
                .and_then(|g| g.as_str())
                == Some("true"),
        }
    }
}

impl Application {
    /// Reads an Application from its root (or an ApplicationSet's `spec.template`, which has
    /// the same `spec`).
    pub(crate) fn read(reader: &Reader<'_>, root: NodeRef<'_>) -> Application {
        let mut ignored = Vec::new();
        let mut reader = lenient(reader, &mut ignored);
        let file = reader.file;
        let spec = root.get("spec");
        let mut sources = Vec::new();
        let single = spec.and_then(|s| s.get("source")).into_iter();
        let many = spec
            .and_then(|s| s.get("sources"))
            .into_iter()
            .flat_map(|l| l.items());
        for source in single.chain(many).filter(|s| s.is_mapping()) {
            let kustomize = source.get("kustomize");
            sources.push(AppSource {
                loc: loc_of(file, source),
                repo_url: text(source.get("repoURL"), file),
                path: text(source.get("path"), file),
                helm: source.get("chart").is_some() || source.get("helm").is_some(),
                is_ref_only: source.get("ref").is_some() && source.get("path").is_none(),
                recurse: source
                    .path(&["directory", "recurse"])
                    .and_then(|r| r.as_str())
                    == Some("true"),
                include: source
                    .path(&["directory", "include"])
                    .and_then(|r| r.as_str())
                    .map(str::to_string),
                exclude: source
                    .path(&["directory", "exclude"])
                    .and_then(|r| r.as_str())
                    .map(str::to_string),
                kustomize_namespace: text(kustomize.and_then(|k| k.get("namespace")), file),
                name_prefix: text(kustomize.and_then(|k| k.get("namePrefix")), file),
                name_suffix: text(kustomize.and_then(|k| k.get("nameSuffix")), file),
                common_annotations: StringMap::read(&mut reader, kustomize, "commonAnnotations"),
                common_labels: StringMap::read(&mut reader, kustomize, "commonLabels"),
                patches: patches(
                    kustomize.and_then(|k| k.get("patches")),
                    file,
                    source.get("path").and_then(|p| p.as_str()).unwrap_or(""),
                    reader.text,
                ),
                components: kustomize
                    .and_then(|k| k.get("components"))
                    .into_iter()
                    .flat_map(|l| l.items())
                    .filter_map(|item| text(Some(item), file))
                    .collect(),
            });
        }
        // Kept for the whole run, one per Application: not the four slots `push` reserves.
        sources.shrink_to_fit();
        Application {
            sources,
            destination_namespace: text(
                spec.and_then(|s| s.path(&["destination", "namespace"])),
                file,
            ),
        }
    }
}

impl FluxKustomization {
    pub(crate) fn read(reader: &Reader<'_>, root: NodeRef<'_>) -> FluxKustomization {
        let mut ignored = Vec::new();
        let mut reader = lenient(reader, &mut ignored);
        let file = reader.file;
        let spec = root.get("spec");
        let field = |key: &str| text(spec.and_then(|s| s.get(key)), file);
        let common = spec.and_then(|s| s.get("commonMetadata"));
        let post_build = spec.and_then(|s| s.get("postBuild"));
        FluxKustomization {
            path: field("path"),
            source_kind: spec
                .and_then(|s| s.path(&["sourceRef", "kind"]))
                .and_then(|k| k.as_str())
                .map(str::to_string),
            source_name: spec
                .and_then(|s| s.path(&["sourceRef", "name"]))
                .and_then(|k| k.as_str())
                .map(str::to_string),
            target_namespace: field("targetNamespace"),
            components: spec
                .and_then(|s| s.get("components"))
                .into_iter()
                .flat_map(|l| l.items())
                .filter_map(|item| text(Some(item), file))
                .collect(),
            name_prefix: field("namePrefix"),
            name_suffix: field("nameSuffix"),
            common_annotations: StringMap::read(&mut reader, common, "annotations"),
            common_labels: StringMap::read(&mut reader, common, "labels"),
            substitute: post_build
                .and_then(|p| p.get("substitute"))
                .map(|s| s.entries())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect(),
            substitute_from: post_build
                .and_then(|p| p.get("substituteFrom"))
                .map(|node| loc_of(file, node)),
            depends_on: spec
                .and_then(|s| s.get("dependsOn"))
                .into_iter()
                .flat_map(|l| l.items())
                .filter_map(|item| {
                    let name = text(item.get("name"), file)?;
                    let namespace = item.get("namespace").and_then(|n| n.as_str());
                    Some((name, namespace.map(str::to_string)))
                })
                .collect(),
            patches: patches(
                spec.and_then(|s| s.get("patches")),
                file,
                spec.and_then(|s| s.get("path"))
                    .and_then(|p| p.as_str())
                    .unwrap_or(""),
                reader.text,
            ),
        }
    }
}
