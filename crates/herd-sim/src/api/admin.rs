//! The simulator's own admin endpoints, `/sim/faults` and `/sim/stats` (shapes documented in
//! `faults` and `counters`): admin token only, never subject to injected faults, not counted.

use axum::http::{HeaderMap, Method};
use axum::response::Response;

use super::auth::Role;
use super::faults::FaultRequest;
use super::route::Target;
use super::status::ApiError;
use super::{ApiState, json_ok};

/// Answers one admin request.
pub fn serve(
    state: &ApiState,
    target: &Target,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    if state.tokens.authenticate(headers)? != Role::Admin {
        return Err(ApiError::new(
            403,
            "Forbidden",
            "the simulator's /sim endpoints need the admin token",
        ));
    }
    match (target, method) {
        (Target::Faults, &Method::GET) => json_ok(&state.faults.report()),
        (Target::Faults, &Method::POST) => {
            let request: FaultRequest = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("invalid fault request: {e}")))?;
            let (drop_watches, compact) = state.faults.apply(&request)?;
            if compact {
                state.world.lock().store.compact();
                state.faults.note_compaction();
            }
            if drop_watches {
                state.faults.drop_watches();
            }
            json_ok(&state.faults.report())
        }
        (Target::Stats, &Method::GET) => json_ok(&state.counters.report()),
        (Target::Stats, &Method::DELETE) => {
            state.counters.reset();
            json_ok(&state.counters.report())
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}
