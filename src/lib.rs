//! herd, the program: the command line, the TUI's runtime loop and terminal, its rendering and
//! key mapping, `herd check`, `herd rollout`, `herd target` and `herd engine`. The layers below live in their own crates, and the crate graph
//! is the architecture (docs/ARCHITECTURE.md):
//!
//! - `herd_core`: the slim model, placement and analysis; pure.
//! - `herd_convert`: Kubernetes API objects into the model; pure.
//! - `herd_cluster`: the kube-rs client, watchers, metrics and writes.
//! - `herd_sim`: the bundled simulated cluster, served as the real Kubernetes API.
//! - `herd_app`: the TUI's state, actions, effects and `update`; pure.

pub mod audit;
pub mod check;
pub mod engine;
pub mod rollout;
pub mod runtime;
pub mod target;
pub mod theme_files;
pub mod tui;
pub mod ui;
