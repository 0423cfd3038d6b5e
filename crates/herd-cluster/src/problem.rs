//! Puts a failed API request into one sentence for a person to read: the HTTP status, the server's
//! own message and whether trying again can help. kube's own `Display` of an API error embeds the
//! `Debug` dump of the whole `Status`, which is unreadable on a status line or in a CI log.

use std::error::Error as StdError;
use std::fmt;

use kube::core::Status;
use kube::runtime::watcher;

/// The longest stretch of a server's message kept: an HTML error page from a proxy can be
/// kilobytes long and would bury everything else on the line.
const MESSAGE_CAP: usize = 300;

/// One failed request, described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The HTTP status the API server answered with; None when no answer came at all.
    pub code: Option<u16>,
    /// One line: "503 Service Unavailable: injected fault (503)", "could not reach the server:
    /// connection refused".
    pub text: String,
    /// The server refused these credentials (401) or this user (403): trying the same request
    /// again cannot succeed until someone changes the kubeconfig or the RBAC rules.
    pub refused: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Problem {
    /// The API server's answer: its status code and its own message.
    pub fn of_status(status: &Status) -> Problem {
        let code = status.code;
        let message = one_line(&status.message);
        let phrase = reason_phrase(code);
        let head = match phrase {
            Some(phrase) => format!("{code} {phrase}"),
            None if code == 0 => "an error status".to_string(),
            None => format!("HTTP {code}"),
        };
        // kube fills a non-JSON body in as the message; an empty or echoed phrase adds nothing.
        let text = if message.is_empty() || phrase.is_some_and(|p| p.eq_ignore_ascii_case(&message))
        {
            head
        } else {
            format!("{head}: {message}")
        };
        Problem {
            code: (code != 0).then_some(code),
            text,
            refused: matches!(code, 401 | 403),
        }
    }

    /// Any failure of a kube request.
    pub fn of_kube(error: &kube::Error) -> Problem {
        match error {
            kube::Error::Api(status) => Problem::of_status(status),
            kube::Error::HyperError(_) | kube::Error::Service(_) => {
                let chain = causes(error);
                let text = if unreachable(error) {
                    format!("could not reach the server: {chain}")
                } else {
                    format!("the request failed: {chain}")
                };
                Problem {
                    code: None,
                    text,
                    refused: false,
                }
            }
            // An exec plugin or token file that fails will fail the same way next time.
            kube::Error::Auth(_) => Problem {
                code: None,
                text: format!("could not authenticate: {}", causes(error)),
                refused: true,
            },
            other => Problem {
                code: None,
                text: one_line(&causes(other)),
                refused: false,
            },
        }
    }

    /// A watcher's failure: its list, its watch, or an error event inside the watch.
    pub fn of_watch(error: &watcher::Error) -> Problem {
        match error {
            watcher::Error::InitialListFailed(e)
            | watcher::Error::WatchStartFailed(e)
            | watcher::Error::WatchFailed(e) => Problem::of_kube(e),
            watcher::Error::WatchError(status) => Problem::of_status(status),
            watcher::Error::NoResourceVersion => Problem {
                code: None,
                text: "the list carried no resourceVersion to watch from".to_string(),
                refused: false,
            },
        }
    }
}

/// Whether `error` failed before any answer because nothing could be connected to.
fn unreachable(error: &kube::Error) -> bool {
    use std::io::ErrorKind;
    let mut source: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::AddrNotAvailable
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::NotFound
            );
        }
        let text = e.to_string();
        // hyper-util's connector says which stage failed only in its text.
        if text.contains("(Connect)") || text.contains("dns error") {
            return true;
        }
        source = e.source();
    }
    false
}

/// The causes of `error` below kube's own wrapper ("ServiceError: …"), joined with ": ", each
/// said once (hyper's errors repeat their source's text in their own), without the links
/// rustls appends.
fn causes(error: &kube::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = error.source();
    while let Some(e) = source {
        let text = one_line(&e.to_string());
        // kube's errors read "ServiceError: …" where they are wrapped in an io::Error (a body
        // that breaks off), and rustls ends some with a link to its manual: neither helps.
        let text = text.strip_prefix("ServiceError: ").unwrap_or(&text);
        let text = text.split(": https://").next().unwrap_or(text).to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    // The deepest cause says most ("Connection refused (os error 111)"); wrappers such as
    // "client error (Connect)" only say where it happened.
    parts.retain(|p| !p.starts_with("client error ("));
    if parts.is_empty() {
        one_line(&error.to_string())
    } else {
        parts.join(": ")
    }
}

/// `text` on one line, whitespace runs collapsed, at most [`MESSAGE_CAP`] characters.
fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(MESSAGE_CAP) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

/// The standard reason phrase of the codes an API server (or a proxy in front of it) answers.
fn reason_phrase(code: u16) -> Option<&'static str> {
    Some(match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, message: &str) -> Status {
        Status::failure(message, "Whatever").with_code(code)
    }

    #[test]
    fn a_status_reads_as_code_phrase_and_the_servers_message() {
        let p = Problem::of_status(&status(503, "injected fault (503)"));
        assert_eq!(p.text, "503 Service Unavailable: injected fault (503)");
        assert_eq!(p.code, Some(503));
        assert!(!p.refused);
        let p = Problem::of_status(&status(401, "Unauthorized"));
        assert_eq!(p.text, "401 Unauthorized");
        assert!(p.refused);
        let p = Problem::of_status(&status(403, "pods is forbidden: User \"x\" cannot list"));
        assert!(p.refused);
        assert!(
            p.text.starts_with("403 Forbidden: pods is forbidden"),
            "{p}"
        );
        assert_eq!(Problem::of_status(&status(599, "")).text, "HTTP 599");
    }

    #[test]
    fn a_long_or_multi_line_message_becomes_one_capped_line() {
        let html = format!("<html>\n<body>{}</body>\n</html>", "x".repeat(1000));
        let p = Problem::of_kube(&kube::Error::Api(status(502, &html).boxed()));
        assert!(!p.text.contains('\n'), "{p}");
        assert!(p.text.chars().count() < MESSAGE_CAP + 40, "{p}");
        assert!(
            p.text.starts_with("502 Bad Gateway: <html> <body>xxx"),
            "{p}"
        );
    }

    #[test]
    fn no_debug_dump_of_the_status() {
        let e = kube::Error::Api(status(500, "injected fault").boxed());
        let w = watcher::Error::InitialListFailed(e);
        let text = Problem::of_watch(&w).text;
        assert_eq!(text, "500 Internal Server Error: injected fault");
        assert!(!text.contains('{'), "{text}");
    }
}
