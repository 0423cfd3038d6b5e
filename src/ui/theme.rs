//! herd's colours: one style per semantic slot, from an embedded or user TOML theme, and the
//! NO_COLOR rule.
//!
//! Screens ask for a [`Slot`], never for a colour, so a theme can restyle everything and
//! `NO_COLOR` can strip colour in one place while the modifiers keep the meaning visible.
//! Nothing here reads a file: `crate::theme_files` finds user themes and hands their text in.

mod error;
#[cfg(test)]
mod error_tests;
mod parse;
#[cfg(test)]
mod tests;

pub use error::ThemeError;

use ratatui::style::{Modifier, Style};

/// What a piece of the screen means; each theme file documents what each slot colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    Text,
    Dim,
    Border,
    BorderFocus,
    Title,
    Header,
    HeaderKey,
    TableHeader,
    Selection,
    Ok,
    Warn,
    Critical,
    Pending,
    Excluded,
    OldRevision,
    NewRevision,
    Info,
    Badge,
    Key,
    Gauge,
    Filter,
    Mark,
}

impl Slot {
    /// Every slot, in declaration order (the order of the theme files).
    pub const ALL: [Slot; 22] = [
        Slot::Text,
        Slot::Dim,
        Slot::Border,
        Slot::BorderFocus,
        Slot::Title,
        Slot::Header,
        Slot::HeaderKey,
        Slot::TableHeader,
        Slot::Selection,
        Slot::Ok,
        Slot::Warn,
        Slot::Critical,
        Slot::Pending,
        Slot::Excluded,
        Slot::OldRevision,
        Slot::NewRevision,
        Slot::Info,
        Slot::Badge,
        Slot::Key,
        Slot::Gauge,
        Slot::Filter,
        Slot::Mark,
    ];

    /// The slot's key under `[slots]` in a theme file.
    pub fn key(self) -> &'static str {
        match self {
            Slot::Text => "text",
            Slot::Dim => "dim",
            Slot::Border => "border",
            Slot::BorderFocus => "border_focus",
            Slot::Title => "title",
            Slot::Header => "header",
            Slot::HeaderKey => "header_key",
            Slot::TableHeader => "table_header",
            Slot::Selection => "selection",
            Slot::Ok => "ok",
            Slot::Warn => "warn",
            Slot::Critical => "critical",
            Slot::Pending => "pending",
            Slot::Excluded => "excluded",
            Slot::OldRevision => "old_revision",
            Slot::NewRevision => "new_revision",
            Slot::Info => "info",
            Slot::Badge => "badge",
            Slot::Key => "key",
            Slot::Gauge => "gauge",
            Slot::Filter => "filter",
            Slot::Mark => "mark",
        }
    }

    /// The slot a theme file's key names, if any.
    pub fn from_key(key: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|slot| slot.key() == key)
    }

    /// Position in [`Slot::ALL`] and in a theme's style table (the enum is declared in that order).
    fn index(self) -> usize {
        self as usize
    }

    /// What carries the slot's meaning when there is no colour: the selection stands out reversed,
    /// trouble is bold, what does not count is dim. Statuses also carry a glyph or word on screen.
    fn monochrome_modifier(self) -> Modifier {
        match self {
            Slot::Text | Slot::Header | Slot::Border | Slot::Ok | Slot::Info => Modifier::empty(),
            Slot::Dim | Slot::Excluded | Slot::OldRevision => Modifier::DIM,
            Slot::BorderFocus | Slot::Title | Slot::HeaderKey | Slot::TableHeader => Modifier::BOLD,
            Slot::NewRevision | Slot::Key | Slot::Warn => Modifier::BOLD,
            Slot::Critical | Slot::Mark => Modifier::BOLD | Modifier::UNDERLINED,
            Slot::Pending => Modifier::ITALIC,
            Slot::Filter => Modifier::UNDERLINED,
            Slot::Selection | Slot::Gauge => Modifier::REVERSED,
            Slot::Badge => Modifier::BOLD | Modifier::REVERSED,
        }
    }
}

/// The theme files built into the binary, by name, in [`Theme::BUILTIN`] order.
const EMBEDDED: [(&str, &str); 4] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    (
        "colour-blind",
        include_str!("../../themes/colour-blind.toml"),
    ),
];

/// A named set of styles, one per [`Slot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    name: String,
    styles: [Style; Slot::ALL.len()],
}

impl Theme {
    /// The themes built into herd, default first.
    pub const BUILTIN: &'static [&'static str] =
        &["default", "light", "high-contrast", "colour-blind"];

    /// The style for what `slot` means.
    pub fn style(&self, slot: Slot) -> Style {
        self.styles[slot.index()]
    }

    /// The theme's name, as its file gives it (or the file's name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A built-in theme by name, as embedded in the binary (user files are not consulted).
    pub fn builtin(name: &str) -> Option<Theme> {
        let text = embedded(name)?;
        let patch = parse::read(text, &builtin_source(name)).ok()?;
        Some(patch.apply(Theme::default(), name))
    }

    /// A user theme file named after `name`: it replaces the built-in of that name (if any) and
    /// patches it, so slots it leaves out keep the built-in's styles. `source` names the file in
    /// errors.
    pub fn parse_over(text: &str, source: &str, name: &str) -> Result<Theme, ThemeError> {
        let base = Theme::builtin(name).unwrap_or_default();
        Ok(parse::read(text, source)?.apply(base, name))
    }

    /// Parse theme text; `source` names the file in errors. Slots a file leaves out come from the
    /// default theme (a user theme may be a small patch), and a file may say `inherits = "light"` to
    /// patch another built-in. Without a `name`, the theme is named after `source`'s file stem.
    pub fn parse(text: &str, source: &str) -> Result<Theme, ThemeError> {
        let patch = parse::read(text, source)?;
        Ok(patch.apply(Theme::default(), &stem(source)))
    }

    /// For NO_COLOR / `--no-color` / TERM=dumb: no fg/bg colours at all, modifiers only (selection
    /// reversed, critical bold and underlined, excluded dim...) so meaning still shows. The modifiers are
    /// herd's own per slot, not the theme's, so no theme can make two statuses look alike without colour.
    pub fn monochrome(&self) -> Theme {
        Theme::plain(&self.name)
    }

    /// Modifiers only: the monochrome styles, and what `Default` falls back to should the embedded
    /// default ever fail to parse (a build mistake the tests catch).
    fn plain(name: &str) -> Theme {
        let mut styles = [Style::new(); Slot::ALL.len()];
        for slot in Slot::ALL {
            styles[slot.index()] = Style::new().add_modifier(slot.monochrome_modifier());
        }
        Theme {
            name: name.to_string(),
            styles,
        }
    }
}

impl Default for Theme {
    /// The embedded dark theme, `themes/default.toml`.
    fn default() -> Self {
        let fallback = Theme::plain("default");
        match parse::read(EMBEDDED[0].1, &builtin_source("default")) {
            Ok(patch) => patch.apply(fallback, "default"),
            Err(_) => fallback,
        }
    }
}

/// Whether to draw without colour: `--no-color`, `NO_COLOR` set and non-empty (no-color.org), or
/// `TERM=dumb`.
pub fn no_color_requested(flag: bool, no_color_env: Option<&str>, term: Option<&str>) -> bool {
    flag || no_color_env.is_some_and(|value| !value.is_empty()) || term == Some("dumb")
}

fn embedded(name: &str) -> Option<&'static str> {
    EMBEDDED
        .iter()
        .find(|(builtin, _)| *builtin == name)
        .map(|(_, text)| *text)
}

/// How errors name an embedded file.
fn builtin_source(name: &str) -> String {
    format!("themes/{name}.toml (built in)")
}

/// A theme's name when its file does not give one: the file name without `.toml`.
fn stem(source: &str) -> String {
    std::path::Path::new(source)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.to_string())
}
