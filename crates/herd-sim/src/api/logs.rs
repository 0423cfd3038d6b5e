//! `GET /api/v1/namespaces/{ns}/pods/{name}/log`, as the kubelet answers it through the API
//! server: the container's current run (or, with `previous`, the one before), picked from the
//! pod's status as upstream's `validateContainerLogStatus` does
//! (kubernetes/pkg/kubelet/kubelet_pods.go), with `tailLines`, `sinceSeconds`, `sinceTime`,
//! `timestamps`, `limitBytes` and `follow`. The lines are made on demand by [`crate::logs`].

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::Response;
use futures::stream;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use super::ApiState;
use super::params::{Params, flag, number};
use super::status::ApiError;
use crate::kinds::Object;
use crate::kubelet::timing::hash_str;
use crate::logs::{self, End, Line, Run};

/// How often a followed log looks for new lines (real time).
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

/// What a log request reads: one run of one container.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Source {
    image: String,
    container: String,
    seed: u64,
    run: Run,
}

/// Handles a log request.
pub fn serve(
    state: &ApiState,
    namespace: &str,
    name: &str,
    params: &Params,
) -> Result<Response, ApiError> {
    let options = Options::of(params, name)?;
    let (source, now) = {
        let world = state.world.lock();
        let pod = world
            .store
            .get::<Pod>(namespace, name)
            .ok_or_else(|| ApiError::not_found(Pod::SIM_KIND.info(), name))?;
        unreachable_kubelet(&world, pod, options.container.as_deref())?;
        (
            source_of(pod, options.container.as_deref(), options.previous)?,
            world.now(),
        )
    };
    let from = options.from(&source.run, now);
    let mut lines = logs::lines(
        &source.image,
        &source.container,
        source.seed,
        &source.run,
        from,
        now,
    );
    if let Some(n) = options.tail {
        lines = logs::tail(lines, n);
    }
    let mut budget = options.limit_bytes;
    let first = render(&lines, options.timestamps, &mut budget);
    let following = options.follow && source.run.ended.is_none() && budget != Some(0);
    let body = if following {
        let key = (namespace.to_string(), name.to_string());
        Body::from_stream(follow(
            state.world.clone(),
            key,
            source,
            now,
            options,
            budget,
            first,
        ))
    } else {
        Body::from(first)
    };
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(body)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if following {
        response.extensions_mut().insert(super::Unbuffered);
    }
    Ok(response)
}

/// The request's log options.
#[derive(Debug, Clone)]
struct Options {
    container: Option<String>,
    previous: bool,
    follow: bool,
    timestamps: bool,
    tail: Option<usize>,
    since_seconds: Option<i64>,
    since_time: Option<Timestamp>,
    limit_bytes: Option<usize>,
}

impl Options {
    fn of(p: &Params, pod: &str) -> Result<Options, ApiError> {
        // Upstream's `ValidatePodLogOptions`, refused as `errors.NewInvalid` (a 422).
        let invalid = |field: &str, body: String| {
            ApiError::new(
                422,
                "Invalid",
                format!("PodLogOptions {pod:?} is invalid: {field}: {body}"),
            )
        };
        let flag = |v: &Option<String>| flag(v.as_deref());
        let number = |name: &str, v: &Option<String>| number::<i64>(name, v.as_deref());
        let positive = |name: &str, v: Option<i64>| match v {
            Some(n) if n < 1 => Err(invalid(
                name,
                format!("Invalid value: {n}: must be greater than 0"),
            )),
            _ => Ok(v),
        };
        let tail = number("tailLines", &p.tail_lines)?;
        if let Some(n) = tail.filter(|n| *n < 0) {
            return Err(invalid(
                "tailLines",
                format!("Invalid value: {n}: must be greater than or equal to 0"),
            ));
        }
        let since_seconds = positive("sinceSeconds", number("sinceSeconds", &p.since_seconds)?)?;
        let limit_bytes = positive("limitBytes", number("limitBytes", &p.limit_bytes)?)?;
        let since_time = match p.since_time.as_deref().filter(|t| !t.is_empty()) {
            None => None,
            Some(text) => Some(text.parse::<Timestamp>().map_err(|e| {
                ApiError::bad_request(format!("sinceTime: parsing time {text:?}: {e}"))
            })?),
        };
        if since_seconds.is_some() && since_time.is_some() {
            return Err(invalid(
                "sinceSeconds",
                "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified".into(),
            ));
        }
        Ok(Options {
            container: p.container.clone().filter(|c| !c.is_empty()),
            previous: flag(&p.previous),
            follow: flag(&p.follow),
            timestamps: flag(&p.timestamps),
            tail: tail.map(|n| n as usize),
            since_seconds,
            since_time,
            limit_bytes: limit_bytes.map(|n| n as usize),
        })
    }

    /// Where the lines start: the run's start, or later when asked.
    fn from(&self, run: &Run, now: Timestamp) -> Timestamp {
        let since = match (self.since_seconds, self.since_time) {
            (Some(s), _) => now.checked_sub(SignedDuration::from_secs(s)).ok(),
            (None, Some(t)) => Some(t),
            (None, None) => None,
        };
        since.map_or(run.started, |s| s.max(run.started))
    }
}

/// A pod whose node's kubelet is stopped: the API server cannot reach the kubelet to read the
/// log, and answers with its dial error as a 500 of no particular reason — what upstream's
/// `ErrorToAPIStatus` makes of an error that is not a Status (the log REST's connection to the
/// kubelet: kubernetes/pkg/registry/core/pod/rest/log.go).
fn unreachable_kubelet(
    world: &crate::World,
    pod: &Pod,
    container: Option<&str>,
) -> Result<(), ApiError> {
    let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
        return Ok(());
    };
    let Some(node) = world
        .store
        .get::<k8s_openapi::api::core::v1::Node>("", node_name)
    else {
        return Ok(());
    };
    if !crate::kubelet::kubelet_stopped(node) {
        return Ok(());
    }
    let ip = node
        .status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
        .map_or(node_name, |a| a.address.as_str());
    let container = container
        .or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.containers.first())
                .map(|c| c.name.as_str())
        })
        .unwrap_or_default();
    let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    Err(ApiError::new(
        500,
        "",
        format!(
            "Get \"https://{ip}:10250/containerLogs/{ns}/{name}/{container}\": dial tcp {ip}:10250: connect: connection refused"
        ),
    ))
}

/// The container `wanted` (or the pod's only one) and the run to read, as the kubelet picks
/// it; the kubelet's refusals are 400s in its words.
fn source_of(pod: &Pod, wanted: Option<&str>, previous: bool) -> Result<Source, ApiError> {
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let containers = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or(&[]);
    let container = match (wanted, containers) {
        (Some(c), _) => containers.iter().find(|x| x.name == c).ok_or_else(|| {
            ApiError::bad_request(format!("container {c} is not valid for pod {name}"))
        })?,
        (None, [only]) => only,
        (None, many) => {
            let names: Vec<&str> = many.iter().map(|c| c.name.as_str()).collect();
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                names.join(" ")
            )));
        }
    };
    let cname = container.name.as_str();
    let waiting_to_start = |reason: &str| {
        ApiError::bad_request(format!(
            "container {cname:?} in pod {name:?} is waiting to start: {reason}"
        ))
    };
    let status = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|all| all.iter().find(|s| s.name == cname))
        .ok_or_else(|| waiting_to_start("ContainerCreating"))?;
    let run = pick_run(status, previous).map_err(|why| match why {
        Pick::NoPrevious => ApiError::bad_request(format!(
            "previous terminated container {cname:?} in pod {name:?} not found"
        )),
        Pick::Waiting(reason) => waiting_to_start(match reason.as_str() {
            "ErrImagePull" => "image can't be pulled",
            "ImagePullBackOff" => "trying and failing to pull image",
            other => other,
        }),
    })?;
    let uid = pod.metadata.uid.as_deref().unwrap_or(name);
    let seed = hash_str(&format!("{uid}/{cname}/{}", run.started.as_millisecond()));
    Ok(Source {
        image: container.image.clone().unwrap_or_default(),
        container: cname.to_string(),
        seed,
        run,
    })
}

enum Pick {
    NoPrevious,
    Waiting(String),
}

/// The kubelet's choice: `previous` reads the last terminated run; otherwise the running one,
/// the terminated one, or (a container waiting to restart) the last terminated one.
fn pick_run(status: &ContainerStatus, previous: bool) -> Result<Run, Pick> {
    let state = status.state.clone().unwrap_or_default();
    let last = status
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref());
    let ended = |t: &k8s_openapi::api::core::v1::ContainerStateTerminated| {
        let at = t
            .finished_at
            .as_ref()
            .map_or(Timestamp::UNIX_EPOCH, |f| f.0);
        Run {
            started: t.started_at.as_ref().map_or_else(
                || at.checked_sub(SignedDuration::from_secs(5)).unwrap_or(at),
                |s| s.0,
            ),
            ended: Some(End {
                at,
                reason: t.reason.clone().unwrap_or_else(|| "Error".into()),
                exit_code: t.exit_code,
            }),
        }
    };
    if previous {
        return last.map(ended).ok_or(Pick::NoPrevious);
    }
    if let Some(running) = &state.running {
        let started = running
            .started_at
            .as_ref()
            .map_or(Timestamp::UNIX_EPOCH, |s| s.0);
        return Ok(Run {
            started,
            ended: None,
        });
    }
    if let Some(t) = state.terminated.as_ref().or(last) {
        return Ok(ended(t));
    }
    let reason = state
        .waiting
        .and_then(|w| w.reason)
        .unwrap_or_else(|| "ContainerCreating".into());
    Err(Pick::Waiting(reason))
}

/// The lines as the kubelet writes them: each ended by a newline, after its RFC 3339 time
/// with `timestamps`; cut at `budget` bytes when there is one (and the budget spent).
fn render(lines: &[Line], timestamps: bool, budget: &mut Option<usize>) -> Bytes {
    let mut out = String::new();
    for l in lines {
        if timestamps {
            out.push_str(&format!("{} ", l.at));
        }
        out.push_str(&l.text);
        out.push('\n');
    }
    let mut bytes = out.into_bytes();
    if let Some(left) = budget {
        bytes.truncate(*left);
        *left -= bytes.len();
    }
    Bytes::from(bytes)
}

/// Where a followed log stands.
struct Following {
    world: crate::world::SharedWorld,
    key: (String, String),
    source: Source,
    shown_until: Timestamp,
    options: Options,
    budget: Option<usize>,
    first: Option<Bytes>,
    done: bool,
}

/// `follow`: what there is, then new lines as the simulated clock moves, until the run ends,
/// the pod goes, or `limitBytes` is spent.
fn follow(
    world: crate::world::SharedWorld,
    key: (String, String),
    source: Source,
    now: Timestamp,
    options: Options,
    budget: Option<usize>,
    first: Bytes,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    let following = Following {
        world,
        key,
        source,
        shown_until: now,
        options,
        budget,
        first: Some(first),
        done: false,
    };
    stream::unfold(following, |mut f| async move {
        if let Some(first) = f.first.take() {
            return Some((Ok(first), f));
        }
        loop {
            if f.done {
                return None;
            }
            tokio::time::sleep(FOLLOW_EVERY).await;
            let (now, current) = {
                let world = f.world.lock();
                let pod = world
                    .store
                    .get::<Pod>(&f.key.0, &f.key.1)
                    .map(|p| p.as_ref().clone());
                let current =
                    pod.and_then(|p| source_of(&p, Some(&f.source.container), false).ok());
                (world.now(), current)
            };
            // The run ended (or the pod went): its last lines, then the end.
            let run = match current {
                Some(c) if c.run.started == f.source.run.started => c.run,
                Some(_) | None => {
                    f.done = true;
                    Run {
                        started: f.source.run.started,
                        ended: None,
                    }
                }
            };
            if run.ended.is_some() {
                f.done = true;
            }
            let until = run.ended.as_ref().map_or(now, |e| e.at);
            let from = f
                .shown_until
                .checked_add(SignedDuration::from_millis(1))
                .unwrap_or(now);
            let s = &f.source;
            let lines = logs::lines(&s.image, &s.container, s.seed, &run, from, until);
            f.shown_until = until.max(f.shown_until);
            let chunk = render(&lines, f.options.timestamps, &mut f.budget);
            if f.budget == Some(0) {
                f.done = true;
            }
            if !chunk.is_empty() {
                return Some((Ok(chunk), f));
            }
        }
    })
}
