//! herd's pure core: the slim model of a fleet, the one placement predicate, and the analyses
//! that read it. No IO of any kind lives here: no network, no files, no clock (`now` is always
//! passed in), no async runtime. Every crate above builds on these types.

pub mod analysis;
pub mod engine;
pub mod model;
pub mod targeting;
