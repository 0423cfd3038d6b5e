//! Reads theme TOML into a patch of slot styles, with errors that name the file, the line and the bad value.
//!
//! The file is walked as a spanned TOML tree (`toml::de::DeTable`) rather than deserialized, so every
//! complaint can point at the exact value and say what would have been accepted.

use std::ops::Range;

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Slot, Theme, ThemeError};

/// What a theme file says: the slots it sets, and what to take the rest from.
#[derive(Debug)]
pub(super) struct Patch {
    pub(super) name: Option<String>,
    pub(super) inherits: Option<String>,
    pub(super) slots: [Option<Style>; Slot::ALL.len()],
}

impl Patch {
    /// The theme this patch makes over `base` (or over the built-in it inherits), named `name`
    /// unless the file names itself.
    pub(super) fn apply(self, base: Theme, name: &str) -> Theme {
        let mut theme = match self.inherits.as_deref().and_then(Theme::builtin) {
            Some(inherited) => inherited,
            None => base,
        };
        theme.name = self.name.unwrap_or_else(|| name.to_string());
        for (style, set) in theme.styles.iter_mut().zip(self.slots) {
            if let Some(set) = set {
                *style = set;
            }
        }
        theme
    }
}

const COLOUR_HELP: &str = r##"use a colour name like "yellow", "#rrggbb" or 0-255"##;
const STYLE_KEYS: &str = "fg, bg, bold, dim, italic, underlined, reversed";
const MODIFIERS: [(&str, Modifier); 5] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
];

/// The text being read and how errors name it.
struct Doc<'a> {
    text: &'a str,
    source: &'a str,
}

impl Doc<'_> {
    fn error(&self, at: Range<usize>, problem: String) -> ThemeError {
        ThemeError::Invalid {
            file: self.source.to_string(),
            line: line_of(self.text, at.start),
            problem,
        }
    }
}

/// Reads a theme file's text; `source` names it in errors.
pub(super) fn read(text: &str, source: &str) -> Result<Patch, ThemeError> {
    let doc = Doc { text, source };
    let table = DeTable::parse(text).map_err(|error| syntax_error(&doc, &error))?;
    let mut patch = Patch {
        name: None,
        inherits: None,
        slots: [None; Slot::ALL.len()],
    };
    for (key, value) in in_file_order(table.get_ref()) {
        match key.get_ref().as_ref() {
            "name" => patch.name = Some(string(&doc, "name", value)?.to_string()),
            "inherits" => patch.inherits = Some(inherits(&doc, value)?),
            "slots" => read_slots(&doc, value, &mut patch.slots)?,
            other => return Err(doc.error(key.span(), unknown_top_level(other))),
        }
    }
    Ok(patch)
}

fn unknown_top_level(key: &str) -> String {
    if Slot::from_key(key).is_some() {
        format!("{key:?} is a slot: put it under [slots]")
    } else {
        format!("unknown key {key:?} (a theme has name, inherits and [slots])")
    }
}

fn inherits(doc: &Doc, value: &Spanned<DeValue>) -> Result<String, ThemeError> {
    let name = string(doc, "inherits", value)?;
    if Theme::BUILTIN.contains(&name) {
        Ok(name.to_string())
    } else {
        let problem = format!(
            "inherits {name:?}: not a built-in theme (use one of {})",
            Theme::BUILTIN.join(", ")
        );
        Err(doc.error(value.span(), problem))
    }
}

fn read_slots(
    doc: &Doc,
    value: &Spanned<DeValue>,
    slots: &mut [Option<Style>; Slot::ALL.len()],
) -> Result<(), ThemeError> {
    let DeValue::Table(table) = value.get_ref() else {
        let problem = format!(
            "slots must be a table ([slots]), not {}",
            describe(value.get_ref())
        );
        return Err(doc.error(value.span(), problem));
    };
    for (key, value) in in_file_order(table) {
        let name = key.get_ref().as_ref();
        let Some(slot) = Slot::from_key(name) else {
            let valid: Vec<&str> = Slot::ALL.iter().map(|slot| slot.key()).collect();
            let problem = format!("unknown slot {name:?} (slots are {})", valid.join(", "));
            return Err(doc.error(key.span(), problem));
        };
        slots[slot.index()] = Some(style(doc, name, value)?);
    }
    Ok(())
}

/// A slot's style: `{ fg = ..., bg = ..., bold = true, ... }`, or a bare colour for the foreground.
fn style(doc: &Doc, slot: &str, value: &Spanned<DeValue>) -> Result<Style, ThemeError> {
    let table = match value.get_ref() {
        DeValue::String(_) | DeValue::Integer(_) => {
            return Ok(Style::new().fg(colour(doc, slot, value)?));
        }
        DeValue::Table(table) => table,
        other => {
            let problem = format!(
                "slot {slot:?}: expected a style like {{ fg = \"green\", bold = true }} or a colour, not {}",
                describe(other)
            );
            return Err(doc.error(value.span(), problem));
        }
    };
    let mut style = Style::new();
    for (key, value) in in_file_order(table) {
        match key.get_ref().as_ref() {
            "fg" => style = style.fg(colour(doc, slot, value)?),
            "bg" => style = style.bg(colour(doc, slot, value)?),
            other => match MODIFIERS.iter().find(|(name, _)| *name == other) {
                Some((_, modifier)) if flag(doc, slot, other, value)? => {
                    style = style.add_modifier(*modifier);
                }
                Some(_) => {}
                None => {
                    let problem =
                        format!("slot {slot:?}: unknown key {other:?} (use {STYLE_KEYS})");
                    return Err(doc.error(key.span(), problem));
                }
            },
        }
    }
    Ok(style)
}

/// A colour: a ratatui colour name, `default` (the terminal's own), `#rrggbb`, or a 0–255 index.
fn colour(doc: &Doc, slot: &str, value: &Spanned<DeValue>) -> Result<Color, ThemeError> {
    match value.get_ref() {
        DeValue::String(text) if text.eq_ignore_ascii_case("default") => Ok(Color::Reset),
        DeValue::String(text) => text.parse::<Color>().map_err(|_| {
            let problem = format!("slot {slot:?}: unknown colour {text:?} ({COLOUR_HELP})");
            doc.error(value.span(), problem)
        }),
        DeValue::Integer(number) => i64::from_str_radix(number.as_str(), number.radix())
            .ok()
            .and_then(|index| u8::try_from(index).ok())
            .map(Color::Indexed)
            .ok_or_else(|| {
                let problem = format!(
                    "slot {slot:?}: colour {} is not a palette index ({COLOUR_HELP})",
                    describe(value.get_ref())
                );
                doc.error(value.span(), problem)
            }),
        other => {
            let problem = format!(
                "slot {slot:?}: {} is not a colour ({COLOUR_HELP})",
                describe(other)
            );
            Err(doc.error(value.span(), problem))
        }
    }
}

fn flag(doc: &Doc, slot: &str, key: &str, value: &Spanned<DeValue>) -> Result<bool, ThemeError> {
    value.get_ref().as_bool().ok_or_else(|| {
        let problem = format!(
            "slot {slot:?}: {key} must be true or false, not {}",
            describe(value.get_ref())
        );
        doc.error(value.span(), problem)
    })
}

fn string<'v>(doc: &Doc, key: &str, value: &'v Spanned<DeValue>) -> Result<&'v str, ThemeError> {
    value.get_ref().as_str().ok_or_else(|| {
        let problem = format!("{key} must be a string, not {}", describe(value.get_ref()));
        doc.error(value.span(), problem)
    })
}

/// A TOML value as the user wrote it, for quoting in errors.
fn describe(value: &DeValue) -> String {
    match value {
        DeValue::String(text) => format!("{text:?}"),
        DeValue::Integer(number) if number.radix() == 10 => number.as_str().to_string(),
        DeValue::Integer(number) => number.to_string(),
        DeValue::Float(number) => number.as_str().to_string(),
        DeValue::Boolean(flag) => flag.to_string(),
        DeValue::Datetime(datetime) => datetime.to_string(),
        DeValue::Array(_) => "an array".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

/// A table's entries in the order the file has them, so the first problem reported is the first in the file.
fn in_file_order<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(
    &'t Spanned<std::borrow::Cow<'i, str>>,
    &'t Spanned<DeValue<'i>>,
)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

fn syntax_error(doc: &Doc, error: &toml::de::Error) -> ThemeError {
    let start = error.span().map_or(0, |span| span.start);
    let line = line_of(doc.text, start);
    let message = error.message().trim().replace('\n', "; ");
    let quoted = doc.text.lines().nth(line - 1).unwrap_or("").trim();
    ThemeError::Invalid {
        file: doc.source.to_string(),
        line,
        problem: format!("not valid TOML: {message}, at: {quoted}"),
    }
}

/// 1-based line number of a byte offset (clamped to the text).
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}
