//! The simulator's image conventions: a word in an image's tag picks how its container behaves.
//!
//! Matching is a case-insensitive substring of the tag (the part after the last `:` of the last
//! path segment, digest excluded): `pullerror` never pulls (ErrImagePull, then ImagePullBackOff
//! with backoff), `unready` runs but never turns Ready, `crashloop` exits with code 1 a few
//! seconds after each start and never turns Ready (CrashLoopBackOff), and `leak` grows its
//! memory until it passes the container's memory limit and is OOMKilled.

/// How a container built from an image behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Normal,
    PullError,
    Unready,
    CrashLoop,
    Leak,
}

impl Behaviour {
    pub fn of(image: &str) -> Behaviour {
        let tag = tag(image).to_ascii_lowercase();
        if tag.contains("pullerror") {
            Behaviour::PullError
        } else if tag.contains("crashloop") {
            Behaviour::CrashLoop
        } else if tag.contains("leak") {
            Behaviour::Leak
        } else if tag.contains("unready") {
            Behaviour::Unready
        } else {
            Behaviour::Normal
        }
    }

    /// Whether a started container of this kind passes its readiness check.
    pub fn turns_ready(self) -> bool {
        matches!(self, Behaviour::Normal | Behaviour::Leak)
    }
}

/// The tag of an image reference ("" when it has none).
pub fn tag(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_segment = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last_segment.split_once(':').map_or("", |(_, t)| t)
}

/// A stable, realistic-looking image digest for `image`.
pub fn image_id(image: &str) -> String {
    let h = super::timing::hash_str(image);
    let repo = image.split('@').next().unwrap_or(image);
    let repo = match repo.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => r,
        _ => repo,
    };
    format!(
        "{repo}@sha256:{:016x}{:016x}{:016x}{:016x}",
        h,
        h.rotate_left(16),
        h.rotate_left(32),
        h.rotate_left(48)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaviour_comes_from_the_tag_only() {
        assert_eq!(Behaviour::of("nginx:1.27"), Behaviour::Normal);
        assert_eq!(Behaviour::of("nginx"), Behaviour::Normal);
        assert_eq!(
            Behaviour::of("reg.io/team/app:v2-CrashLoop"),
            Behaviour::CrashLoop
        );
        assert_eq!(
            Behaviour::of("reg.io:5000/app:PullError"),
            Behaviour::PullError
        );
        assert_eq!(Behaviour::of("reg.io:5000/leak/app:v1"), Behaviour::Normal);
        assert_eq!(Behaviour::of("app:v1-leak@sha256:abc"), Behaviour::Leak);
        assert_eq!(Behaviour::of("app:unready"), Behaviour::Unready);
    }

    #[test]
    fn image_id_keeps_the_repository() {
        let id = image_id("reg.io:5000/app:v1");
        assert!(id.starts_with("reg.io:5000/app@sha256:"), "{id}");
        assert_eq!(id, image_id("reg.io:5000/app:v1"));
    }
}
