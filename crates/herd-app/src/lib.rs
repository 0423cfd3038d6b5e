//! The TEA core of the TUI: `State`, the one `Action` enum in, the one `Effect` enum out, and
//! `update`, which maps one to the other. Nothing here touches the network, files, the clock or
//! the terminal, and nothing here knows how a screen is drawn: the `herd` crate's runtime (the
//! only `select!` loop) carries out effects, and its `ui` renders `State`.

pub mod action;
pub mod completion;
pub mod derived;
pub mod effect;
pub mod filter;
pub mod geometry;
pub mod namespaces;
pub mod rows;
pub mod selection;
pub mod state;
pub mod update;
pub mod view;

pub use action::Action;
pub use effect::Effect;
pub use state::State;
pub use update::update;
