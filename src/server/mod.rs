//! `pglint server`: the Language Server Protocol over standard input and output, on the same
//! engine as `check` ([`crate::engine::check`]).
//!
//! Each workspace folder's project (its git top level, else the folder) is checked with the
//! open buffers' texts in place of the disk's; diagnostics are published for every file with
//! findings, and cleared where they vanished. Changes are debounced: a check runs once the
//! editor has been quiet for [`DEBOUNCE`], or at once when a request needs the result.
//! Navigation (definition, references, hover, completion) walks the index's chains
//! ([`navigation`]); code actions are the findings' fixes and suppressions ([`actions`]).
//! A handler that panics is answered with a JSON-RPC error; the server goes on.

mod actions;
mod navigation;
mod text;
mod transport;
mod workspace;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as notif, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionOrCommand, CodeActionProviderCapability, CompletionItem, CompletionItemKind,
    CompletionOptions, CompletionResponse, DidChangeWatchedFilesRegistrationOptions,
    FileChangeType, FileSystemWatcher, GlobPattern, GotoDefinitionResponse, Hover, HoverContents,
    HoverProviderCapability, InitializeParams, InitializeResult, Location, MarkupContent,
    MarkupKind, MessageType, OneOf, Position, PublishDiagnosticsParams, Registration,
    RegistrationParams, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Url,
    WorkspaceFoldersServerCapabilities, WorkspaceServerCapabilities,
};

use crate::hash::HashMap;
use crate::source::{FileId, Loc};
use navigation::{Item, Navigation};
use text::{Encoding, LineIndex};
use workspace::{Analysis, Workspace};

/// How long the editor must be quiet after a change before the project is checked again.
pub const DEBOUNCE: Duration = Duration::from_millis(30);

/// Runs the server until the client says `exit`. `Ok(false)`: it exited without a `shutdown`
/// first (the protocol's exit code 1).
pub fn run() -> Result<bool, String> {
    let (connection, io_threads) = transport::stdio();
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("the client did not initialize: {e}"))?;
    let params: InitializeParams = serde_json::from_value(params)
        .map_err(|e| format!("invalid initialize parameters: {e}"))?;
    let result = InitializeResult {
        capabilities: capabilities(Encoding::negotiate(&params.capabilities)),
        server_info: Some(ServerInfo {
            name: "pglint".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
    connection
        .initialize_finish(id, result)
        .map_err(|e| format!("the client did not finish initializing: {e}"))?;
    let mut server = Server::new(&params, connection.sender.clone());
    server.watch_files(&params);
    let clean = server.main_loop(&connection);
    drop(server);
    drop(connection);
    io_threads.join().map_err(|e| e.to_string())?;
    Ok(clean)
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..ServerCapabilities::default()
    }
}

/// An open buffer.
struct Document {
    text: String,
    version: i32,
}

struct Server {
    workspaces: Vec<Workspace>,
    documents: HashMap<Url, Document>,
    sender: crossbeam_channel::Sender<Message>,
    /// When the last change arrived, while a workspace waits to be checked again.
    last_change: Option<Instant>,
    /// What positions count, as negotiated at initialization.
    encoding: Encoding,
    shutdown: bool,
}

/// A request's failure, as JSON-RPC answers it.
struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl Server {
    fn new(params: &InitializeParams, sender: crossbeam_channel::Sender<Message>) -> Server {
        let mut server = Server {
            workspaces: Vec::new(),
            documents: HashMap::default(),
            sender,
            last_change: None,
            encoding: Encoding::negotiate(&params.capabilities),
            shutdown: false,
        };
        #[allow(deprecated)] // `rootUri`: clients without workspace folders still send it.
        let folders: Vec<Url> = match &params.workspace_folders {
            Some(folders) => folders.iter().map(|f| f.uri.clone()).collect(),
            None => params.root_uri.iter().cloned().collect(),
        };
        for folder in folders {
            server.add_folder(&folder);
        }
        server
    }

    /// Adds the project around a workspace folder.
    fn add_folder(&mut self, folder: &Url) {
        let Some(root) = project_root(folder) else {
            return;
        };
        if self.workspaces.iter().all(|w| w.root != root) {
            self.workspaces.push(Workspace::new(root, self.encoding));
            self.changed();
        }
    }

    fn remove_folder(&mut self, folder: &Url) {
        let Some(root) = project_root(folder) else {
            return;
        };
        if let Some(i) = self.workspaces.iter().position(|w| w.root == root) {
            let workspace = self.workspaces.remove(i);
            for uri in workspace.published.into_keys() {
                self.publish(uri, Vec::new());
            }
        }
    }

    /// Asks the client to tell about changes on disk: manifests, and `pglint.toml`.
    fn watch_files(&mut self, params: &InitializeParams) {
        let dynamic = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        if !dynamic {
            return;
        }
        // Ignore files change what is walked.
        let watchers = [
            "**/pglint.toml",
            "**/*.{yaml,yml}",
            "**/*.pem",
            "**/{.gitignore,.ignore}",
        ]
        .into_iter()
        .map(|glob| FileSystemWatcher {
            glob_pattern: GlobPattern::String(glob.into()),
            kind: None,
        })
        .collect();
        let registration = Registration {
            id: "pglint-watched-files".into(),
            method: notif::DidChangeWatchedFiles::METHOD.into(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                watchers,
            })
            .ok(),
        };
        let params = RegistrationParams {
            registrations: vec![registration],
        };
        self.send(Message::Request(Request::new(
            RequestId::from("pglint-register".to_string()),
            req::RegisterCapability::METHOD.into(),
            params,
        )));
    }

    fn send(&self, message: Message) {
        // The client went away: the main loop ends when its messages do.
        let _ = self.sender.send(message);
    }

    fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) {
        self.send(Message::Notification(Notification::new(
            N::METHOD.into(),
            params,
        )));
    }

    fn log(&self, typ: MessageType, message: String) {
        self.notify::<notif::LogMessage>(lsp_types::LogMessageParams { typ, message });
    }

    /// Handles messages until `exit`; true when `shutdown` came first.
    fn main_loop(&mut self, connection: &Connection) -> bool {
        loop {
            let message = match self.last_change {
                Some(at) => {
                    let wait = (at + DEBOUNCE).saturating_duration_since(Instant::now());
                    match connection.receiver.recv_timeout(wait) {
                        Ok(message) => message,
                        Err(RecvTimeoutError::Timeout) => {
                            self.check_changed();
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => return false,
                    }
                }
                None => match connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return false,
                },
            };
            match message {
                Message::Request(request) => {
                    let response = self.request(request);
                    self.send(Message::Response(response));
                }
                Message::Notification(notification) => {
                    if notification.method == notif::Exit::METHOD {
                        return self.shutdown;
                    }
                    let method = notification.method.clone();
                    let handled =
                        catch_unwind(AssertUnwindSafe(|| self.notification(notification)));
                    if handled.is_err() {
                        self.log(
                            MessageType::ERROR,
                            format!(
                                "pglint: a bug stopped the handling of `{method}`; please report it"
                            ),
                        );
                    }
                }
                // The answer to the watcher registration.
                Message::Response(_) => {}
            }
        }
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let method = request.method.clone();
        if self.shutdown {
            return Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            );
        }
        match guarded(&method, || self.dispatch(request)) {
            Ok(value) => Response::new_ok(id, value),
            Err(failure) => Response::new_err(id, failure.code as i32, failure.message),
        }
    }

    fn dispatch(&mut self, request: Request) -> Result<serde_json::Value, Failure> {
        match request.method.as_str() {
            req::Shutdown::METHOD => {
                self.shutdown = true;
                Ok(serde_json::Value::Null)
            }
            req::GotoDefinition::METHOD => on::<req::GotoDefinition>(request, |p| {
                self.definition(p.text_document_position_params)
            }),
            req::References::METHOD => on::<req::References>(request, |p| {
                self.references(p.text_document_position, p.context.include_declaration)
            }),
            req::HoverRequest::METHOD => {
                on::<req::HoverRequest>(request, |p| self.hover(p.text_document_position_params))
            }
            req::Completion::METHOD => {
                on::<req::Completion>(request, |p| self.completion(p.text_document_position))
            }
            req::CodeActionRequest::METHOD => on::<req::CodeActionRequest>(request, |p| {
                self.code_actions(&p.text_document.uri, p.range)
            }),
            method => Err(Failure::new(
                ErrorCode::MethodNotFound,
                format!("pglint does not handle `{method}`"),
            )),
        }
    }

    fn notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            notif::DidOpenTextDocument::METHOD => {
                if let Some(p) = params::<notif::DidOpenTextDocument>(notification) {
                    let document = Document {
                        text: p.text_document.text,
                        version: p.text_document.version,
                    };
                    let uri = p.text_document.uri;
                    // A buffer that holds what was checked changes nothing: its findings are
                    // published as they are, without checking the whole project again.
                    let unchanged = self.checked_as(&uri, &document.text);
                    self.documents.insert(uri.clone(), document);
                    match unchanged {
                        Some(i) => self.publish_checked(i, uri),
                        None => self.touched(&uri),
                    }
                }
            }
            notif::DidChangeTextDocument::METHOD => {
                if let Some(p) = params::<notif::DidChangeTextDocument>(notification)
                    && let Some(document) = self.documents.get_mut(&p.text_document.uri)
                {
                    for change in p.content_changes {
                        text::apply_change(&mut document.text, change, self.encoding);
                    }
                    document.version = p.text_document.version;
                    self.touched(&p.text_document.uri);
                }
            }
            notif::DidCloseTextDocument::METHOD => {
                if let Some(p) = params::<notif::DidCloseTextDocument>(notification)
                    && let Some(document) = self.documents.remove(&p.text_document.uri)
                    && self
                        .checked_as(&p.text_document.uri, &document.text)
                        .is_none()
                {
                    self.touched(&p.text_document.uri);
                }
            }
            notif::DidSaveTextDocument::METHOD => {
                if let Some(p) = params::<notif::DidSaveTextDocument>(notification) {
                    self.disk_changed(&p.text_document.uri, false);
                }
            }
            notif::DidChangeWatchedFiles::METHOD => {
                if let Some(p) = params::<notif::DidChangeWatchedFiles>(notification) {
                    for change in p.changes {
                        self.disk_changed(&change.uri, change.typ != FileChangeType::CHANGED);
                    }
                }
            }
            notif::DidChangeWorkspaceFolders::METHOD => {
                if let Some(p) = params::<notif::DidChangeWorkspaceFolders>(notification) {
                    for folder in p.event.removed {
                        self.remove_folder(&folder.uri);
                    }
                    for folder in p.event.added {
                        self.add_folder(&folder.uri);
                    }
                }
            }
            // `initialized`, `$/cancelRequest`, `$/setTrace`, …: nothing to do.
            _ => {}
        }
    }

    /// The workspace a file belongs to (the innermost root around it) and its repository
    /// path; `None` for a file outside every project.
    fn locate(&self, uri: &Url) -> Option<(usize, String)> {
        let path = uri.to_file_path().ok()?;
        let path = canonical(&path);
        self.workspaces
            .iter()
            .enumerate()
            .filter(|(_, w)| path.starts_with(&w.root))
            .max_by_key(|(_, w)| w.root.as_os_str().len())
            .and_then(|(i, w)| Some((i, w.relative(&path)?)))
    }

    /// The workspace of `uri` when its last check read `text` from the disk for it, and
    /// nothing changed since.
    fn checked_as(&self, uri: &Url, text: &str) -> Option<usize> {
        let (i, _) = self.locate(uri)?;
        let workspace = &self.workspaces[i];
        if workspace.dirty || workspace.analysis.is_none() {
            return None;
        }
        let disk = std::fs::read(uri.to_file_path().ok()?).ok()?;
        (disk == text.as_bytes()).then_some(i)
    }

    /// Publishes the last check's findings of a file just opened.
    fn publish_checked(&mut self, i: usize, uri: Url) {
        let published = &mut self.workspaces[i].published;
        let diagnostics = published.entry(uri.clone()).or_default().clone();
        self.publish(uri, diagnostics);
    }

    /// An open buffer of a workspace changed: check it again once the editor is quiet.
    fn touched(&mut self, uri: &Url) {
        if let Some((i, _)) = self.locate(uri) {
            self.workspaces[i].dirty = true;
            self.changed();
        }
    }

    /// A file changed on disk (saved, or changed by another program; `created_or_deleted`:
    /// it appeared or vanished).
    fn disk_changed(&mut self, uri: &Url, created_or_deleted: bool) {
        let Some((i, path)) = self.locate(uri) else {
            return;
        };
        if path == crate::config::FILE_NAME {
            self.workspaces[i].reload_config();
        }
        self.workspaces[i].changed_on_disk(&path, created_or_deleted);
        self.changed();
    }

    fn changed(&mut self) {
        self.last_change = Some(Instant::now());
    }

    /// Checks every workspace that changed, and publishes what changed in its diagnostics.
    fn check_changed(&mut self) {
        self.last_change = None;
        for i in 0..self.workspaces.len() {
            if self.workspaces[i].dirty {
                self.check(i);
            }
        }
    }

    /// The open buffers of workspace `i`, by repository path.
    fn open_documents(&self, i: usize) -> (HashMap<String, String>, HashMap<String, Url>) {
        let mut texts = HashMap::default();
        let mut uris = HashMap::default();
        for (uri, document) in &self.documents {
            if let Some((w, path)) = self.locate(uri)
                && w == i
            {
                texts.insert(path.clone(), document.text.clone());
                uris.insert(path, uri.clone());
            }
        }
        (texts, uris)
    }

    fn check(&mut self, i: usize) {
        let (texts, uris) = self.open_documents(i);
        let open_uris: Vec<Url> = uris.into_values().collect();
        let uri_of = self.uri_of(i);
        if let Some(error) = &self.workspaces[i].config_error {
            self.notify::<notif::ShowMessage>(lsp_types::ShowMessageParams {
                typ: MessageType::ERROR,
                message: error.clone(),
            });
        }
        let workspace = &mut self.workspaces[i];
        let root = workspace.root.clone();
        let analysis = match workspace.check(texts) {
            Ok(analysis) => analysis,
            Err(error) => {
                workspace.dirty = false;
                let message = format!("pglint could not check {}: {error}", root.display());
                self.notify::<notif::ShowMessage>(lsp_types::ShowMessageParams {
                    typ: MessageType::ERROR,
                    message,
                });
                return;
            }
        };
        let mut new = analysis.lsp_diagnostics(&uri_of);
        // Open buffers are published even when clean: the editor then knows they were checked.
        for uri in open_uris {
            new.entry(uri).or_default();
        }
        let notices = analysis.notices.clone();
        let old = std::mem::take(&mut workspace.published);
        // Files whose findings vanished are cleared; the others are sent when they changed.
        let mut sends: Vec<(Url, Vec<lsp_types::Diagnostic>)> = old
            .keys()
            .filter(|uri| !new.contains_key(*uri))
            .map(|uri| (uri.clone(), Vec::new()))
            .collect();
        sends.extend(
            new.iter()
                .filter(|(uri, list)| old.get(*uri) != Some(*list))
                .map(|(uri, list)| (uri.clone(), list.clone())),
        );
        workspace.published = new;
        let notices_changed = workspace.notices != notices;
        workspace.notices = notices.clone();
        for (uri, list) in sends {
            self.publish(uri, list);
        }
        if notices_changed {
            for notice in notices {
                self.log(MessageType::INFO, format!("pglint: {notice}"));
            }
        }
    }

    fn publish(&self, uri: Url, diagnostics: Vec<lsp_types::Diagnostic>) {
        let version = self.documents.get(&uri).map(|d| d.version);
        self.notify::<notif::PublishDiagnostics>(PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        });
    }

    /// The workspace of a document, checked with what is open now; its analysis and the
    /// document's file.
    fn analysis_of(&mut self, uri: &Url) -> Result<Option<(usize, FileId)>, Failure> {
        let Some((i, path)) = self.locate(uri) else {
            return Ok(None);
        };
        if self.workspaces[i].dirty || self.workspaces[i].analysis.is_none() {
            self.check(i);
        }
        let Some(analysis) = &self.workspaces[i].analysis else {
            return Err(Failure::new(
                ErrorCode::RequestFailed,
                "the project could not be checked",
            ));
        };
        Ok(analysis.project.file_id(&path).map(|file| (i, file)))
    }

    /// A repository path's URI: the open buffer's, as the client named it, else the file's.
    fn uri_of(&self, i: usize) -> impl Fn(&str) -> Option<Url> + use<> {
        let (_, uris) = self.open_documents(i);
        let root = self.workspaces[i].root.clone();
        move |path: &str| match uris.get(path) {
            Some(uri) => Some(uri.clone()),
            None => Url::from_file_path(root.join(path)).ok(),
        }
    }

    /// The navigation item at a position, with what is needed to answer about it.
    fn item_at(
        &mut self,
        uri: &Url,
        position: Position,
    ) -> Result<Option<(usize, FileId, Item)>, Failure> {
        let Some((i, file)) = self.analysis_of(uri)? else {
            return Ok(None);
        };
        let workspace = &self.workspaces[i];
        let Some(analysis) = &workspace.analysis else {
            return Ok(None);
        };
        let offset = analysis.line_index(file).offset(position);
        let navigation = analysis.navigation(&workspace.config);
        Ok(navigation.at(file, offset).map(|item| (i, file, item)))
    }

    fn locations(&self, i: usize, locs: impl IntoIterator<Item = Loc>) -> Vec<Location> {
        let Some(analysis) = &self.workspaces[i].analysis else {
            return Vec::new();
        };
        let uri_of = self.uri_of(i);
        let mut indexes: HashMap<FileId, LineIndex<'_>> = HashMap::default();
        locs.into_iter()
            .filter_map(|loc| {
                let uri = uri_of(analysis.project.path(loc.file))?;
                let index = indexes
                    .entry(loc.file)
                    .or_insert_with(|| analysis.line_index(loc.file));
                Some(Location::new(uri, index.range(loc.span)))
            })
            .collect()
    }

    fn navigation(&self, i: usize) -> Option<(&Analysis, &Navigation)> {
        let workspace = &self.workspaces[i];
        let analysis = workspace.analysis.as_ref()?;
        Some((analysis, analysis.navigation(&workspace.config)))
    }

    fn definition(
        &mut self,
        at: lsp_types::TextDocumentPositionParams,
    ) -> Result<Option<GotoDefinitionResponse>, Failure> {
        let Some((i, _, item)) = self.item_at(&at.text_document.uri, at.position)? else {
            return Ok(None);
        };
        let Some((_, navigation)) = self.navigation(i) else {
            return Ok(None);
        };
        let locs: Vec<Loc> = navigation
            .definitions(item)
            .into_iter()
            .map(|s| navigation.symbols[s].loc)
            .collect();
        let locations = self.locations(i, locs);
        Ok((!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations)))
    }

    fn references(
        &mut self,
        at: lsp_types::TextDocumentPositionParams,
        declarations: bool,
    ) -> Result<Option<Vec<Location>>, Failure> {
        let Some((i, _, item)) = self.item_at(&at.text_document.uri, at.position)? else {
            return Ok(None);
        };
        let Some((_, navigation)) = self.navigation(i) else {
            return Ok(None);
        };
        let locs = navigation.references(item, declarations);
        Ok(Some(self.locations(i, locs)))
    }

    fn hover(
        &mut self,
        at: lsp_types::TextDocumentPositionParams,
    ) -> Result<Option<Hover>, Failure> {
        let Some((i, file, item)) = self.item_at(&at.text_document.uri, at.position)? else {
            return Ok(None);
        };
        let Some((analysis, navigation)) = self.navigation(i) else {
            return Ok(None);
        };
        let Some(markdown) = navigation.hover(item) else {
            return Ok(None);
        };
        let loc = match item {
            Item::Symbol(s) => navigation.symbols[s].loc,
            Item::Link(l) => navigation.links[l].loc,
        };
        Ok(Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: markdown,
            }),
            range: Some(analysis.line_index(file).range(loc.span)),
        }))
    }

    fn completion(
        &mut self,
        at: lsp_types::TextDocumentPositionParams,
    ) -> Result<Option<CompletionResponse>, Failure> {
        let uri = &at.text_document.uri;
        let Some(document) = self.documents.get(uri) else {
            return Ok(None);
        };
        let text = document.text.clone();
        let index = LineIndex::new(&text, self.encoding);
        let offset = index.offset(at.position);
        let (line_start, _) = index.line_at(offset);
        let before_cursor = &text[line_start..offset];
        let lines_above: Vec<&str> = text[..line_start].lines().collect();
        let Some(slot) = navigation::slot(&lines_above, before_cursor) else {
            return Ok(None);
        };
        // Names change rarely while typing a value: a check made before the last keystrokes
        // serves, rather than a new one.
        let i = match self.locate(uri) {
            Some((i, _)) => i,
            None => return Ok(None),
        };
        if self.workspaces[i].analysis.is_none() {
            self.check(i);
        }
        let Some((_, navigation)) = self.navigation(i) else {
            return Ok(None);
        };
        let items = navigation
            .candidates(slot)
            .into_iter()
            .map(|(name, detail)| CompletionItem {
                label: name.to_string(),
                kind: Some(CompletionItemKind::REFERENCE),
                detail: Some(detail.replace('`', "")),
                ..CompletionItem::default()
            })
            .collect();
        Ok(Some(CompletionResponse::Array(items)))
    }

    fn code_actions(
        &mut self,
        uri: &Url,
        range: lsp_types::Range,
    ) -> Result<Option<Vec<CodeActionOrCommand>>, Failure> {
        let Some((i, file)) = self.analysis_of(uri)? else {
            return Ok(None);
        };
        let Some(analysis) = &self.workspaces[i].analysis else {
            return Ok(None);
        };
        let uri_of = self.uri_of(i);
        let actions = actions::code_actions(analysis, file, range, &uri_of);
        Ok(Some(
            actions
                .into_iter()
                .map(CodeActionOrCommand::CodeAction)
                .collect(),
        ))
    }
}

/// Runs a request's handler; a panic in it becomes an internal error, the server goes on.
fn guarded(
    method: &str,
    handler: impl FnOnce() -> Result<serde_json::Value, Failure>,
) -> Result<serde_json::Value, Failure> {
    catch_unwind(AssertUnwindSafe(handler)).unwrap_or_else(|_| {
        Err(Failure::new(
            ErrorCode::InternalError,
            format!("pglint: a bug stopped the handling of `{method}`; please report it"),
        ))
    })
}

/// Runs a typed request handler: invalid parameters are an error, the result is serialised.
fn on<R: lsp_types::request::Request>(
    request: Request,
    handler: impl FnOnce(R::Params) -> Result<R::Result, Failure>,
) -> Result<serde_json::Value, Failure> {
    let params: R::Params = serde_json::from_value(request.params)
        .map_err(|e| Failure::new(ErrorCode::InvalidParams, format!("{}: {e}", R::METHOD)))?;
    let result = handler(params)?;
    serde_json::to_value(result).map_err(|e| Failure::new(ErrorCode::InternalError, e.to_string()))
}

fn params<N: lsp_types::notification::Notification>(
    notification: Notification,
) -> Option<N::Params> {
    serde_json::from_value(notification.params).ok()
}

/// The project of a workspace folder: its git top level, else the folder (links resolved).
fn project_root(folder: &Url) -> Option<PathBuf> {
    let folder = folder.to_file_path().ok()?.canonicalize().ok()?;
    Some(
        crate::discover::git_top_level(&folder)
            .unwrap_or(&folder)
            .to_path_buf(),
    )
}

/// A path with its links resolved: its own, else its folder's (a buffer not saved yet).
fn canonical(path: &Path) -> PathBuf {
    if let Ok(path) = path.canonicalize() {
        return path;
    }
    match (
        path.parent().and_then(|p| p.canonicalize().ok()),
        path.file_name(),
    ) {
        (Some(parent), Some(name)) => parent.join(name),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_handler_is_an_internal_error() {
        let result = guarded("textDocument/hover", || panic!("a bug"));
        let Err(failure) = result else {
            panic!("a panic must be an error")
        };
        assert_eq!(failure.code as i32, ErrorCode::InternalError as i32);
        assert!(failure.message.contains("textDocument/hover"));
        assert!(guarded("x", || Ok(serde_json::Value::Null)).is_ok());
    }
}
