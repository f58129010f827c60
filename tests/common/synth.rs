//! Deterministic generator of SOP-conformant GitOps repositories.
//!
//! `write_sop_repo(root, apps, seed)` lays out a repository in which every
//! application gets a PostgreSQL database and login role on the one shared
//! CloudNativePG cluster, the way the SOP prescribes:
//!
//! ```text
//! infra/sealed-secrets/pub-cert.pem
//! infra/databases/postgres/postgres-cluster.yaml      one Cluster, one managed role per app
//! infra/databases/postgres/<app>-secrets-sealed.yaml  SealedSecret, as `kubeseal --format yaml` prints it
//! infra/databases/postgres/<app>-db.yaml              CNPG Database
//! infra/databases/postgres/kustomization.yaml
//! apps/<app>/{deployment,service,configmap,kustomization}.yaml   noise
//! ```
//!
//! Two more shapes of the same objects serve the benchmark:
//! `write_small_repo` (many small files: per app only the SealedSecret, the
//! Database and a ~1 KB ConfigMap) and `write_argo_repo` (an Argo CD
//! Application and a kustomize overlay per app).
//!
//! Output depends only on `(apps, seed)`, so tests can snapshot it and the
//! benchmark can reuse a repository across runs. Sizes are realistic
//! (a SealedSecret is ~2 KiB, a ConfigMap a few KiB) so that timings and
//! memory figures measured on it mean something.
//!
//! Included from integration tests (`tests/generated.rs`), `examples/gen_repo.rs`
//! and `examples/bench.rs` via `#[path]`; not every includer uses every item.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The sealed-secrets controller certificate of the example fixture
/// (RSA-4096), copied verbatim into every generated repository.
pub const PUB_CERT_PEM: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/example/infra/sealed-secrets/pub-cert.pem"
));

/// Name of the one shared CNPG cluster.
pub const CLUSTER_NAME: &str = "postgres-shared";
/// Namespace of the cluster, its databases and the sealed credentials.
pub const PG_NAMESPACE: &str = "postgres";
/// Folder holding the cluster and every per-app database manifest.
pub const PG_DIR: &str = "infra/databases/postgres";

/// Length of the generated passwords; the username plaintext is the role name.
const PASSWORD_LEN: usize = 32;
/// RSA-4096 ciphertext length: the session key as sealed by kubeseal.
const RSA_BLOCK_LEN: usize = 512;
/// AES-GCM tag appended to the sealed payload.
const GCM_TAG_LEN: usize = 16;

/// Realistic application names; an index suffix makes each app unique.
const APP_BASES: &[&str] = &[
    "billing",
    "payments",
    "auth",
    "user-profile",
    "inventory",
    "orders",
    "notifications",
    "search",
    "catalog",
    "checkout",
    "reporting",
    "analytics",
    "gateway",
    "ledger",
    "shipping",
    "recommendations",
    "media-store",
    "audit-log",
    "feature-flags",
    "scheduler",
    "crm",
    "wiki",
    "keycloak",
    "gitea",
    "nextcloud",
    "mattermost",
    "sonarqube",
    "harbor",
    "umami",
    "n8n",
    "outline",
    "plausible",
    "metabase",
    "directus",
];

/// What `write_sop_repo` (or another `write_*_repo`) wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RepoStats {
    /// Every file written, YAML or not.
    pub files: usize,
    /// Total size of the `*.yaml` files written.
    pub yaml_bytes: u64,
}

/// One generated application and the identifiers derived from its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Kubernetes-style name, e.g. `user-profile-0042`; also its namespace.
    pub name: String,
    /// `name` with `-` replaced by `_`: the PostgreSQL database name.
    pub db: String,
}

impl App {
    /// The login role owning the app's database.
    pub fn role(&self) -> String {
        format!("{}_user", self.db)
    }

    /// The basic-auth secret holding the role's credentials.
    pub fn secret(&self) -> String {
        format!("{}-db-creds", self.name)
    }

    /// File name of the app's SealedSecret in `PG_DIR`.
    pub fn sealed_file(&self) -> String {
        format!("{}-secrets-sealed.yaml", self.name)
    }

    /// File name of the app's CNPG Database in `PG_DIR`.
    pub fn db_file(&self) -> String {
        format!("{}-db.yaml", self.name)
    }
}

/// The apps `write_sop_repo(_, apps, seed)` generates, in order.
pub fn app_names(apps: usize, seed: u64) -> Vec<App> {
    let mut rng = SplitMix64::new(seed);
    (0..apps)
        .map(|i| {
            let base = APP_BASES[rng.below(APP_BASES.len())];
            let name = format!("{base}-{i:04}");
            let db = name.replace('-', "_");
            App { name, db }
        })
        .collect()
}

/// Writes an SOP-conformant repository of `apps` applications under `root`
/// (created if needed; existing files with the same names are overwritten,
/// others are left alone, so pass an empty or missing directory).
pub fn write_sop_repo(root: &Path, apps: usize, seed: u64) -> io::Result<RepoStats> {
    write_pg_repo(root, apps, seed, |out, app, rng| {
        let dir = format!("apps/{}", app.name);
        out.file(
            &format!("{dir}/deployment.yaml"),
            &deployment_yaml(app, rng),
        )?;
        out.file(&format!("{dir}/service.yaml"), &service_yaml(app))?;
        out.file(
            &format!("{dir}/configmap.yaml"),
            &configmap_yaml(app, rng, CONFIGMAP_SIZE),
        )?;
        out.file(
            &format!("{dir}/kustomization.yaml"),
            &app_kustomization_yaml(app),
        )
    })
}

/// Writes a repository of many small files: per app only its SealedSecret
/// and Database in `PG_DIR` and one ~1 KB ConfigMap in `apps/<app>/` (no
/// per-app kustomization), plus the shared Cluster and `PG_DIR`'s
/// kustomization as in `write_sop_repo`:
///
/// ```text
/// infra/sealed-secrets/pub-cert.pem
/// infra/databases/postgres/postgres-cluster.yaml
/// infra/databases/postgres/<app>-secrets-sealed.yaml
/// infra/databases/postgres/<app>-db.yaml
/// infra/databases/postgres/kustomization.yaml
/// apps/<app>/configmap.yaml
/// ```
///
/// The objects in `PG_DIR` are the ones `write_sop_repo(_, apps, seed)`
/// writes; only the app manifests differ. pglint may report the unlisted
/// ConfigMaps: this shape is for measuring speed, not conformance.
pub fn write_small_repo(root: &Path, apps: usize, seed: u64) -> io::Result<RepoStats> {
    write_pg_repo(root, apps, seed, |out, app, rng| {
        out.file(
            &format!("apps/{}/configmap.yaml", app.name),
            &configmap_yaml(app, rng, SMALL_CONFIGMAP_SIZE),
        )
    })
}

/// The SOP folder of `apps` applications (the certificate, the shared Cluster, each app's
/// SealedSecret and Database, the folder's kustomization), each app followed by what
/// `app_files` writes for it with the app's own random stream.
fn write_pg_repo(
    root: &Path,
    apps: usize,
    seed: u64,
    mut app_files: impl FnMut(&mut Writer<'_>, &App, &mut SplitMix64) -> io::Result<()>,
) -> io::Result<RepoStats> {
    let apps = app_names(apps, seed);
    let mut out = Writer {
        root,
        stats: RepoStats::default(),
    };

    out.file("infra/sealed-secrets/pub-cert.pem", PUB_CERT_PEM)?;
    out.file(
        &format!("{PG_DIR}/postgres-cluster.yaml"),
        &cluster_yaml(&apps),
    )?;

    for (i, app) in apps.iter().enumerate() {
        let mut rng = app_rng(seed, i);
        out.file(
            &format!("{PG_DIR}/{}", app.sealed_file()),
            &sealed_secret_yaml(app, &mut rng),
        )?;
        out.file(&format!("{PG_DIR}/{}", app.db_file()), &database_yaml(app))?;
        app_files(&mut out, app, &mut rng)?;
    }

    out.file(
        &format!("{PG_DIR}/kustomization.yaml"),
        &pg_kustomization_yaml(&apps),
    )?;
    Ok(out.stats)
}

/// Gives `typos` Databases of a repository that `write_sop_repo(root, apps, seed)` (or
/// `write_small_repo`) wrote an owner that is no role: every `apps / typos`-th app, in turn
/// one of four mistakes, so that "did you mean" meets each case it answers differently:
/// a dropped letter (`…_usr`) and swapped letters (`…_uesr`), one edit from the role; the
/// wrong case (`Billing_0042_user`); and a word three edits away (`…_owner`), which no role is
/// within one edit of. Returns how many Databases it rewrote.
pub fn add_owner_typos(root: &Path, apps: usize, seed: u64, typos: usize) -> io::Result<usize> {
    let apps = app_names(apps, seed);
    let typos = typos.min(apps.len());
    if typos == 0 {
        return Ok(0);
    }
    let step = apps.len() / typos;
    for (n, app) in apps.iter().step_by(step).take(typos).enumerate() {
        let role = app.role();
        let stem = role.strip_suffix("_user").unwrap_or(&role);
        let typo = match n % 4 {
            0 => format!("{stem}_usr"),
            1 => format!("{stem}_uesr"),
            2 => {
                let mut chars = role.chars();
                let first = chars.next().map(|c| c.to_ascii_uppercase());
                first.into_iter().chain(chars).collect()
            }
            _ => format!("{stem}_owner"),
        };
        let path = root.join(PG_DIR).join(app.db_file());
        let text =
            database_yaml(app).replace(&format!("owner: {role}\n"), &format!("owner: {typo}\n"));
        fs::write(path, text)?;
    }
    Ok(typos)
}

/// Folder of the shared Cluster in `write_argo_repo`.
pub const ARGO_CLUSTER_DIR: &str = "infra/databases/postgres/cluster";
/// Folder holding one folder per app in `write_argo_repo`.
pub const ARGO_APPS_DIR: &str = "infra/databases/postgres/apps";
/// The repository URL every Application of `write_argo_repo` names.
pub const ARGO_REPO_URL: &str = "https://example.com/gitops.git";

/// Writes a repository in which every app is deployed by its own Argo CD
/// Application through its own overlay, and the shared Cluster by one more:
///
/// ```text
/// infra/sealed-secrets/pub-cert.pem
/// argocd/postgres-cluster.yaml                 Application, path infra/databases/postgres/cluster
/// argocd/<app>.yaml                            Application, path overlays/<app>
/// overlays/<app>/kustomization.yaml            resources: ../../infra/databases/postgres/apps/<app>
/// infra/databases/postgres/cluster/{postgres-cluster,kustomization}.yaml
/// infra/databases/postgres/apps/<app>/<app>-secrets-sealed.yaml
/// infra/databases/postgres/apps/<app>/<app>-db.yaml
/// infra/databases/postgres/apps/<app>/kustomization.yaml
/// ```
///
/// The Cluster, SealedSecrets and Databases are the ones
/// `write_sop_repo(_, apps, seed)` writes (namespace `postgres`, the SOP's
/// sync waves), only in other folders. Sync waves do not order objects of
/// different Applications, and the files are not in the SOP folder itself,
/// so pglint may report findings: this shape is for measuring speed.
pub fn write_argo_repo(root: &Path, apps: usize, seed: u64) -> io::Result<RepoStats> {
    let apps = app_names(apps, seed);
    let mut out = Writer {
        root,
        stats: RepoStats::default(),
    };

    out.file("infra/sealed-secrets/pub-cert.pem", PUB_CERT_PEM)?;
    out.file(
        &format!("{ARGO_CLUSTER_DIR}/postgres-cluster.yaml"),
        &cluster_yaml(&apps),
    )?;
    out.file(
        &format!("{ARGO_CLUSTER_DIR}/kustomization.yaml"),
        &kustomization_yaml(&["postgres-cluster.yaml"]),
    )?;
    out.file(
        "argocd/postgres-cluster.yaml",
        &application_yaml("postgres-cluster", ARGO_CLUSTER_DIR),
    )?;

    for (i, app) in apps.iter().enumerate() {
        let mut rng = app_rng(seed, i);
        let name = &app.name;
        let dir = format!("{ARGO_APPS_DIR}/{name}");
        let (sealed, db) = (app.sealed_file(), app.db_file());
        out.file(
            &format!("{dir}/{sealed}"),
            &sealed_secret_yaml(app, &mut rng),
        )?;
        out.file(&format!("{dir}/{db}"), &database_yaml(app))?;
        out.file(
            &format!("{dir}/kustomization.yaml"),
            &kustomization_yaml(&[&sealed, &db]),
        )?;

        let overlay = format!("overlays/{name}");
        out.file(
            &format!("{overlay}/kustomization.yaml"),
            &kustomization_yaml(&[&format!("../../{dir}")]),
        )?;
        out.file(
            &format!("argocd/{name}.yaml"),
            &application_yaml(name, &overlay),
        )?;
    }
    Ok(out.stats)
}

/// The random stream of the `i`th app. An independent stream per app keeps
/// each app's content stable regardless of how many apps precede it.
fn app_rng(seed: u64, i: usize) -> SplitMix64 {
    SplitMix64::new(seed ^ (i as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F))
}

/// Writes files relative to a root, creating parents, and tallies them.
struct Writer<'a> {
    root: &'a Path,
    stats: RepoStats,
}

impl Writer<'_> {
    fn file(&mut self, rel: &str, contents: &str) -> io::Result<()> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, contents)?;
        self.stats.files += 1;
        if rel.ends_with(".yaml") {
            self.stats.yaml_bytes += contents.len() as u64;
        }
        Ok(())
    }
}

fn cluster_yaml(apps: &[App]) -> String {
    let mut s = format!(
        r#"apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: {CLUSTER_NAME}
  namespace: {PG_NAMESPACE}
  annotations:
    argocd.argoproj.io/sync-wave: "1"
  labels:
    app.kubernetes.io/name: "{CLUSTER_NAME}"
    app.kubernetes.io/part-of: "platform-databases"
spec:
  description: "Shared PostgreSQL cluster for application databases"
  instances: 3
  imageName: ghcr.io/cloudnative-pg/postgresql:17.5
  primaryUpdateStrategy: unsupervised
  enableSuperuserAccess: false

  postgresql:
    parameters:
      max_connections: "400"
      shared_buffers: "2GB"
      effective_cache_size: "6GB"
      maintenance_work_mem: "512MB"
      work_mem: "16MB"
      wal_buffers: "16MB"
      min_wal_size: "1GB"
      max_wal_size: "4GB"
      random_page_cost: "1.1"
      effective_io_concurrency: "200"
      checkpoint_completion_target: "0.9"
      log_min_duration_statement: "1000"
      pg_stat_statements.max: "10000"
      pg_stat_statements.track: "all"

  storage:
    size: 200Gi
    storageClass: ssd-retain
  walStorage:
    size: 50Gi
    storageClass: ssd-retain

  resources:
    requests:
      cpu: "2"
      memory: 8Gi
    limits:
      memory: 8Gi

  affinity:
    enablePodAntiAffinity: true
    topologyKey: kubernetes.io/hostname

  monitoring:
    enablePodMonitor: true

  managed:
    roles:
"#
    );
    for app in apps {
        let _ = write!(
            s,
            "      - name: {role}\n        ensure: present\n        login: true\n        passwordSecret:\n          name: {secret}\n",
            role = app.role(),
            secret = app.secret(),
        );
    }
    s
}

/// A SealedSecret byte-for-byte in the shape `kubeseal --format yaml`
/// (>= 0.32) prints: leading `---`, keys sorted, no `creationTimestamp`,
/// each ciphertext one unwrapped line of padded standard base64, and
/// strings quoted only where YAML would otherwise read them as non-strings.
fn sealed_secret_yaml(app: &App, rng: &mut SplitMix64) -> String {
    let name = &app.name;
    let secret = app.secret();
    // `encryptedData` keys are sorted: password before username.
    let password = sealed_blob(rng, PASSWORD_LEN);
    let username = sealed_blob(rng, app.role().len());
    format!(
        r#"---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: {secret}
  namespace: {PG_NAMESPACE}
spec:
  encryptedData:
    password: {password}
    username: {username}
  template:
    metadata:
      annotations:
        argocd.argoproj.io/sync-wave: "0"
        reflector.v1.k8s.emberstack.com/reflection-allowed: "true"
        reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: {name}
        reflector.v1.k8s.emberstack.com/reflection-auto-enabled: "true"
      labels:
        cnpg.io/reload: "true"
      name: {secret}
      namespace: {PG_NAMESPACE}
    type: kubernetes.io/basic-auth
"#
    )
}

/// Base64 of a kubeseal hybrid ciphertext for a plaintext of `plain_len`
/// bytes: big-endian u16 length of the RSA block (512), the RSA-OAEP
/// encrypted session key, then the AES-GCM ciphertext and its tag.
fn sealed_blob(rng: &mut SplitMix64, plain_len: usize) -> String {
    let mut blob = Vec::with_capacity(2 + RSA_BLOCK_LEN + plain_len + GCM_TAG_LEN);
    blob.extend_from_slice(&(RSA_BLOCK_LEN as u16).to_be_bytes());
    let rsa_start = blob.len();
    rng.fill(&mut blob, RSA_BLOCK_LEN);
    // Keep the RSA block numerically below any 4096-bit modulus (whose top
    // bit is set), as a genuine ciphertext always is.
    blob[rsa_start] &= 0x7f;
    rng.fill(&mut blob, plain_len + GCM_TAG_LEN);
    BASE64.encode(&blob)
}

fn database_yaml(app: &App) -> String {
    format!(
        r#"apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata:
  name: {name}-db
  namespace: {PG_NAMESPACE}
  annotations:
    argocd.argoproj.io/sync-wave: "2"
spec:
  name: {db}
  owner: {role}
  cluster:
    name: {CLUSTER_NAME}
"#,
        name = app.name,
        db = app.db,
        role = app.role(),
    )
}

fn pg_kustomization_yaml(apps: &[App]) -> String {
    let mut s = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - postgres-cluster.yaml\n",
    );
    for app in apps {
        let _ = writeln!(s, "  - {}\n  - {}", app.sealed_file(), app.db_file());
    }
    s
}

/// A kustomization listing `resources` and nothing else.
fn kustomization_yaml(resources: &[&str]) -> String {
    let mut s = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for resource in resources {
        let _ = writeln!(s, "  - {resource}");
    }
    s
}

/// An Argo CD Application deploying `path` of this repository (named by
/// `ARGO_REPO_URL`) into `PG_NAMESPACE`.
fn application_yaml(name: &str, path: &str) -> String {
    format!(
        r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {ARGO_REPO_URL}
    targetRevision: main
    path: {path}
  destination:
    server: https://kubernetes.default.svc
    namespace: {PG_NAMESPACE}
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
"#
    )
}

fn deployment_yaml(app: &App, rng: &mut SplitMix64) -> String {
    let name = &app.name;
    let image = name
        .rsplit_once('-')
        .map_or(name.as_str(), |(base, _)| base);
    let version = format!("{}.{}.{}", 1 + rng.below(4), rng.below(20), rng.below(10));
    let replicas = 1 + rng.below(3);
    let cpu = [100, 250, 500][rng.below(3)];
    let memory = [128, 256, 512, 1024][rng.below(4)];
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: "{name}"
    app.kubernetes.io/component: "backend"
    app.kubernetes.io/version: "{version}"
spec:
  replicas: {replicas}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: "{name}"
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: "{name}"
        app.kubernetes.io/component: "backend"
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {name}
          image: ghcr.io/example-org/{image}:{version}
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: 8080
            - name: metrics
              containerPort: 9090
          env:
            - name: DB_HOST
              value: {CLUSTER_NAME}-rw.{PG_NAMESPACE}.svc.cluster.local
            - name: DB_PORT
              value: "5432"
            - name: DB_NAME
              value: {db}
            - name: DB_USER
              valueFrom:
                secretKeyRef:
                  name: {secret}
                  key: username
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {secret}
                  key: password
          envFrom:
            - configMapRef:
                name: {name}-config
          readinessProbe:
            httpGet:
              path: /healthz/ready
              port: http
            initialDelaySeconds: 5
            periodSeconds: 10
          livenessProbe:
            httpGet:
              path: /healthz/live
              port: http
            initialDelaySeconds: 15
            periodSeconds: 20
          resources:
            requests:
              cpu: {cpu}m
              memory: {memory}Mi
            limits:
              memory: {memory}Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop:
                - ALL
          volumeMounts:
            - name: config
              mountPath: /etc/{image}
              readOnly: true
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: config
          configMap:
            name: {name}-config
        - name: tmp
          emptyDir: {{}}
"#,
        db = app.db,
        secret = app.secret(),
    )
}

fn service_yaml(app: &App) -> String {
    format!(
        r#"apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: "{name}"
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: "{name}"
  ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
    - name: metrics
      port: 9090
      targetPort: metrics
      protocol: TCP
"#,
        name = app.name
    )
}

/// How much configuration a ConfigMap carries beyond its fixed header: at
/// least `min` bytes, plus up to `spread` more chosen at random; the last
/// section may overshoot.
#[derive(Clone, Copy)]
struct ConfigSize {
    min: usize,
    spread: usize,
}

/// The ConfigMaps of `write_sop_repo`: a few KiB.
const CONFIGMAP_SIZE: ConfigSize = ConfigSize {
    min: 2048,
    spread: 4096,
};
/// The ConfigMaps of `write_small_repo`: about 1 KB in all.
const SMALL_CONFIGMAP_SIZE: ConfigSize = ConfigSize {
    min: 448,
    spread: 256,
};

/// A ConfigMap carrying application configuration of about `size`: some
/// flat environment keys plus an `application.yaml` document as a block
/// scalar.
fn configmap_yaml(app: &App, rng: &mut SplitMix64, size: ConfigSize) -> String {
    const SECTIONS: &[&str] = &[
        "server",
        "http",
        "cache",
        "queue",
        "metrics",
        "tracing",
        "logging",
        "features",
        "limits",
        "retries",
        "mail",
        "storage",
        "scheduler",
        "i18n",
        "ui",
        "search",
        "webhooks",
        "uploads",
        "sessions",
        "audit",
        "cors",
        "ratelimit",
        "jobs",
        "exports",
    ];
    const WORDS: &[&str] = &[
        "default",
        "fast",
        "strict",
        "lenient",
        "round-robin",
        "lru",
        "primary",
        "eu-west-1",
        "compact",
        "verbose",
        "standard",
        "adaptive",
    ];
    /// Keys a section may hold, each with the kind of value it takes.
    const KEYS: &[(&str, Kind)] = &[
        ("enabled", Kind::Bool),
        ("timeout", Kind::Duration),
        ("max_items", Kind::Int(10_000)),
        ("batch_size", Kind::Int(1_000)),
        ("interval", Kind::Duration),
        ("endpoint", Kind::Url),
        ("buffer_size", Kind::Int(65_536)),
        ("workers", Kind::Int(32)),
        ("mode", Kind::Word),
        ("strategy", Kind::Word),
        ("path", Kind::Path),
        ("ttl", Kind::Duration),
        ("prefix", Kind::Path),
        ("retry_attempts", Kind::Int(10)),
        ("verbose", Kind::Bool),
        ("upstream", Kind::Url),
    ];
    #[derive(Clone, Copy)]
    enum Kind {
        Bool,
        Int(usize),
        Duration,
        Word,
        Url,
        Path,
    }

    let name = &app.name;
    let mut s = format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  labels:
    app.kubernetes.io/name: "{name}"
data:
  LOG_LEVEL: "info"
  LOG_FORMAT: "json"
  HTTP_PORT: "8080"
  METRICS_PORT: "9090"
  TZ: "UTC"
  application.yaml: |
    app:
      name: {name}
      environment: production
"#
    );
    let target = s.len() + size.min + rng.below(size.spread);
    let mut sections = rng.shuffled(SECTIONS.len()).into_iter().cycle().enumerate();
    while s.len() < target {
        // Sections recur only once the list is exhausted; number them then.
        let (n, i) = sections.next().expect("cycle is endless");
        let _ = match n / SECTIONS.len() {
            0 => writeln!(s, "    {}:", SECTIONS[i]),
            round => writeln!(s, "    {}_{round}:", SECTIONS[i]),
        };
        let keys = rng.shuffled(KEYS.len());
        for &k in &keys[..4 + rng.below(KEYS.len() - 4)] {
            let (key, kind) = KEYS[k];
            let value = match kind {
                Kind::Bool => (rng.below(2) == 0).to_string(),
                Kind::Int(max) => (1 + rng.below(max)).to_string(),
                Kind::Duration => {
                    format!("{}{}", 1 + rng.below(120), ["ms", "s", "m"][rng.below(3)])
                }
                Kind::Word => WORDS[rng.below(WORDS.len())].to_string(),
                Kind::Url => format!(
                    "http://{}.{name}.svc.cluster.local:{}/v{}",
                    SECTIONS[rng.below(SECTIONS.len())],
                    8000 + rng.below(1000),
                    1 + rng.below(3),
                ),
                Kind::Path => format!("/var/lib/{name}/{}", SECTIONS[i]),
            };
            let _ = writeln!(s, "      {key}: {value}");
        }
    }
    s
}

fn app_kustomization_yaml(app: &App) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {}\nresources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n",
        app.name
    )
}

/// SplitMix64: tiny, fast, and good enough to make test data look random.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough value in `0..n` (modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A random permutation of `0..n` (Fisher-Yates).
    fn shuffled(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            v.swap(i, self.below(i + 1));
        }
        v
    }

    /// Appends `len` random bytes to `buf`.
    fn fill(&mut self, buf: &mut Vec<u8>, len: usize) {
        let end = buf.len() + len;
        while buf.len() < end {
            let word = self.next_u64().to_le_bytes();
            let take = (end - buf.len()).min(word.len());
            buf.extend_from_slice(&word[..take]);
        }
    }
}
