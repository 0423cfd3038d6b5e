//! Finding themes: user files by name (XDG, then home) patching the built-in they replace,
//! paths, and what goes wrong: unknown names say where herd looked, unreadable files why.

use std::path::{Path, PathBuf};

use ratatui::style::{Color, Style};

use super::{Places, load};
use crate::ui::theme::{Slot, Theme};

fn style(fg: Color) -> Style {
    Style::new().fg(fg)
}

fn builtin(name: &str) -> Theme {
    Theme::builtin(name).unwrap_or_else(|| panic!("built-in {name}"))
}

fn light() -> Theme {
    builtin("light")
}

fn places(dirs: &[&Path], home: &Path) -> Places {
    Places {
        dirs: dirs.iter().map(|dir| dir.to_path_buf()).collect(),
        home: Some(home.to_path_buf()),
    }
}

#[test]
fn an_unknown_name_lists_the_builtins_and_where_user_themes_are_looked_for() {
    let home = Path::new("/home/ann");
    let dirs = Places::new(Some("/xdg".into()), Some(home.into())).dirs;
    let error = load("solarized", &places(&[&dirs[0], &dirs[1]], home)).err();
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    for want in [
        r#"unknown theme "solarized""#,
        "default, light, high-contrast, colour-blind",
        "/xdg/herd/themes/solarized.toml",
        "~/.config/herd/themes/solarized.toml",
        "path to a .toml file",
    ] {
        assert!(message.contains(want), "{message}\n  want {want}");
    }
    let nowhere = Places::new(None, None);
    let message = load("", &nowhere)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("neither XDG_CONFIG_HOME nor HOME is set"),
        "{message}"
    );
}

#[test]
fn user_theme_directories_follow_xdg_then_home() {
    let cases: [(Option<&str>, Option<&str>, &[&str]); 5] = [
        (
            Some("/x"),
            Some("/h"),
            &["/x/herd/themes", "/h/.config/herd/themes"],
        ),
        (Some("/h/.config"), Some("/h"), &["/h/.config/herd/themes"]),
        (Some("relative"), Some("/h"), &["/h/.config/herd/themes"]),
        (Some(""), Some("/h"), &["/h/.config/herd/themes"]),
        (None, None, &[]),
    ];
    for (xdg, home, want) in cases {
        let got = Places::new(xdg.map(Into::into), home.map(Into::into)).dirs;
        let want: Vec<PathBuf> = want.iter().map(PathBuf::from).collect();
        assert_eq!(got, want, "XDG_CONFIG_HOME={xdg:?} HOME={home:?}");
    }
}

#[test]
fn user_files_are_found_by_name_and_patch_the_builtin_they_replace() -> std::io::Result<()> {
    let home = tempfile::tempdir()?;
    let xdg = home.path().join("xdg");
    let config = home.path().join(".config").join("herd").join("themes");
    std::fs::create_dir_all(&config)?;
    std::fs::create_dir_all(&xdg)?;
    std::fs::write(config.join("light.toml"), "[slots]\nwarn = \"magenta\"\n")?;
    std::fs::write(config.join("mine.toml"), "[slots]\nok = \"blue\"\n")?;
    std::fs::write(xdg.join("mine.toml"), "[slots]\nok = \"cyan\"\n")?;
    let places = places(&[&xdg, &config], home.path());

    let light = load("light", &places).map_err(std::io::Error::other)?;
    assert_eq!(
        (light.name(), light.style(Slot::Warn)),
        ("light", style(Color::Magenta))
    );
    assert_eq!(
        light.style(Slot::Ok),
        builtin("light").style(Slot::Ok),
        "the rest is the built-in light"
    );

    let mine = load("mine", &places).map_err(std::io::Error::other)?;
    assert_eq!(
        (mine.name(), mine.style(Slot::Ok)),
        ("mine", style(Color::Cyan)),
        "XDG comes first"
    );
    assert_eq!(mine.style(Slot::Warn), Theme::default().style(Slot::Warn));

    assert_eq!(
        load("high-contrast", &places).ok(),
        Theme::builtin("high-contrast")
    );
    Ok(())
}

#[test]
fn a_name_with_a_separator_or_toml_suffix_is_a_path() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("team.toml");
    std::fs::write(&path, "inherits = \"light\"\n")?;
    let nowhere = Places::new(None, None);
    let theme = load(&path.display().to_string(), &nowhere).map_err(std::io::Error::other)?;
    assert_eq!(
        (theme.name(), theme.style(Slot::Ok)),
        ("team", light().style(Slot::Ok))
    );

    let missing = load("light.toml", &nowhere)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        missing.starts_with("theme light.toml: cannot read it: "),
        "{missing}"
    );
    Ok(())
}

#[test]
fn an_unreadable_file_is_named_with_the_reason() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00])?;
    let huge = dir.path().join("huge.toml");
    std::fs::write(&huge, "#".repeat(2 << 20))?;
    let nowhere = Places::new(None, None);
    let cases = [
        (dir.path().join("missing.toml"), "No such file"),
        (dir.path().to_path_buf(), "directory"),
        (binary, "not UTF-8 text"),
        (huge, "larger than 1024 KiB"),
    ];
    for (path, reason) in cases {
        let shown = path.display().to_string();
        let message = load(&shown, &nowhere)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message.starts_with(&format!("theme {shown}: cannot read it: ")),
            "{message}"
        );
        assert!(message.contains(reason), "{message}\n  want {reason}");
    }
    Ok(())
}

#[test]
fn a_user_directory_entry_that_cannot_be_read_is_an_error_not_a_fallback() -> std::io::Result<()> {
    let home = tempfile::tempdir()?;
    let themes = home.path().join("themes");
    std::fs::create_dir_all(themes.join("light.toml"))?;
    let error = load("light", &places(&[&themes], home.path())).err();
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.starts_with("theme ~/themes/light.toml: cannot read it"),
        "{message}"
    );
    Ok(())
}

/// The corpus under tests/themes_invalid: each file starts with `# expect: <text>` lines that its error
/// must contain (the first one gives the line).
#[test]
fn invalid_theme_corpus_is_refused_with_file_line_and_value() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("themes_invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.path()).unwrap_or_default())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "corpus has files");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let expected: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        assert!(
            !expected.is_empty(),
            "{}: has # expect: lines",
            path.display()
        );
        let shown = path.display().to_string();
        let message = match super::load_theme(&shown) {
            Ok(_) => panic!("{shown} should be refused"),
            Err(error) => error.to_string(),
        };
        assert!(
            message.starts_with(&format!("theme {shown}, line ")),
            "{message}"
        );
        for want in expected {
            assert!(
                message.contains(want),
                "{shown}:\n  got  {message}\n  want {want}"
            );
        }
    }
}
