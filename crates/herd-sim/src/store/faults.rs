//! Armed write failures: the store answers the next matching writes with a chosen error.
//!
//! This exists so tests can show that the simulator's controllers survive a failed write the
//! way upstream's do (count it, requeue, converge). Nothing in the simulator arms it; it is
//! empty unless a test calls `Store::fail_next_writes`. Unlike the HTTP fault injection in
//! `api::faults`, it fails writes made by the controllers themselves, not only API requests.

use crate::kinds::Kind;
use crate::store::StoreError;

/// Which store write a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOp {
    Create,
    /// `update`, and `modify` when its edit changed the object.
    Update,
    Delete,
}

/// One armed fault: the next `times` writes of `op` on objects of `kind` fail with `error`.
#[derive(Debug, Clone)]
pub struct WriteFault {
    pub kind: Kind,
    pub op: WriteOp,
    pub times: u32,
    pub error: StoreError,
}

/// The faults still armed, and how many writes they have failed so far.
#[derive(Debug, Default)]
pub(super) struct WriteFaults {
    armed: Vec<WriteFault>,
    injected: u64,
}

impl WriteFaults {
    pub(super) fn arm(&mut self, fault: WriteFault) {
        if fault.times > 0 {
            self.armed.push(fault);
        }
    }

    /// The error for this write, if a fault is armed for it; uses up one of its times.
    pub(super) fn take(&mut self, kind: Kind, op: WriteOp) -> Option<StoreError> {
        if self.armed.is_empty() {
            return None;
        }
        let index = self
            .armed
            .iter()
            .position(|f| f.kind == kind && f.op == op)?;
        let fault = self.armed.get_mut(index)?;
        fault.times -= 1;
        let error = fault.error.clone();
        if fault.times == 0 {
            self.armed.remove(index);
        }
        self.injected += 1;
        Some(error)
    }

    pub(super) fn injected(&self) -> u64 {
        self.injected
    }
}
