//! The TEA core of the TUI: `State`, the one `Action` enum in, the one `Effect` enum out, and
//! `update`, which maps one to the other. Nothing here touches the network, files or the clock;
//! `runtime` (the only `select!` loop) is the edge that does.

pub mod action;
pub mod derived;
pub mod effect;
pub mod filter;
pub mod rows;
pub mod runtime;
pub mod selection;
pub mod state;
pub mod update;
pub mod view;

pub use action::Action;
pub use effect::Effect;
pub use state::State;
pub use update::update;
