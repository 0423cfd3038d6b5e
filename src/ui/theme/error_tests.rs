//! Theme tests for what goes wrong in a file: invalid themes name the file, the line and the
//! bad value.

use super::tests::parse_err;

/// (file text, line of the error, what the message must quote)
const INVALID: &[(&str, usize, &str)] = &[
    (
        "name = \"x\"\n\n[slots]\nok = \"green\"\nwarn = { fg = \"grene\" }\n",
        5,
        r##"slot "warn": unknown colour "grene" (use a colour name like "yellow", "#rrggbb" or 0-255)"##,
    ),
    (
        "[slots]\nok = { bg = \"#12345\" }\n",
        2,
        r##"unknown colour "#12345""##,
    ),
    (
        "[slots]\n\nok = 256\n",
        3,
        r#"slot "ok": colour 256 is not a palette index"#,
    ),
    ("[slots]\nok = -1\n", 2, "colour -1 is not a palette index"),
    (
        "[slots]\nok = { fg = true }\n",
        2,
        r#"slot "ok": true is not a colour"#,
    ),
    (
        "[slots]\nok = 1.5\n",
        2,
        r#"slot "ok": expected a style like { fg = "green", bold = true } or a colour, not 1.5"#,
    ),
    (
        "[slots]\nok = { bold = \"yes\" }\n",
        2,
        r#"slot "ok": bold must be true or false, not "yes""#,
    ),
    (
        "[slots]\nok = { colour = \"red\" }\n",
        2,
        r#"slot "ok": unknown key "colour" (use fg, bg, bold"#,
    ),
    (
        "[slots]\nok = \"green\"\nwarning = \"yellow\"\n",
        3,
        r#"unknown slot "warning" (slots are text, dim, border,"#,
    ),
    (
        "[slots]\nbold-ok = {}\n",
        2,
        "old_revision, new_revision, info, badge, key, gauge, filter, mark)",
    ),
    (
        "name = \"x\"\nok = \"green\"\n",
        2,
        r#""ok" is a slot: put it under [slots]"#,
    ),
    (
        "name = \"x\"\ncolours = 1\n",
        2,
        r#"unknown key "colours" (a theme has name, inherits and [slots])"#,
    ),
    ("name = 3\n", 1, "name must be a string, not 3"),
    (
        "\ninherits = \"solarized\"\n",
        2,
        r#"inherits "solarized": not a built-in theme (use one of default, light, high-contrast, colour-blind)"#,
    ),
    (
        "slots = \"all\"\n",
        1,
        r#"slots must be a table ([slots]), not "all""#,
    ),
    ("[slots]\nok = { fg = \"green\"\n", 2, r#"not valid TOML: "#),
    (
        "[slots]\nok = \"green\"\nok = \"red\"\n",
        3,
        r#"not valid TOML: "#,
    ),
    ("name = \"x\"\n[slots\n", 2, "at: [slots"),
];

#[test]
fn invalid_themes_name_the_file_the_line_and_the_bad_value() {
    let file = "~/.config/herd/themes/x.toml";
    for (text, line, quote) in INVALID {
        let error = parse_err(text, file);
        let message = error.to_string();
        assert_eq!(error.line(), Some(*line), "{text:?}: {message}");
        assert!(
            message.starts_with(&format!("theme {file}, line {line}: ")),
            "{message}"
        );
        assert!(
            message.contains(quote),
            "{text:?}:\n  got  {message}\n  want {quote}"
        );
    }
}

#[test]
fn a_toml_syntax_error_quotes_the_line() {
    let message = parse_err("[slots]\nok = { fg = \"green\"\n", "t.toml").to_string();
    assert!(message.contains("at: ok = { fg = \"green\""), "{message}");
}
