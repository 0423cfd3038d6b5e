//! Starts a simulator in-process on port 0 and gives the tests what a user would have: the
//! kubeconfig file it wrote, kube clients built from that file, and a `kubectl` runner.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use axum::http::{Method, Request};
use herd_sim::server::{self, READ_ONLY_CONTEXT, ServerOptions, SimHandle};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::Value;
use tempfile::TempDir;

/// How long a test waits for a condition before failing.
pub const DEADLINE: Duration = Duration::from_secs(30);

pub struct TestSim {
    pub handle: SimHandle,
    pub kubeconfig: PathBuf,
    _dir: TempDir,
}

/// An HTTP answer: status code and JSON body (Null when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub code: u16,
    pub body: Value,
    pub text: String,
}

impl TestSim {
    /// An empty cluster (only the system namespaces), short bookmark interval.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(edit: impl FnOnce(&mut ServerOptions)) -> Self {
        // Owner-only whatever the umask: the simulator refuses to write its kubeconfig into a
        // directory the group or everyone can write.
        let dir = herd_sim::private_file::fresh_private_dir("herd-test-").expect("temp dir");
        let kubeconfig = dir.path().join("kubeconfig");
        let mut options = ServerOptions {
            scenario: "empty".into(),
            kubeconfig: Some(kubeconfig.clone()),
            bookmark_interval: Duration::from_secs(1),
            ..ServerOptions::default()
        };
        edit(&mut options);
        let handle = server::start(options).await.expect("simulator starts");
        TestSim {
            handle,
            kubeconfig,
            _dir: dir,
        }
    }

    async fn config(&self, context: &str) -> Config {
        let file = Kubeconfig::read_from(&self.kubeconfig).expect("kubeconfig the server wrote");
        let options = KubeConfigOptions {
            context: Some(context.to_string()),
            ..Default::default()
        };
        Config::from_custom_kubeconfig(file, &options)
            .await
            .expect("kube config from file")
    }

    /// The admin client, exactly as kube-rs builds it from the kubeconfig file.
    pub async fn client(&self) -> Client {
        Client::try_from(self.config(server::CONTEXT).await).expect("client")
    }

    /// The admin client without kube's automatic retry of 429/503, to see raw answers.
    pub async fn client_without_retry(&self) -> Client {
        let mut config = self.config(server::CONTEXT).await;
        config.default_retry = false;
        Client::try_from(config).expect("client")
    }

    pub async fn read_only_client(&self) -> Client {
        Client::try_from(self.config(READ_ONLY_CONTEXT).await).expect("client")
    }

    /// A client presenting `token` (or none) instead of the real one.
    pub async fn client_with_token(&self, token: Option<&str>) -> Client {
        let mut config = self.config(server::CONTEXT).await;
        config.auth_info.token = token.map(|t| t.to_string().into());
        config.default_retry = false;
        Client::try_from(config).expect("client")
    }

    /// Runs kubectl against this simulator; `None` (with a notice) when kubectl is missing.
    pub async fn kubectl(&self, args: &[&str]) -> Output {
        tokio::process::Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .output()
            .await
            .expect("kubectl runs")
    }

    /// `POST /sim/faults` with `body`; returns the fault report.
    pub async fn faults(&self, body: Value) -> Value {
        let answer = raw(
            &self.client().await,
            Method::POST,
            "/sim/faults",
            Some("application/json"),
            body.to_string(),
        )
        .await;
        assert_eq!(answer.code, 200, "fault request failed: {}", answer.text);
        answer.body
    }

    pub async fn stats(&self) -> Value {
        raw(
            &self.client().await,
            Method::GET,
            "/sim/stats",
            None,
            String::new(),
        )
        .await
        .body
    }
}

/// Fails the test with what to install when kubectl cannot run. Where it was missing at build
/// time (and CI is not set) the kubectl tests are ignored instead: see build.rs.
pub fn require_kubectl() {
    let works = std::process::Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        works,
        "kubectl is not on PATH, and this test drives it: install kubectl \
         (.ci/run installs Debian's kubernetes-client)"
    );
}

/// One raw request through a kube client (its TLS and token), answer not interpreted.
pub async fn raw(
    client: &Client,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: String,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let request = request
        .body(kube::client::Body::from(body.into_bytes()))
        .expect("request");
    let response = client.send(request).await.expect("response");
    let code = response.status().as_u16();
    let bytes = response.into_body().collect_bytes().await.expect("body");
    let text = String::from_utf8_lossy(&bytes).to_string();
    Answer {
        code,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text,
    }
}

/// Polls `check` until it returns `Some`, failing the test after [`DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < give_up,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

pub fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "kubectl failed: {}{}",
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(output)
}

/// Table lines split into cells (kubectl pads columns with at least two spaces).
pub fn table(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The next data chunk of a streaming response body (a watch, a list), as it arrives; `None`
/// once the body has ended.
pub async fn next_chunk(body: &mut kube::client::Body) -> Option<Vec<u8>> {
    use axum::body::HttpBody;
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut *body).poll_frame(cx))
            .await?
            .expect("the body reads");
        if let Ok(data) = frame.into_data() {
            return Some(data.to_vec());
        }
    }
}
