//! Finds a theme by name or path: user theme files first, then the built-ins. The one place
//! herd reads theme files and the environment that locates them; the runtime calls it off the
//! event loop.

use std::ffi::OsString;
use std::io::Read;
use std::path::{MAIN_SEPARATOR, Path, PathBuf};

use crate::ui::theme::{Theme, ThemeError};

/// A theme file bigger than this is not a theme (and `--theme /dev/zero` must not hang herd).
const MAX_THEME_BYTES: u64 = 1 << 20;

/// Where user themes are looked for, and the home directory to abbreviate as `~` in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Places {
    pub(crate) dirs: Vec<PathBuf>,
    pub(crate) home: Option<PathBuf>,
}

impl Places {
    pub(crate) fn from_env() -> Places {
        Places::new(
            std::env::var_os("XDG_CONFIG_HOME"),
            std::env::var_os("HOME"),
        )
    }

    /// `$XDG_CONFIG_HOME/herd/themes` (when set to an absolute path, as the XDG spec asks), then
    /// `~/.config/herd/themes`, so a file in either is found.
    pub(crate) fn new(xdg_config_home: Option<OsString>, home: Option<OsString>) -> Places {
        let home = home.filter(|home| !home.is_empty()).map(PathBuf::from);
        let mut dirs = Vec::new();
        if let Some(xdg) = xdg_config_home.map(PathBuf::from)
            && xdg.is_absolute()
        {
            dirs.push(xdg.join("herd").join("themes"));
        }
        if let Some(home) = &home {
            let dir = home.join(".config").join("herd").join("themes");
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        Places { dirs, home }
    }

    /// A path as messages show it, with the home directory as `~`.
    fn show(&self, path: &Path) -> String {
        match self.home.as_deref().map(|home| path.strip_prefix(home)) {
            Some(Ok(rest)) => format!("~{MAIN_SEPARATOR}{}", rest.display()),
            _ => path.display().to_string(),
        }
    }
}

/// NAME (a built-in, or a user file `$XDG_CONFIG_HOME/herd/themes/NAME.toml` /
/// `~/.config/herd/themes/NAME.toml` that overrides the built-in of that name and patches it) or
/// PATH (contains a path separator or ends in `.toml`), found where the environment says.
pub fn load_theme(name_or_path: &str) -> Result<Theme, ThemeError> {
    load(name_or_path, &Places::from_env())
}

/// `--theme NAME|PATH`: a path if it has a separator or ends in `.toml`, else a user file named
/// NAME.toml (patching the built-in of that name, if there is one), else the built-in.
pub(crate) fn load(name_or_path: &str, places: &Places) -> Result<Theme, ThemeError> {
    if is_path(name_or_path) {
        let text =
            read_file(Path::new(name_or_path)).map_err(|error| unreadable(name_or_path, &error))?;
        return Theme::parse(&text, name_or_path);
    }
    if !name_or_path.is_empty() {
        for dir in &places.dirs {
            let path = dir.join(format!("{name_or_path}.toml"));
            let shown = places.show(&path);
            match read_file(&path) {
                Ok(text) => return Theme::parse_over(&text, &shown, name_or_path),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(error) => return Err(unreadable(&shown, &error)),
            }
        }
    }
    Theme::builtin(name_or_path).ok_or_else(|| ThemeError::Unknown {
        name: name_or_path.to_string(),
        searched: places
            .dirs
            .iter()
            .map(|dir| places.show(&dir.join(format!("{name_or_path}.toml"))))
            .collect(),
    })
}

fn is_path(name_or_path: &str) -> bool {
    name_or_path.contains('/')
        || name_or_path.contains(MAIN_SEPARATOR)
        || name_or_path.ends_with(".toml")
}

/// The file's text, refusing anything larger than a theme could be.
fn read_file(path: &Path) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(MAX_THEME_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_THEME_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB, which no theme is",
            MAX_THEME_BYTES / 1024
        )));
    }
    Ok(text)
}

fn unreadable(file: &str, error: &std::io::Error) -> ThemeError {
    let reason = match error.kind() {
        std::io::ErrorKind::InvalidData => "it is not UTF-8 text".to_string(),
        _ => error.to_string(),
    };
    ThemeError::Unreadable {
        file: file.to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests;
