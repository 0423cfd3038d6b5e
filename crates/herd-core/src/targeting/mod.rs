//! Node-targeting edits, before they are made: a DaemonSet's nodeSelector, required node
//! affinity and tolerations ([`preview`]), a node's labels, taints and cordon ([`nodes`]),
//! checked with the API server's rules ([`validate`]), spelled as a person types them
//! ([`spelling`]), and the one-key fixes a coverage gap suggests ([`fix`]). Pure: the cluster
//! side lives in `herd_cluster::target`.

pub mod delta;
pub mod fix;
pub mod nodes;
pub mod preview;
pub mod rebase;
pub mod spelling;
pub mod stage;
pub mod validate;
pub mod vocabulary;

#[cfg(test)]
mod tests;
