//! Placeholder theme with the agreed API until the themes branch lands (replaced on merge).

use ratatui::style::{Color, Modifier, Style};

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

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    name: String,
    mono: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            name: "default".into(),
            mono: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ThemeError(String);

impl Theme {
    pub const BUILTIN: &'static [&'static str] = &["default"];

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn load(name: &str) -> Result<Theme, ThemeError> {
        match name {
            "default" => Ok(Theme::default()),
            _ => Err(ThemeError(format!("unknown theme {name:?}"))),
        }
    }

    pub fn monochrome(&self) -> Theme {
        Theme {
            name: self.name.clone(),
            mono: true,
        }
    }

    pub fn style(&self, slot: Slot) -> Style {
        let (fg, m) = match slot {
            Slot::Ok | Slot::NewRevision => (Color::Green, Modifier::empty()),
            Slot::Warn | Slot::OldRevision => (Color::Yellow, Modifier::empty()),
            Slot::Critical => (Color::Red, Modifier::BOLD),
            Slot::Pending | Slot::Info => (Color::Cyan, Modifier::empty()),
            Slot::Excluded | Slot::Dim => (Color::DarkGray, Modifier::empty()),
            Slot::Title | Slot::HeaderKey | Slot::Key => (Color::Cyan, Modifier::BOLD),
            Slot::TableHeader => (Color::White, Modifier::BOLD),
            Slot::Selection => (Color::Black, Modifier::REVERSED),
            Slot::Badge => (Color::Magenta, Modifier::BOLD | Modifier::REVERSED),
            Slot::BorderFocus | Slot::Gauge | Slot::Filter => (Color::Blue, Modifier::empty()),
            Slot::Mark => (Color::Magenta, Modifier::empty()),
            Slot::Text | Slot::Border | Slot::Header => (Color::Reset, Modifier::empty()),
        };
        if self.mono {
            Style::default().add_modifier(m)
        } else if slot == Slot::Selection {
            Style::default().fg(Color::Black).bg(Color::LightBlue)
        } else {
            Style::default().fg(fg).add_modifier(m)
        }
    }
}

pub fn no_color_requested(flag: bool, no_color_env: Option<&str>, term: Option<&str>) -> bool {
    flag || no_color_env.is_some_and(|v| !v.is_empty()) || term == Some("dumb")
}
