//! Helpers shared by the integration tests: a simulator on a free port, clients and fixtures.
#![allow(dead_code)]

pub mod objects;
pub mod server;
pub mod status;
pub mod watch;
