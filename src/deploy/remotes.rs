//! Is an Argo CD source's `repoURL` this repository? Compared with the git remotes the
//! project read (`Project::repository_urls`), written in any of git's forms.

/// The URLs that name this repository, normalised.
#[derive(Debug, Default)]
pub struct Remotes {
    urls: Vec<String>,
    /// Some source of the repository names one of them: the repository's own URL is known,
    /// and a source naming another URL is another repository. Otherwise (a fresh `git init`,
    /// a fork, a mirror) a source whose path exists in this tree is taken to be this one.
    pub identified: bool,
}

impl Remotes {
    pub fn new<'a>(urls: impl IntoIterator<Item = &'a str>) -> Remotes {
        Remotes {
            urls: urls.into_iter().map(normalise).collect(),
            identified: false,
        }
    }

    /// Records whether any of `sources` (the repository's Argo CD source URLs) names this
    /// repository.
    pub fn identify<'a>(&mut self, mut sources: impl Iterator<Item = &'a str>) {
        self.identified = sources.any(|url| self.urls.contains(&normalise(url)));
    }

    /// Does `url` name this repository? `None` when that cannot be known: no git remote and
    /// no `[deploy] repo-urls` to compare with (pglint does not guess from the path).
    pub fn is_this_repository(&self, url: Option<&crate::source::Spanned<String>>) -> Option<bool> {
        let url = url?;
        (!self.urls.is_empty()).then(|| self.urls.contains(&normalise(url.as_str())))
    }
}

/// `https://github.com/a/b.git`, `git@github.com:a/b`, `ssh://git@github.com/a/b/` → `github.com/a/b`.
pub fn normalise(url: &str) -> String {
    let url = url.trim();
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let without_user = without_scheme
        .split_once('@')
        .filter(|(user, _)| !user.contains('/'))
        .map_or(without_scheme, |(_, rest)| rest);
    // scp-like `host:owner/repo`; a port (`host:22/owner`) is dropped as well.
    let (host, path) = without_user
        .split_once(['/', ':'])
        .unwrap_or((without_user, ""));
    let path = path.trim_start_matches(|c: char| c.is_ascii_digit() || c == '/');
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    format!("{}/{}", host.to_ascii_lowercase(), path)
}

/// The `url` of every `[remote "…"]` section of a git config file.
pub fn remote_urls(config: &str) -> Vec<String> {
    let mut urls = Vec::new();
    let mut in_remote = false;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_remote = line.starts_with("[remote ");
        } else if in_remote
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "url"
        {
            urls.push(value.trim().trim_matches('"').to_string());
        }
    }
    urls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_repository_in_every_form() {
        let forms = [
            "https://github.com/Example/homelab.git",
            "git@github.com:Example/homelab.git",
            "ssh://git@github.com/Example/homelab",
            "ssh://git@github.com:22/Example/homelab/",
            "https://user@github.com/Example/homelab",
        ];
        for form in forms {
            assert_eq!(normalise(form), "github.com/Example/homelab", "{form}");
        }
        assert_ne!(
            normalise("https://github.com/other/homelab"),
            normalise(forms[0])
        );
    }

    #[test]
    fn reads_remote_sections() {
        let config = "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = git@github.com:a/b.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\tremote = origin\n";
        assert_eq!(remote_urls(config), ["git@github.com:a/b.git"]);
    }
}
