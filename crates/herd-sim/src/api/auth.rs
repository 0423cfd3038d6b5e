//! Bearer-token authentication: a random admin token and a random read-only token.

use axum::http::{HeaderMap, header};

use super::status::ApiError;

/// The user names the two tokens authenticate as (they appear in 403 messages).
pub const ADMIN_USER: &str = "herd-sim-admin";
pub const READ_ONLY_USER: &str = "herd-sim-readonly";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    ReadOnly,
}

impl Role {
    pub fn user(self) -> &'static str {
        match self {
            Role::Admin => ADMIN_USER,
            Role::ReadOnly => READ_ONLY_USER,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("could not read random bytes for the API tokens: {0}")]
pub struct TokenError(String);

/// The server's two secrets. Never logged: `Debug` hides them.
#[derive(Clone)]
pub struct Tokens {
    pub admin: String,
    pub read_only: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens { .. }")
    }
}

impl Tokens {
    /// Two fresh tokens of 256 random bits each, from the operating system's generator.
    pub fn generate() -> Result<Self, TokenError> {
        Ok(Tokens {
            admin: random_token()?,
            read_only: random_token()?,
        })
    }

    /// Who the request's `Authorization: Bearer` header authenticates, or 401.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Role, ApiError> {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        if constant_time_eq(presented.as_bytes(), self.admin.as_bytes()) {
            Ok(Role::Admin)
        } else if constant_time_eq(presented.as_bytes(), self.read_only.as_bytes()) {
            Ok(Role::ReadOnly)
        } else {
            Err(ApiError::unauthorized())
        }
    }
}

fn random_token() -> Result<String, TokenError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| TokenError(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares without an early exit, so response timing does not reveal a token prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
        h
    }

    #[test]
    fn tokens_are_distinct_and_roles_resolve() {
        let t = Tokens::generate().expect("tokens");
        assert_eq!(t.admin.len(), 64);
        assert_ne!(t.admin, t.read_only);
        assert_eq!(t.authenticate(&bearer(&t.admin)), Ok(Role::Admin));
        assert_eq!(t.authenticate(&bearer(&t.read_only)), Ok(Role::ReadOnly));
        assert_eq!(
            t.authenticate(&bearer("nope")).map_err(|e| e.code),
            Err(401)
        );
        assert_eq!(
            t.authenticate(&HeaderMap::new()).map_err(|e| e.code),
            Err(401)
        );
        assert!(!format!("{t:?}").contains(&t.admin));
    }
}
