//! Named, seeded starting worlds: `empty`, `demo`, and the scaled fleet.

use jiff::Timestamp;

use super::world::World;

#[derive(Debug, Clone)]
pub struct ScenarioOptions {
    /// `empty` or `demo`.
    pub name: String,
    pub seed: u64,
    /// Scale the fleet to this many nodes (the demo's pools, repeated).
    pub nodes: Option<usize>,
    /// Scale the fleet to this many DaemonSets.
    pub daemonsets: Option<usize>,
    /// The simulated clock's start.
    pub start: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("unknown scenario \"{0}\" (known: empty, demo)")]
    Unknown(String),
}

/// Builds the named scenario's world, settled: its pods already scheduled and running.
pub fn build(options: &ScenarioOptions) -> Result<World, ScenarioError> {
    match options.name.as_str() {
        "empty" | "demo" => Ok(World::new(options.seed, options.start)),
        other => Err(ScenarioError::Unknown(other.to_string())),
    }
}
