//! Starts `pglint server` for YAML buffers. The binary is the one `lsp.pglint.binary.path` in
//! Zed's settings names, else `pglint` on the worktree's `PATH`; `lsp.pglint.binary.arguments`
//! replaces the default `server`.

use zed_extension_api::{self as zed, settings::LspSettings};

struct Pglint;

impl zed::Extension for Pglint {
    fn new() -> Self {
        Pglint
    }

    fn language_server_command(
        &mut self,
        language_server_id: &zed::LanguageServerId,
        worktree: &zed::Worktree,
    ) -> zed::Result<zed::Command> {
        let binary = LspSettings::for_worktree(language_server_id.as_ref(), worktree)
            .ok()
            .and_then(|settings| settings.binary);
        let configured_path = binary.as_ref().and_then(|b| b.path.clone());
        let command = match configured_path.or_else(|| worktree.which("pglint")) {
            Some(path) => path,
            None => {
                return Err(
                    "pglint is not on PATH: install it (`cargo install --locked --path .` in a \
                            pglint checkout) or set lsp.pglint.binary.path in Zed's settings"
                        .to_string(),
                );
            }
        };
        let args = binary
            .as_ref()
            .and_then(|b| b.arguments.clone())
            .unwrap_or_else(|| vec!["server".to_string()]);
        let mut env = worktree.shell_env();
        if let Some(extra) = binary.and_then(|b| b.env) {
            env.extend(extra);
        }
        Ok(zed::Command { command, args, env })
    }
}

zed::register_extension!(Pglint);
