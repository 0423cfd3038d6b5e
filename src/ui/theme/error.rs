//! Why a theme could not be had, worded for the person who wrote the file or typed `--theme`.

/// A theme that could not be loaded: each variant names the file (or the name looked up).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    /// The file was read but says something herd cannot use; `problem` quotes the bad value and
    /// says what is allowed.
    #[error("theme {file}, line {line}: {problem}")]
    Invalid {
        file: String,
        line: usize,
        problem: String,
    },
    /// The file could not be read at all.
    #[error("theme {file}: cannot read it: {reason}")]
    Unreadable { file: String, reason: String },
    /// A name that is neither a built-in nor a file in the user theme directories.
    #[error(
        "unknown theme {name:?}: the built-in themes are {}; user themes are looked for as {}; \
         or give a path to a .toml file",
        super::Theme::BUILTIN.join(", "),
        searched_text(.searched)
    )]
    Unknown { name: String, searched: Vec<String> },
}

impl ThemeError {
    /// The line of the file the error is about, for errors about a file's contents.
    pub fn line(&self) -> Option<usize> {
        match self {
            ThemeError::Invalid { line, .. } => Some(*line),
            ThemeError::Unreadable { .. } | ThemeError::Unknown { .. } => None,
        }
    }
}

fn searched_text(searched: &[String]) -> String {
    if searched.is_empty() {
        "NAME.toml in $XDG_CONFIG_HOME/herd/themes or ~/.config/herd/themes, \
         but neither XDG_CONFIG_HOME nor HOME is set"
            .to_string()
    } else {
        searched.join(" and ")
    }
}
