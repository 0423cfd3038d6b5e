//! An object's `metadata.resourceVersion`, kept so a write can be made conditional on the
//! object being unchanged since herd read it (a delete precondition, a patch that must not
//! clobber a person's pause).

use std::fmt;
use std::sync::Arc;

/// Opaque to clients by the API's contract, but a decimal number on every API server backed by
/// etcd: kept as a number when it is one, so 150,000 pods carry no extra string for it, and
/// as text otherwise. Only ever compared for equality and sent back; never ordered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceVersion {
    Number(u64),
    Text(Arc<str>),
}

impl ResourceVersion {
    /// `None` for an empty or absent version (an object not yet stored).
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() {
            return None;
        }
        // "007" would print back as "7": keep anything that does not round-trip as text.
        match text.parse::<u64>() {
            Ok(n) if n.to_string() == text => Some(ResourceVersion::Number(n)),
            _ => Some(ResourceVersion::Text(Arc::from(text))),
        }
    }
}

impl fmt::Display for ResourceVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceVersion::Number(n) => write!(f, "{n}"),
            ResourceVersion::Text(t) => f.write_str(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_print_back_exactly_as_the_server_sent_them() {
        for text in ["48213", "0", "007", "abc-1", "18446744073709551616"] {
            let v = ResourceVersion::parse(text).expect("a version");
            assert_eq!(v.to_string(), text);
        }
        assert_eq!(
            ResourceVersion::parse("48213"),
            Some(ResourceVersion::Number(48213))
        );
        assert_eq!(ResourceVersion::parse(""), None);
    }
}
