//! The one predicate "should DaemonSet d run on node n, and if not, why" (DAEMONSET_SEMANTICS.md §1).
