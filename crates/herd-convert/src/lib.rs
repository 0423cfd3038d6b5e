//! The one place Kubernetes API types become herd's model: k8s-openapi objects (and the lean
//! wire form of a Pod) in, `herd_core` records out. No IO: the cluster client and the simulator
//! both call these same functions, so they agree on what an object means.

pub mod convert;
pub mod lean_pod;
pub mod records;
pub mod targeting_doc;
