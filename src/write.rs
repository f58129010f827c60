//! Writing files back, for the commands that change the repository (`check --fix`, `new`,
//! `seal`, `init`): under a lock, all or nothing, and never over a file that changed since it
//! was read.
//!
//! - **Lock.** A writer holds [`Lock`]: `<root>/.pglint.lock`, locked with the operating
//!   system's advisory file lock (`flock`) and naming its holder (pid, command, start). The
//!   kernel releases the lock when its holder dies, however it dies, so a lock file left by a
//!   killed run is recognised as stale by construction, without guessing from a pid that may
//!   have been reused. It lives at the root being written (not in `.git`) because that is the
//!   scope of a write, it works without Git and in worktrees (where `.git` is a file), and it
//!   sits on the file system of the files it guards.
//! - **Journal.** Every new content is staged in `<root>/.pglint.journal/` under an
//!   unpredictable name (the tempfile crate), with the target's mode and, where the process
//!   may, its owner and group, and synced. Only then is `commit.json` written there (by
//!   rename): from that moment the write is decided, and the renames follow. Each file being
//!   replaced is first hard-linked into the journal (copied where links are not possible), so
//!   its original bytes survive the rename. A run interrupted before `commit.json` exists
//!   replaced nothing; one interrupted after it is completed by the next pglint run, or rolled
//!   back when one of its files has changed meanwhile ([`Lock::acquire`] and
//!   [`recover_if_needed`] say what they did).
//! - **Signals.** SIGINT, SIGTERM and SIGHUP are held back while a write is staged: before the
//!   commit they abandon it (the staged files are removed), after it they take effect once the
//!   renames are done.
//! - **Checks.** Every target is compared with the bytes that were read before anything is
//!   staged, and again immediately before its rename: a file changed meanwhile is left alone
//!   and reported, and the files already replaced are restored from their backups (the
//!   `rollback` marker in the journal makes an interrupted restore finish on the next run), so
//!   the repository is never left half-written. No path with a symbolic link in it is written (a link could lead outside the
//!   repository).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The lock file, at the root of the repository being written.
pub const LOCK_FILE: &str = ".pglint.lock";
/// The folder holding a write in progress, at the root of the repository being written.
pub const JOURNAL_DIR: &str = ".pglint.journal";
/// The record that decides a write, inside [`JOURNAL_DIR`].
const COMMIT_RECORD: &str = "commit.json";
/// Beside the record: the decided write is being undone (a file changed under it).
const ROLLBACK_MARKER: &str = "rollback";

/// A file to write: its repository path, the bytes it held when read (`None`: a new file,
/// which must still be absent), and its new bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub path: String,
    pub before: Option<Vec<u8>>,
    pub after: Vec<u8>,
}

/// The repository's write lock, held until dropped.
#[derive(Debug)]
pub struct Lock {
    root: PathBuf,
    path: PathBuf,
    // Holds the advisory lock; closing it releases the lock.
    _file: File,
}

impl Lock {
    /// Takes the write lock of `root`, then finishes (or undoes) a write an earlier run left
    /// unfinished. Returns the lock and what was done, one line each. Fails, naming the
    /// holder, when another pglint holds it.
    pub fn acquire(root: &Path) -> Result<(Lock, Vec<String>), String> {
        let path = root.join(LOCK_FILE);
        let mut notes = Vec::new();
        loop {
            let mut file = open_lock_file(&path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(format!(
                        "{} is held by another pglint ({}); wait for it to finish",
                        path.display(),
                        holder(&mut file)
                    ));
                }
                Err(fs::TryLockError::Error(error)) => {
                    return Err(format!("cannot lock {}: {error}", path.display()));
                }
            }
            // A holder that released it may have removed the file after we opened it: the
            // lock must be on the file the path names now.
            if !same_file(&file, &path) {
                continue;
            }
            let previous = holder(&mut file);
            if !previous.is_empty() {
                notes.push(format!(
                    "took over {}, left by a pglint that ended without releasing it ({previous})",
                    path.display()
                ));
            }
            let started = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let command: Vec<String> = std::env::args().collect();
            let describe = format!(
                "pid {}, `{}`, started at {}",
                std::process::id(),
                command.join(" "),
                crate::model::time::format_rfc3339(started as i64)
            );
            file.set_len(0)
                .and_then(|()| file.write_all(describe.as_bytes()))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let lock = Lock {
                root: root.to_path_buf(),
                path,
                _file: file,
            };
            notes.extend(recover(root)?);
            return Ok((lock, notes));
        }
    }

    /// The root this lock guards.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked; a run that opened it meanwhile sees that it is gone.
        let _ = fs::remove_file(&self.path);
    }
}

/// For commands that only read: finishes a write an earlier run left unfinished (and removes
/// its stale lock file), when no writer is running. Returns what was done (nothing, usually).
pub fn recover_if_needed(root: &Path) -> Vec<String> {
    let left = |name: &str| fs::symlink_metadata(root.join(name)).is_ok();
    if !left(JOURNAL_DIR) && !left(LOCK_FILE) {
        return Vec::new();
    }
    match Lock::acquire(root) {
        Ok((_lock, notes)) => notes,
        Err(reason) => vec![format!(
            "a write is in progress or unfinished, so files may change under this run: {reason}"
        )],
    }
}

fn open_lock_file(path: &Path) -> Result<File, String> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options
        .open(path)
        .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))
}

/// Who holds (or held) the lock, as its holder wrote it.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    let text: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
    text.trim().to_string()
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

/// The decided write, as `commit.json` records it.
#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    pid: u32,
    files: Vec<JournalEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalEntry {
    /// Repository path of the target.
    path: String,
    /// Name of the staged file in the journal folder.
    staged: String,
    /// SHA-256 of the target's bytes before (`None`: the target did not exist).
    before: Option<String>,
    /// SHA-256 of the new bytes.
    after: String,
    /// Name, in the journal folder, of the target's original file (`None`: a new file).
    #[serde(default)]
    backup: Option<String>,
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The target's state: `None` when absent, else the SHA-256 of its bytes.
fn state(target: &Path) -> Result<Option<String>, String> {
    match fs::read(target) {
        Ok(bytes) => Ok(Some(sha256(&bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Finishes or undoes the write recorded in the journal folder, under the lock.
fn recover(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join(JOURNAL_DIR);
    match fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
        Ok(meta) if !meta.is_dir() => {
            return Err(format!(
                "{} is not a folder pglint made; remove it and run again",
                dir.display()
            ));
        }
        Ok(_) => {}
    }
    let mut notes = Vec::new();
    let record = dir.join(COMMIT_RECORD);
    match fs::read(&record) {
        Ok(bytes) => {
            let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{}: unreadable ({e}); remove the folder {} after checking the files it names",
                    record.display(),
                    dir.display()
                )
            })?;
            notes.extend(settle(root, &dir, &journal));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let staged = fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
            notes.push(format!(
                "rolled back an interrupted write: it had replaced no file yet; removed its {staged} staged {}",
                if staged == 1 { "file" } else { "files" }
            ));
        }
        Err(e) => return Err(format!("{}: {e}", record.display())),
    }
    fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    sync_dir(root);
    Ok(notes)
}

/// Brings an interrupted decided write to one end: completed when every file it names is
/// still either as it was or as it was to be, else (or when it was already being undone)
/// rolled back. Returns what was done.
fn settle(root: &Path, dir: &Path, journal: &Journal) -> Vec<String> {
    let changed: Vec<&str> = journal
        .files
        .iter()
        .filter(|entry| {
            let now = checked_target(root, &entry.path).and_then(|t| state(&t));
            !matches!(now, Ok(now) if now == entry.before || now.as_deref() == Some(entry.after.as_str()))
        })
        .map(|entry| entry.path.as_str())
        .collect();
    let undoing = dir.join(ROLLBACK_MARKER).exists();
    if changed.is_empty() && !undoing {
        let mut notes = Vec::new();
        let mut completed = 0;
        for entry in &journal.files {
            match roll_forward(root, dir, entry) {
                Ok(true) => completed += 1,
                Ok(false) => {}
                Err(reason) => notes.push(format!("{}: {reason}", entry.path)),
            }
        }
        notes.insert(
            0,
            format!(
                "completed an interrupted write (pid {}): {} of {} files replaced now, the others already were",
                journal.pid,
                completed,
                journal.files.len()
            ),
        );
        return notes;
    }
    let (restored, mut notes) = roll_back(root, dir, &journal.files);
    let why = if changed.is_empty() {
        "it was being undone".to_string()
    } else {
        format!("{} changed since it read them", changed.join(", "))
    };
    notes.insert(
        0,
        format!(
            "rolled back an interrupted write (pid {}) because {why}: {restored} of {} files restored, the others were untouched",
            journal.pid,
            journal.files.len()
        ),
    );
    notes
}

/// Replaces one target by its staged file, when the target is still as it was. `Ok(true)`:
/// replaced now; `Ok(false)`: it already was.
fn roll_forward(root: &Path, dir: &Path, entry: &JournalEntry) -> Result<bool, String> {
    let target = checked_target(root, &entry.path)?;
    let staged = dir.join(&entry.staged);
    let now = state(&target)?;
    if now.as_deref() == Some(entry.after.as_str()) {
        return Ok(false);
    }
    if !staged.exists() {
        return Err("its new content is missing from the journal; left as it is".into());
    }
    if now != entry.before {
        return Err(
            "changed by someone else since the interrupted write read it; left as it is".into(),
        );
    }
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    fs::rename(&staged, &target).map_err(|e| e.to_string())?;
    Ok(true)
}

/// Puts back the original of every target that holds its new bytes (a new file is removed).
/// Returns how many were restored, and a line for each that could not be.
fn roll_back(root: &Path, dir: &Path, entries: &[JournalEntry]) -> (usize, Vec<String>) {
    let mut restored = 0;
    let mut notes = Vec::new();
    for entry in entries {
        let undone = checked_target(root, &entry.path).and_then(|target| {
            if state(&target)?.as_deref() != Some(entry.after.as_str()) {
                return Ok(false);
            }
            match (&entry.before, &entry.backup) {
                (None, _) => fs::remove_file(&target).map_err(|e| e.to_string())?,
                (Some(before), Some(backup)) => {
                    let backup = dir.join(backup);
                    if state(&backup)?.as_ref() != Some(before) {
                        return Err("its original is missing from the journal".into());
                    }
                    fs::rename(&backup, &target).map_err(|e| e.to_string())?;
                }
                (Some(_), None) => return Err("the journal holds no copy of its original".into()),
            }
            Ok(true)
        });
        match undone {
            Ok(true) => restored += 1,
            Ok(false) => {}
            Err(reason) => notes.push(format!(
                "{}: {reason}; left with pglint's new content",
                entry.path
            )),
        }
    }
    (restored, notes)
}

/// `root/path`, refused when `path` leaves the root or goes through a symbolic link.
fn checked_target(root: &Path, path: &str) -> Result<PathBuf, String> {
    let relative = Path::new(path);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err("not a plain path inside the repository".into());
    }
    let mut current = root.to_path_buf();
    for component in relative.components() {
        current.push(component);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(if current.as_path() == root.join(relative) {
                    "is a symbolic link (pglint never writes through one)".into()
                } else {
                    format!(
                        "{} is a symbolic link (pglint never writes through one)",
                        current.strip_prefix(root).unwrap_or(&current).display()
                    )
                });
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(root.join(relative))
}

/// Is the file at `target` still `before` (absent for `None`)?
fn unchanged(target: &Path, before: Option<&[u8]>) -> Result<(), String> {
    match (before, fs::read(target)) {
        (None, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        (None, _) => Err("already exists".into()),
        (Some(_), Err(e)) => Err(e.to_string()),
        (Some(before), Ok(now)) if now == before => Ok(()),
        (Some(_), Ok(_)) => Err("changed while pglint ran".into()),
    }
}

/// SIGINT, SIGTERM and SIGHUP held back while registered: the last one received.
struct HeldSignals {
    received: Arc<AtomicUsize>,
    ids: Vec<signal_hook::SigId>,
}

impl HeldSignals {
    fn hold() -> HeldSignals {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let received = Arc::new(AtomicUsize::new(0));
        let ids = [SIGINT, SIGTERM, SIGHUP]
            .into_iter()
            .filter_map(|signal| {
                signal_hook::flag::register_usize(signal, Arc::clone(&received), signal as usize)
                    .ok()
            })
            .collect();
        HeldSignals { received, ids }
    }

    fn received(&self) -> Option<i32> {
        match self.received.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(signal as i32),
        }
    }

    /// Stops holding them back; a signal received meanwhile takes effect now.
    fn release(self) {
        for id in &self.ids {
            signal_hook::low_level::unregister(*id);
        }
        if let Some(signal) = self.received() {
            let _ = signal_hook::low_level::emulate_default_handler(signal);
        }
    }
}

/// Writes every change under the locked root, or none. Returns what prevented it
/// (`path: reason`): a file changed since it was read, before or while the others were
/// replaced, leaves every file as it was.
pub fn write_all(lock: &Lock, changes: &[Changed]) -> Result<(), Vec<String>> {
    write_all_observed(lock, changes, &mut |_| {})
}

/// [`write_all`], calling `before_replacing` with each path just before its last check and
/// rename (tests change a file there, in the window between the decision and the renames).
fn write_all_observed(
    lock: &Lock,
    changes: &[Changed],
    before_replacing: &mut dyn FnMut(&str),
) -> Result<(), Vec<String>> {
    let root = lock.root();
    let mut failures = Vec::new();
    let mut targets = Vec::new();
    for change in changes {
        match checked_target(root, &change.path)
            .and_then(|t| unchanged(&t, change.before.as_deref()).map(|()| t))
        {
            Ok(target) => targets.push(target),
            Err(reason) => failures.push(format!("{}: {reason}; not written", change.path)),
        }
    }
    if !failures.is_empty() {
        return Err(failures);
    }
    if changes.is_empty() {
        return Ok(());
    }
    let signals = HeldSignals::hold();
    let result = stage_and_commit(root, changes, &targets, &signals, before_replacing);
    signals.release();
    result
}

fn stage_and_commit(
    root: &Path,
    changes: &[Changed],
    targets: &[PathBuf],
    signals: &HeldSignals,
    before_replacing: &mut dyn FnMut(&str),
) -> Result<(), Vec<String>> {
    let dir = root.join(JOURNAL_DIR);
    fs::create_dir(&dir).map_err(|e| vec![format!("cannot create {}: {e}", dir.display())])?;
    let abandon = |reasons: Vec<String>| {
        let _ = fs::remove_dir_all(&dir);
        Err(reasons)
    };
    let mut staged = Vec::new();
    let mut backups = Vec::new();
    for (i, (change, target)) in changes.iter().zip(targets).enumerate() {
        if let Some(signal) = signals.received() {
            return abandon(vec![interrupted(signal)]);
        }
        let backup = match &change.before {
            Some(before) => back_up(&dir, i, target, before).map(Some),
            None => Ok(None),
        };
        match backup.and_then(|backup| Ok((stage(&dir, target, change)?, backup))) {
            Ok((file, backup)) => {
                staged.push(file);
                backups.push(backup);
            }
            Err(error) => {
                return abandon(vec![format!("{}: {error}; nothing written", change.path)]);
            }
        }
    }
    let journal = Journal {
        pid: std::process::id(),
        files: changes
            .iter()
            .zip(&staged)
            .zip(backups)
            .map(|((change, file), backup)| JournalEntry {
                path: change.path.clone(),
                staged: file_name(file.path()),
                before: change.before.as_deref().map(sha256),
                after: sha256(&change.after),
                backup,
            })
            .collect(),
    };
    if let Some(signal) = signals.received() {
        return abandon(vec![interrupted(signal)]);
    }
    // The staged files must outlive this process from here on: the record names them.
    let staged: Vec<PathBuf> = staged
        .into_iter()
        .map(|file| file.into_temp_path().keep())
        .collect::<Result<_, _>>()
        .map_err(|e| vec![e.to_string()])?;
    if let Err(error) = write_record(&dir, &journal) {
        return abandon(vec![format!(
            "cannot record the write: {error}; nothing written"
        )]);
    }
    // Decided: replace every target, each checked once more right before its rename. One that
    // changed meanwhile (or cannot be replaced) undoes the replacements made so far.
    let mut failures = Vec::new();
    for (i, ((change, target), staged)) in changes.iter().zip(targets).zip(&staged).enumerate() {
        before_replacing(&change.path);
        let replaced = unchanged(target, change.before.as_deref()).and_then(|()| {
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            fs::rename(staged, target).map_err(|e| e.to_string())
        });
        if let Err(reason) = replaced {
            // Recorded first, so that a run interrupted while undoing is undone by the next.
            let marked = File::create(dir.join(ROLLBACK_MARKER)).and_then(|f| f.sync_all());
            sync_dir(&dir);
            let (restored, notes) = roll_back(root, &dir, &journal.files[..i]);
            failures.push(format!(
                "{}: {reason}; nothing written (the {restored} {} already replaced restored)",
                change.path,
                if restored == 1 { "file" } else { "files" }
            ));
            failures.extend(notes);
            if let Err(error) = marked {
                failures.push(format!("cannot mark the write as undone: {error}"));
            }
            break;
        }
    }
    let mut parents: Vec<&Path> = targets.iter().filter_map(|t| t.parent()).collect();
    parents.sort();
    parents.dedup();
    for parent in parents {
        sync_dir(parent);
    }
    if let Err(error) = fs::remove_dir_all(&dir) {
        failures.push(format!("cannot remove {}: {error}", dir.display()));
    }
    sync_dir(root);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

fn interrupted(signal: i32) -> String {
    let name = signal_hook::low_level::signal_name(signal).unwrap_or("a signal");
    format!("interrupted by {name}: nothing written")
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Keeps the target's original in the journal as `backup-N`: a hard link to the same file
/// (mode, owner and bytes, at no cost), or a copy of the bytes read where a link is refused.
/// Returns its name.
fn back_up(dir: &Path, index: usize, target: &Path, before: &[u8]) -> std::io::Result<String> {
    let name = format!("backup-{index}");
    if fs::hard_link(target, dir.join(&name)).is_err() {
        let original = Changed {
            path: String::new(),
            before: Some(before.to_vec()),
            after: before.to_vec(),
        };
        stage(dir, target, &original)?
            .persist(dir.join(&name))
            .map_err(|e| e.error)?;
    }
    Ok(name)
}

/// Stages the new bytes in the journal folder, with the target's mode (and owner and group
/// where the process may), synced.
fn stage(dir: &Path, target: &Path, change: &Changed) -> std::io::Result<tempfile::NamedTempFile> {
    let existing = match change.before {
        Some(_) => Some(fs::metadata(target)?),
        None => None,
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix("staged-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A new file gets the mode `touch` would give it (0666 less the umask).
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(&change.after)?;
    if let Some(meta) = &existing {
        file.as_file().set_permissions(meta.permissions())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let handle = file.as_file();
            if std::os::unix::fs::fchown(handle, Some(meta.uid()), Some(meta.gid())).is_err() {
                let _ = std::os::unix::fs::fchown(handle, None, Some(meta.gid()));
            }
        }
    }
    file.as_file().sync_all()?;
    Ok(file)
}

fn write_record(dir: &Path, journal: &Journal) -> std::io::Result<()> {
    let mut record = tempfile::Builder::new()
        .prefix("record-")
        .tempfile_in(dir)?;
    serde_json::to_writer(&mut record, journal)?;
    record.as_file().sync_all()?;
    record.persist(dir.join(COMMIT_RECORD))?;
    sync_dir(dir);
    Ok(())
}

/// Makes a folder's entries durable (best effort: not every file system supports it).
fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: &str = "kind: Database\nmetadata:\n  name: db\n";

    fn change(path: &str, before: Option<&str>, after: &str) -> Changed {
        Changed {
            path: path.into(),
            before: before.map(|b| b.as_bytes().to_vec()),
            after: after.as_bytes().to_vec(),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn nothing_is_written_when_one_file_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("db.yaml"), "kind: Database\n").unwrap();
        let changes = [
            change("db.yaml", Some(DB), "edited"),
            change("new/created.yaml", None, "new"),
        ];
        let (lock, notes) = Lock::acquire(dir.path()).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        let failures = write_all(&lock, &changes).unwrap_err();
        assert_eq!(failures, ["db.yaml: changed while pglint ran; not written"]);
        assert_eq!(
            fs::read_to_string(dir.path().join("db.yaml")).unwrap(),
            "kind: Database\n"
        );
        assert!(!dir.path().join("new").exists());
        drop(lock);
        // Neither a staged file nor the lock is left behind.
        assert_eq!(names(dir.path()), ["db.yaml"]);
    }

    #[test]
    fn writes_changes_and_new_files_keeping_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.yaml");
        fs::write(&path, DB).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        }
        let changes = [
            change("db.yaml", Some(DB), "edited\n"),
            change("apps/new.yaml", None, "new\n"),
        ];
        let (lock, _) = Lock::acquire(dir.path()).unwrap();
        write_all(&lock, &changes).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "edited\n");
        assert_eq!(
            fs::read_to_string(dir.path().join("apps/new.yaml")).unwrap(),
            "new\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
            let created = fs::metadata(dir.path().join("apps/new.yaml")).unwrap();
            assert_ne!(
                created.permissions().mode() & 0o044,
                0,
                "not a private file"
            );
        }
        // A new file that appeared meanwhile is not overwritten.
        let failures = write_all(&lock, &[change("apps/new.yaml", None, "again")]);
        assert_eq!(
            failures.unwrap_err(),
            ["apps/new.yaml: already exists; not written"]
        );
        drop(lock);
        assert_eq!(names(dir.path()), ["apps", "db.yaml"]);
    }

    #[test]
    fn a_second_writer_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let (lock, _) = Lock::acquire(dir.path()).unwrap();
        let error = Lock::acquire(dir.path()).unwrap_err();
        assert!(error.contains("held by another pglint"), "{error}");
        assert!(
            error.contains(&format!("pid {}", std::process::id())),
            "{error}"
        );
        drop(lock);
        let (_again, notes) = Lock::acquire(dir.path()).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn a_lock_file_nobody_holds_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(LOCK_FILE), "pid 4242, `pglint new x`").unwrap();
        let (_lock, notes) = Lock::acquire(dir.path()).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("pid 4242"), "{notes:?}");
    }

    #[test]
    fn symbolic_links_are_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("pglint.toml"), "mine").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(
                outside.path().join("pglint.toml"),
                dir.path().join("pglint.toml"),
            )
            .unwrap();
            std::os::unix::fs::symlink(outside.path(), dir.path().join("apps")).unwrap();
            let (lock, _) = Lock::acquire(dir.path()).unwrap();
            let failures = write_all(
                &lock,
                &[
                    change("pglint.toml", Some("mine"), "theirs"),
                    change("apps/new.yaml", None, "new"),
                ],
            )
            .unwrap_err();
            assert_eq!(
                failures,
                [
                    "pglint.toml: is a symbolic link (pglint never writes through one); not written",
                    "apps/new.yaml: apps is a symbolic link (pglint never writes through one); not written"
                ]
            );
            assert_eq!(names(outside.path()), ["pglint.toml"]);
            assert_eq!(
                fs::read_to_string(outside.path().join("pglint.toml")).unwrap(),
                "mine"
            );
        }
    }

    #[test]
    fn the_next_run_completes_a_decided_write_and_rolls_back_an_undecided_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.yaml"), "old a").unwrap();
        fs::write(root.join("b.yaml"), "new b").unwrap();
        // A run killed after its record and one of two renames.
        let journal_dir = root.join(JOURNAL_DIR);
        fs::create_dir(&journal_dir).unwrap();
        fs::write(journal_dir.join("staged-1"), "new a").unwrap();
        let journal = Journal {
            pid: 7,
            files: vec![
                JournalEntry {
                    path: "a.yaml".into(),
                    staged: "staged-1".into(),
                    before: Some(sha256(b"old a")),
                    after: sha256(b"new a"),
                    backup: None,
                },
                JournalEntry {
                    path: "b.yaml".into(),
                    staged: "staged-2".into(),
                    before: Some(sha256(b"old b")),
                    after: sha256(b"new b"),
                    backup: None,
                },
            ],
        };
        write_record(&journal_dir, &journal).unwrap();
        let (lock, notes) = Lock::acquire(root).unwrap();
        assert_eq!(
            notes,
            [
                "completed an interrupted write (pid 7): 1 of 2 files replaced now, the others already were"
            ]
        );
        assert_eq!(fs::read_to_string(root.join("a.yaml")).unwrap(), "new a");
        drop(lock);
        assert_eq!(names(root), ["a.yaml", "b.yaml"]);

        // A run killed while staging: nothing was replaced, the staged file goes.
        fs::create_dir(&journal_dir).unwrap();
        fs::write(journal_dir.join("staged-x"), "half").unwrap();
        let notes = recover_if_needed(root);
        assert_eq!(
            notes,
            [
                "rolled back an interrupted write: it had replaced no file yet; removed its 1 staged file"
            ]
        );
        assert_eq!(names(root), ["a.yaml", "b.yaml"]);
        assert!(recover_if_needed(root).is_empty());
    }

    #[test]
    fn a_file_changed_between_the_decision_and_its_rename_undoes_the_whole_write() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.yaml"), "old a").unwrap();
        fs::write(root.join("b.yaml"), "old b").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(root.join("a.yaml"), fs::Permissions::from_mode(0o640)).unwrap();
        }
        let changes = [
            change("a.yaml", Some("old a"), "new a"),
            change("apps/c.yaml", None, "new c"),
            change("b.yaml", Some("old b"), "new b"),
        ];
        let (lock, _) = Lock::acquire(root).unwrap();
        let mut seen = Vec::new();
        // An editor saves b.yaml after the write was decided and a.yaml and c.yaml replaced.
        let failures = write_all_observed(&lock, &changes, &mut |path| {
            seen.push(path.to_string());
            if path == "b.yaml" {
                assert_eq!(fs::read_to_string(root.join("a.yaml")).unwrap(), "new a");
                assert!(root.join(JOURNAL_DIR).join(COMMIT_RECORD).exists());
                fs::write(root.join("b.yaml"), "editor's b").unwrap();
            }
        })
        .unwrap_err();
        assert_eq!(seen, ["a.yaml", "apps/c.yaml", "b.yaml"]);
        assert_eq!(
            failures,
            [
                "b.yaml: changed while pglint ran; nothing written (the 2 files already replaced restored)"
            ]
        );
        assert_eq!(fs::read_to_string(root.join("a.yaml")).unwrap(), "old a");
        assert_eq!(
            fs::read_to_string(root.join("b.yaml")).unwrap(),
            "editor's b"
        );
        assert!(!root.join("apps/c.yaml").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(root.join("a.yaml"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        drop(lock);
        assert_eq!(names(root), ["a.yaml", "apps", "b.yaml"]);
    }

    /// The journal of a run killed after replacing a.yaml (of a.yaml and b.yaml), as it left it.
    fn killed_after_the_first_rename(root: &Path) {
        fs::write(root.join("a.yaml"), "new a").unwrap();
        fs::write(root.join("b.yaml"), "old b").unwrap();
        let journal_dir = root.join(JOURNAL_DIR);
        fs::create_dir(&journal_dir).unwrap();
        fs::write(journal_dir.join("backup-0"), "old a").unwrap();
        fs::write(journal_dir.join("backup-1"), "old b").unwrap();
        fs::write(journal_dir.join("staged-2"), "new b").unwrap();
        let entry = |path: &str, n: usize| JournalEntry {
            path: format!("{path}.yaml"),
            staged: format!("staged-{}", n + 1),
            before: Some(sha256(format!("old {path}").as_bytes())),
            after: sha256(format!("new {path}").as_bytes()),
            backup: Some(format!("backup-{n}")),
        };
        let journal = Journal {
            pid: 7,
            files: vec![entry("a", 0), entry("b", 1)],
        };
        write_record(&journal_dir, &journal).unwrap();
    }

    #[test]
    fn the_next_run_rolls_back_a_decided_write_when_one_of_its_files_changed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        killed_after_the_first_rename(root);
        fs::write(root.join("b.yaml"), "editor's b").unwrap();
        assert_eq!(
            recover_if_needed(root),
            [
                "rolled back an interrupted write (pid 7) because b.yaml changed since it read them: 1 of 2 files restored, the others were untouched"
            ]
        );
        assert_eq!(fs::read_to_string(root.join("a.yaml")).unwrap(), "old a");
        assert_eq!(
            fs::read_to_string(root.join("b.yaml")).unwrap(),
            "editor's b"
        );
        assert_eq!(names(root), ["a.yaml", "b.yaml"]);
    }

    #[test]
    fn the_next_run_finishes_undoing_a_write_interrupted_while_it_was_undone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        killed_after_the_first_rename(root);
        fs::write(root.join(JOURNAL_DIR).join(ROLLBACK_MARKER), "").unwrap();
        assert_eq!(
            recover_if_needed(root),
            [
                "rolled back an interrupted write (pid 7) because it was being undone: 1 of 2 files restored, the others were untouched"
            ]
        );
        assert_eq!(fs::read_to_string(root.join("a.yaml")).unwrap(), "old a");
        assert_eq!(fs::read_to_string(root.join("b.yaml")).unwrap(), "old b");
        assert_eq!(names(root), ["a.yaml", "b.yaml"]);
    }
}
