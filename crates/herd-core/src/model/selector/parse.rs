//! The label-selector lexer and parser, token for token as apimachinery's `labels.Parser`.

use std::fmt;

use super::{Requirement, SelectorOp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Ident(&'a str),
    Bang,
    Eq,
    DoubleEq,
    NotEq,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
    End,
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Token::Ident(s) => return write!(f, "{s:?}"),
            Token::End => return f.write_str("end of input"),
            Token::Bang => "!",
            Token::Eq => "=",
            Token::DoubleEq => "==",
            Token::NotEq => "!=",
            Token::Gt => ">",
            Token::Lt => "<",
            Token::Open => "(",
            Token::Close => ")",
            Token::Comma => ",",
        };
        write!(f, "\"{text}\"")
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<')
}

struct Lexer<'a> {
    rest: &'a str,
    peeked: Option<Token<'a>>,
}

impl<'a> Lexer<'a> {
    fn peek(&mut self) -> Token<'a> {
        match self.peeked {
            Some(tok) => tok,
            None => {
                let tok = self.scan();
                self.peeked = Some(tok);
                tok
            }
        }
    }

    fn next(&mut self) -> Token<'a> {
        self.peeked.take().unwrap_or_else(|| self.scan())
    }

    fn scan(&mut self) -> Token<'a> {
        self.rest = self.rest.trim_start_matches(is_space);
        let mut chars = self.rest.chars();
        let Some(c) = chars.next() else {
            return Token::End;
        };
        // Two-character operators win over their one-character prefixes, as in apimachinery.
        let (tok, len) = match (c, chars.next()) {
            ('!', Some('=')) => (Token::NotEq, 2),
            ('=', Some('=')) => (Token::DoubleEq, 2),
            ('!', _) => (Token::Bang, 1),
            ('=', _) => (Token::Eq, 1),
            ('>', _) => (Token::Gt, 1),
            ('<', _) => (Token::Lt, 1),
            ('(', _) => (Token::Open, 1),
            (')', _) => (Token::Close, 1),
            (',', _) => (Token::Comma, 1),
            _ => {
                let end = self
                    .rest
                    .find(|c| is_space(c) || is_special(c))
                    .unwrap_or(self.rest.len());
                (Token::Ident(&self.rest[..end]), end)
            }
        };
        self.rest = &self.rest[len..];
        tok
    }
}

/// Parses `text` into requirements sorted by key; the error is the problem text only.
pub(super) fn label_requirements(text: &str) -> Result<Vec<Requirement>, String> {
    let mut lex = Lexer {
        rest: text,
        peeked: None,
    };
    let mut requirements = Vec::new();
    if lex.peek() == Token::End {
        return Ok(requirements);
    }
    loop {
        requirements.push(requirement(&mut lex)?);
        match lex.next() {
            Token::End => break,
            Token::Comma => match lex.peek() {
                Token::Ident(_) | Token::Bang => {}
                other => return Err(format!("expected a requirement after \",\", found {other}")),
            },
            other => return Err(format!("expected \",\" or end of input, found {other}")),
        }
    }
    requirements.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(requirements)
}

/// A key in key position; `in` and `notin` are keywords there, so they cannot be keys.
fn key<'a>(tok: Token<'a>, context: &str) -> Result<&'a str, String> {
    match tok {
        Token::Ident(word @ ("in" | "notin")) => Err(format!(
            "expected a label key{context}, found the keyword {word:?}"
        )),
        Token::Ident(key) => Ok(key),
        other => Err(format!("expected a label key{context}, found {other}")),
    }
}

fn requirement(lex: &mut Lexer<'_>) -> Result<Requirement, String> {
    let (key, op) = match lex.next() {
        Token::Bang => (key(lex.next(), " after \"!\"")?, SelectorOp::DoesNotExist),
        tok @ Token::Ident(_) => {
            let key = key(tok, "")?;
            let op = match lex.peek() {
                Token::End | Token::Comma => SelectorOp::Exists,
                _ => operator(lex.next(), key)?,
            };
            (key, op)
        }
        other => return Err(format!("expected a label key or \"!\", found {other}")),
    };
    let values = match op {
        SelectorOp::Exists | SelectorOp::DoesNotExist => Vec::new(),
        SelectorOp::In | SelectorOp::NotIn => value_list(lex, op)?,
        _ => vec![exact_value(lex, key)?],
    };
    Requirement::checked(key, op, values)
}

fn operator(tok: Token<'_>, key: &str) -> Result<SelectorOp, String> {
    Ok(match tok {
        Token::Eq | Token::DoubleEq => SelectorOp::Equals,
        Token::NotEq => SelectorOp::NotEquals,
        Token::Gt => SelectorOp::Gt,
        Token::Lt => SelectorOp::Lt,
        Token::Ident("in") => SelectorOp::In,
        Token::Ident("notin") => SelectorOp::NotIn,
        other => {
            return Err(format!(
                "expected an operator (=, ==, !=, in, notin, >, <) after {key:?}, found {other}"
            ));
        }
    })
}

/// The value after `=`, `!=`, `>` or `<`; nothing before `,` or the end means the empty value.
fn exact_value(lex: &mut Lexer<'_>, key: &str) -> Result<String, String> {
    match lex.peek() {
        Token::End | Token::Comma => Ok(String::new()),
        Token::Ident(value) => {
            lex.next();
            Ok(value.to_owned())
        }
        other => Err(format!("expected a value for {key:?}, found {other}")),
    }
}

/// `( v1, v2 )`; an empty slot (as in `()` or `(a,)`) is the empty value, as in apimachinery.
fn value_list(lex: &mut Lexer<'_>, op: SelectorOp) -> Result<Vec<String>, String> {
    let word = if op == SelectorOp::In { "in" } else { "notin" };
    match lex.next() {
        Token::Open => {}
        other => return Err(format!("expected \"(\" after {word}, found {other}")),
    }
    let mut values = Vec::new();
    loop {
        let value = match lex.peek() {
            Token::Ident(value) => {
                lex.next();
                value
            }
            _ => "",
        };
        values.push(value.to_owned());
        match lex.next() {
            Token::Comma => {}
            Token::Close => return Ok(values),
            Token::End => return Err("missing closing \")\"".to_owned()),
            other => {
                return Err(format!(
                    "expected \",\" or \")\" in the value list, found {other}"
                ));
            }
        }
    }
}
