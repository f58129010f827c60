//! Writing files back, for the commands that change the repository (`check --fix`, `new`,
//! `seal`): all or nothing, atomically, and never over a file that changed since it was read.
//!
//! Every new content is first written to a temporary file beside its target (same folder, so
//! the rename stays on one file system), with the target's permissions; only when every
//! temporary file is ready, and every target still holds the bytes that were read (or is
//! still absent, for a new file), are they renamed over their targets. A failure before the
//! renames removes the temporary files and leaves the repository as it was.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::source::Digest;

/// A file to write: its repository path, the bytes it held when read (`None`: a new file,
/// which must still be absent), and its new bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub path: String,
    pub before: Option<Vec<u8>>,
    pub after: Vec<u8>,
}

/// Writes every change under `root`, or none. Returns what prevented it (`path: reason`).
pub fn write_all(root: &Path, changes: &[Changed]) -> Result<(), Vec<String>> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut failures = Vec::new();
    for change in changes {
        match stage(root, change) {
            Ok(paths) => staged.push(paths),
            Err(reason) => failures.push(format!("{}: {reason}; not written", change.path)),
        }
    }
    // Still what was read, right before the renames.
    if failures.is_empty() {
        for change in changes {
            if let Err(reason) = unchanged(&root.join(&change.path), change.before.as_deref()) {
                failures.push(format!("{}: {reason}; not written", change.path));
            }
        }
    }
    if !failures.is_empty() {
        for (temporary, _) in &staged {
            let _ = fs::remove_file(temporary);
        }
        return Err(failures);
    }
    for (temporary, target) in &staged {
        if let Err(error) = fs::rename(temporary, target) {
            let _ = fs::remove_file(temporary);
            failures.push(format!("{}: {error}; not written", target.display()));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

/// Is the file at `target` still `before` (absent for `None`)?
fn unchanged(target: &Path, before: Option<&[u8]>) -> Result<(), String> {
    match (before, fs::read(target)) {
        (None, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        (None, _) => Err("already exists".into()),
        (Some(_), Err(e)) => Err(e.to_string()),
        (Some(before), Ok(now)) if Digest::of(&now) == Digest::of(before) => Ok(()),
        (Some(_), Ok(_)) => Err("changed while pglint ran".into()),
    }
}

/// Writes the new bytes to a temporary file beside the target: (temporary, target).
fn stage(root: &Path, change: &Changed) -> Result<(PathBuf, PathBuf), String> {
    let target = root.join(&change.path);
    unchanged(&target, change.before.as_deref())?;
    let dir = target.parent().ok_or("no parent folder")?;
    if change.before.is_none() {
        fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    } else if fs::symlink_metadata(&target)
        .map_err(|e| e.to_string())?
        .file_type()
        .is_symlink()
    {
        return Err("is a symbolic link".into());
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.pglint-{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        out.write_all(&change.after)?;
        out.sync_all()?;
        if change.before.is_some() {
            fs::set_permissions(&temporary, fs::metadata(&target)?.permissions())?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok((temporary, target)),
        Err(error) => {
            let _ = fs::remove_file(&temporary);
            Err(error.to_string())
        }
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

    #[test]
    fn nothing_is_written_when_one_file_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("db.yaml"), "kind: Database\n").unwrap();
        let changes = [
            change("db.yaml", Some(DB), "edited"),
            change("new/created.yaml", None, "new"),
        ];
        let failures = write_all(dir.path(), &changes).unwrap_err();
        assert_eq!(failures, ["db.yaml: changed while pglint ran; not written"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("db.yaml")).unwrap(),
            "kind: Database\n"
        );
        assert!(!dir.path().join("new/created.yaml").exists());
        // No temporary file is left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains("pglint")), "{names:?}");
    }

    #[test]
    fn writes_changes_and_new_files_keeping_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.yaml");
        std::fs::write(&path, DB).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        let changes = [
            change("db.yaml", Some(DB), "edited\n"),
            change("apps/new.yaml", None, "new\n"),
        ];
        write_all(dir.path(), &changes).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited\n");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("apps/new.yaml")).unwrap(),
            "new\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        // A new file that appeared meanwhile is not overwritten.
        let failures = write_all(dir.path(), &[change("apps/new.yaml", None, "again")]);
        assert_eq!(
            failures.unwrap_err(),
            ["apps/new.yaml: already exists; not written"]
        );
    }
}
