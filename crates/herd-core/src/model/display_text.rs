//! Text from the cluster made safe to put on a terminal: the one escaping every view uses.
//!
//! Names, messages, reasons and YAML come from whoever can write to the API server. Drawn
//! raw, an ESC starts a terminal control sequence, a newline or tab breaks a table row, and a
//! bidirectional control (U+202E RIGHT-TO-LEFT OVERRIDE) makes a name read backwards from
//! where it stands. kubectl escapes what it prints from the cluster the same way
//! (`staging/src/k8s.io/cli-runtime/pkg/printers/terminal.go`: ESC becomes `^[`, CR `\r`);
//! herd extends that to every control character:
//!
//! | characters | shown as |
//! |---|---|
//! | tab, newline, carriage return | `\t`, `\n`, `\r` |
//! | other C0 controls U+0000–U+001F | caret notation: `^@` … `^_` (ESC is `^[`, as kubectl) |
//! | DEL U+007F | `^?` |
//! | C1 controls U+0080–U+009F | `<U+0085>` |
//! | bidi controls U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069 | `<U+202E>` |
//!
//! Everything else, including other non-ASCII text, passes through unchanged. The escapes
//! are printable ASCII, so what is drawn is exactly as wide as it reads.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach the terminal as itself.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Unicode's explicit directional formatting characters (UAX #9, "Explicit Directional
/// Formatting Characters", plus the implicit marks LRM, RLM and ALM).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// `text` with every control and bidi character escaped as the module table says; borrowed
/// when there is nothing to escape, as for almost every name.
pub fn escape(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(needs_escape) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\u{7F}' => out.push_str("^?"),
        c if u32::from(c) < 0x20 => {
            out.push('^');
            // 0x00..0x1F map onto '@'..'_' (0x40..0x5F): ESC (0x1B) is '['.
            out.push(char::from(c as u8 + 0x40));
        }
        c if needs_escape(c) => {
            // Writing to a String cannot fail.
            let _ = write!(out, "<U+{:04X}>", u32::from(c));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_untouched() {
        for s in ["", "falco", "node-exporter-7f9c5", "ünïcödé ✓ 日本"] {
            assert!(matches!(escape(s), Cow::Borrowed(b) if b == s));
        }
    }

    #[test]
    fn controls_are_escaped_readably() {
        assert_eq!(escape("a\x1b[31mred"), "a^[[31mred");
        assert_eq!(escape("a\tb\nc\rd"), "a\\tb\\nc\\rd");
        assert_eq!(escape("\0\x07\x7f"), "^@^G^?");
        assert_eq!(escape("x\u{85}y\u{9b}z"), "x<U+0085>y<U+009B>z");
        assert_eq!(escape("evil\u{202E}txt.exe"), "evil<U+202E>txt.exe");
        for c in [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ] {
            let out = escape(&c.to_string()).into_owned();
            assert_eq!(out, format!("<U+{:04X}>", u32::from(c)));
        }
    }

    #[test]
    fn the_output_holds_no_control_or_bidi_character() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let out = escape(&all);
        assert!(!out.chars().any(needs_escape));
        // Zero-width joiners and the like are text, not controls: left alone.
        assert_eq!(escape("a\u{200D}b"), "a\u{200D}b");
    }
}
