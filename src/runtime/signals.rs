//! SIGTERM and SIGHUP (a closed terminal, `kill`) end herd the way `q` does: the loop returns,
//! the terminal is restored, and what herd made for this run (the `--sim` kubeconfig
//! directory) is removed, instead of the process dying where it stands.

use tokio::signal::unix::{Signal, SignalKind, signal};

pub struct Signals {
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    pub fn listen() -> std::io::Result<Signals> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for either signal.
    pub async fn arrived(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.hangup.recv() => {}
        }
    }
}
