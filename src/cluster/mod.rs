//! The IO edge: everything that turns Kubernetes API objects into herd's model.

pub mod connect;
pub mod convert;
pub mod convert_records;
pub mod fetch;
pub mod lean_pod;
pub mod list_stream;
pub mod metrics;
pub mod session;
pub mod watch;
