//! Theme tests: the built-ins, patch semantics, colour forms, monochrome and the NO_COLOR rule.

use ratatui::style::{Color, Modifier, Style};

use super::{EMBEDDED, Slot, Theme, ThemeError, no_color_requested, parse};

pub(super) fn style(fg: Color) -> Style {
    Style::new().fg(fg)
}

fn parse_ok(text: &str) -> Theme {
    match Theme::parse(text, "test.toml") {
        Ok(theme) => theme,
        Err(error) => panic!("{text:?} should parse: {error}"),
    }
}

pub(super) fn parse_err(text: &str, source: &str) -> ThemeError {
    match Theme::parse(text, source) {
        Ok(theme) => panic!("{text:?} should be refused, got {theme:?}"),
        Err(error) => error,
    }
}

#[test]
fn every_builtin_parses_names_itself_and_sets_every_slot() {
    assert_eq!(EMBEDDED.map(|(name, _)| name), Theme::BUILTIN);
    for (name, text) in EMBEDDED {
        let patch = parse::read(text, name).unwrap_or_else(|e| panic!("built-in {name}: {e}"));
        assert_eq!(
            patch.name.as_deref(),
            Some(name),
            "themes/{name}.toml names itself"
        );
        assert_eq!(patch.inherits, None, "built-in {name} stands alone");
        for slot in Slot::ALL {
            assert!(
                patch.slots[slot.index()].is_some(),
                "built-in {name} sets {}",
                slot.key()
            );
        }
        let theme = Theme::builtin(name).unwrap_or_else(|| panic!("Theme::builtin({name})"));
        assert_eq!(theme.name(), name);
        assert_eq!(
            crate::theme_files::load(name, &crate::theme_files::Places::new(None, None))
                .map(|t| t.name().to_string())
                .ok()
                .as_deref(),
            Some(name)
        );
    }
    assert_eq!(Theme::builtin("nope"), None);
}

#[test]
fn every_theme_file_documents_every_slot() {
    for (name, text) in EMBEDDED {
        let lines: Vec<&str> = text.lines().collect();
        for slot in Slot::ALL {
            let at = lines
                .iter()
                .position(|line| line.starts_with(&format!("{} =", slot.key())));
            let at = at.unwrap_or_else(|| panic!("{name}: no line for {}", slot.key()));
            assert!(
                lines[at - 1].starts_with("# "),
                "{name}: {} has a comment above it",
                slot.key()
            );
        }
    }
}

#[test]
fn builtin_statuses_stay_apart_and_the_selection_stands_out() {
    let statuses = [
        Slot::Ok,
        Slot::Warn,
        Slot::Critical,
        Slot::Pending,
        Slot::Excluded,
    ];
    for name in Theme::BUILTIN {
        let theme = Theme::builtin(name).unwrap_or_default();
        for (i, a) in statuses.iter().enumerate() {
            for b in &statuses[i + 1..] {
                assert_ne!(
                    theme.style(*a).fg,
                    theme.style(*b).fg,
                    "{name}: {a:?} vs {b:?}"
                );
            }
        }
        let selection = theme.style(Slot::Selection);
        assert!(
            selection.bg.is_some() || selection.add_modifier.contains(Modifier::REVERSED),
            "{name}: selection has a background"
        );
    }
}

#[test]
fn colour_blind_theme_uses_okabe_ito_and_marks_critical_beyond_hue() {
    let theme = Theme::builtin("colour-blind").unwrap_or_default();
    let cases = [
        (Slot::Ok, Color::Rgb(0x00, 0x9E, 0x73)),
        (Slot::Warn, Color::Rgb(0xE6, 0x9F, 0x00)),
        (Slot::Critical, Color::Rgb(0xD5, 0x5E, 0x00)),
        (Slot::Pending, Color::Rgb(0x56, 0xB4, 0xE9)),
    ];
    for (slot, fg) in cases {
        assert_eq!(theme.style(slot).fg, Some(fg), "{slot:?}");
    }
    assert!(
        theme
            .style(Slot::Critical)
            .add_modifier
            .contains(Modifier::BOLD)
    );
}

#[test]
fn default_theme_is_the_embedded_dark_file() {
    let theme = Theme::default();
    assert_eq!(theme.name(), "default");
    assert_eq!(Some(&theme), Theme::builtin("default").as_ref());
    assert_eq!(theme.style(Slot::Ok), style(Color::Green));
    assert_eq!(
        theme.style(Slot::Selection),
        Style::new().fg(Color::Black).bg(Color::Indexed(75))
    );
}

#[test]
fn a_patch_changes_only_the_slots_it_names() {
    let cases: [(&str, &str, Theme); 4] = [
        ("[slots]\nwarn = \"#ffaf00\"\n", "test", Theme::default()),
        (
            "name = \"mine\"\n[slots]\nwarn = \"#ffaf00\"\n",
            "mine",
            Theme::default(),
        ),
        (
            "inherits = \"light\"\n[slots]\nwarn = \"#ffaf00\"\n",
            "test",
            light(),
        ),
        (
            "name = \"x\"\ninherits = \"high-contrast\"\n[slots.warn]\nfg = \"#ffaf00\"\n",
            "x",
            builtin("high-contrast"),
        ),
    ];
    for (text, name, base) in cases {
        let theme = parse_ok(text);
        assert_eq!(theme.name(), name, "{text:?}");
        for slot in Slot::ALL {
            let want = if slot == Slot::Warn {
                style(Color::Rgb(0xff, 0xaf, 0))
            } else {
                base.style(slot)
            };
            assert_eq!(theme.style(slot), want, "{text:?}: {}", slot.key());
        }
    }
}

pub(super) fn builtin(name: &str) -> Theme {
    Theme::builtin(name).unwrap_or_else(|| panic!("built-in {name}"))
}

pub(super) fn light() -> Theme {
    builtin("light")
}

#[test]
fn an_empty_file_is_the_default_theme_under_the_file_name() {
    let theme = parse_ok("# nothing to change\n");
    assert_eq!(theme.name(), "test");
    assert_eq!(theme.styles, Theme::default().styles);
}

#[test]
fn a_slot_a_patch_sets_is_replaced_whole() {
    // default's critical is lightred + bold; naming only fg drops the bold.
    let theme = parse_ok("[slots]\ncritical = { fg = \"magenta\" }\n");
    assert_eq!(theme.style(Slot::Critical), style(Color::Magenta));
}

#[test]
fn colours_and_modifiers_in_every_accepted_form() {
    let cases: [(&str, Style); 11] = [
        (r#""yellow""#, style(Color::Yellow)),
        (r#""DarkGray""#, style(Color::DarkGray)),
        (r#""light-red""#, style(Color::LightRed)),
        (r#""default""#, style(Color::Reset)),
        (r#""reset""#, style(Color::Reset)),
        (r##""#5fafff""##, style(Color::Rgb(0x5f, 0xaf, 0xff))),
        ("75", style(Color::Indexed(75))),
        (r#""208""#, style(Color::Indexed(208))),
        ("0xff", style(Color::Indexed(255))),
        (
            r#"{ bg = 0, fg = "white", bold = true, italic = false }"#,
            Style::new()
                .fg(Color::White)
                .bg(Color::Indexed(0))
                .add_modifier(Modifier::BOLD),
        ),
        (
            "{ dim = true, underlined = true, reversed = true, italic = true }",
            Style::new().add_modifier(
                Modifier::DIM | Modifier::UNDERLINED | Modifier::REVERSED | Modifier::ITALIC,
            ),
        ),
    ];
    for (value, want) in cases {
        let theme = parse_ok(&format!("[slots]\nmark = {value}\n"));
        assert_eq!(theme.style(Slot::Mark), want, "mark = {value}");
    }
}

#[test]
fn monochrome_has_no_colours_and_keeps_meaning_in_modifiers() {
    let meaning = [
        (Slot::Selection, Modifier::REVERSED),
        (Slot::Critical, Modifier::BOLD),
        (Slot::Warn, Modifier::BOLD),
        (Slot::Excluded, Modifier::DIM),
        (Slot::OldRevision, Modifier::DIM),
        (Slot::Badge, Modifier::REVERSED),
        (Slot::Gauge, Modifier::REVERSED),
    ];
    for name in Theme::BUILTIN {
        let theme = builtin(name);
        let mono = theme.monochrome();
        assert_eq!(mono.name(), *name);
        for slot in Slot::ALL {
            let s = mono.style(slot);
            assert_eq!(
                (s.fg, s.bg, s.underline_color),
                (None, None, None),
                "{name}: {slot:?}"
            );
        }
        for (slot, modifier) in meaning {
            assert!(
                mono.style(slot).add_modifier.contains(modifier),
                "{name}: {slot:?} is {modifier:?}"
            );
        }
        let statuses = [
            Slot::Ok,
            Slot::Warn,
            Slot::Critical,
            Slot::Pending,
            Slot::Excluded,
        ];
        for (i, a) in statuses.iter().enumerate() {
            for b in &statuses[i + 1..] {
                assert_ne!(
                    mono.style(*a),
                    mono.style(*b),
                    "{name}: {a:?} vs {b:?} without colour"
                );
            }
        }
        assert_eq!(
            mono.monochrome(),
            mono,
            "{name}: monochrome twice is monochrome"
        );
    }
}

#[test]
fn no_color_is_requested_by_flag_non_empty_no_color_or_dumb_terminal() {
    let cases = [
        (false, None, None, false),
        (false, None, Some("xterm-256color"), false),
        (false, Some(""), Some("xterm"), false),
        (false, Some("1"), Some("xterm"), true),
        (false, Some("0"), None, true),
        (false, None, Some("dumb"), true),
        (false, Some(""), Some("dumb"), true),
        (true, None, Some("xterm"), true),
        (true, Some(""), None, true),
        (false, None, Some("Dumb"), false),
    ];
    for (flag, no_color, term, want) in cases {
        assert_eq!(
            no_color_requested(flag, no_color, term),
            want,
            "flag={flag} NO_COLOR={no_color:?} TERM={term:?}"
        );
    }
}
