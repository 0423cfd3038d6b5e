//! Cluster text on its way to the screen: every span of a line escaped by
//! `herd_core::model::display_text::escape`, the one escaping all views share.
//!
//! Screens build `Line`s from names, messages and YAML as they are, and pass them through
//! here where they are drawn (the table, the text views, the header and footer), so no screen
//! can forget to escape and every view escapes the same way. Escaping herd's own glyphs is a
//! no-op, so whole lines go through without sorting out which spans came from the cluster.

use std::borrow::Cow;

use ratatui::text::{Line, Span};

use herd_core::model::display_text;

/// `span` with its text escaped; untouched (no copy) when there is nothing to escape.
pub fn span(span: Span<'_>) -> Span<'_> {
    let Span { style, content } = span;
    let content = match content {
        Cow::Borrowed(s) => display_text::escape(s),
        Cow::Owned(s) => match display_text::escape(&s) {
            Cow::Borrowed(_) => Cow::Owned(s),
            Cow::Owned(escaped) => Cow::Owned(escaped),
        },
    };
    Span { style, content }
}

/// `line` with every span escaped; its style and alignment kept.
pub fn line(mut line: Line<'_>) -> Line<'_> {
    line.spans = line.spans.into_iter().map(span).collect();
    line
}

/// Every line escaped.
pub fn lines(lines: Vec<Line<'_>>) -> Vec<Line<'_>> {
    lines.into_iter().map(line).collect()
}

/// A plain string escaped into an owned string, for titles and flash text.
pub fn text(s: &str) -> String {
    display_text::escape(s).into_owned()
}
