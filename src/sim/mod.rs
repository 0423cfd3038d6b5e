//! The bundled simulated cluster: a deterministic world served as the Kubernetes REST API.
