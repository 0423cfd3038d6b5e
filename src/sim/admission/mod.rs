//! What the API server does to an object before storing it: defaulting, validation and
//! the generation bookkeeping of each kind.

pub mod daemonset;
