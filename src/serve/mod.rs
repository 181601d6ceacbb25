//! The workshop page (`caseflow serve`): a local web server where participants move incentive
//! weights and rules of a chosen year, run, and see the main series of their variant beside
//! the baseline with p05-p95 bands, and a few case stories.
//!
//! - The page and its assets (vendored uPlot, `assets/workshop/`) are compiled in; the page
//!   asks only its own server for anything.
//! - A change is a question scenario (`variant`): base = the workshop's scenario, plus one
//!   dated entry from 1 January of the chosen year, loaded and validated by the scenario
//!   loader; a bad value is answered 422 with the loader's message.
//! - Runs are scaled down (inflow and staff times `scale`, counts divided by it again) so an
//!   answer comes within about two seconds on two cores; the page says so.
//! - Results are cached by (scenario text, seeds, scale); work goes through a bounded queue:
//!   one computation at a time, eight waiting, anyone beyond told 503 "busy, retry in N s"
//!   with `Retry-After`.
//! - Hostile requests get a 4xx: bodies over [`MAX_BODY`] (413, at once when the declared
//!   length says so), a run asked in anything but JSON (415), unknown keys or controls (422),
//!   static paths outside the compiled-in list (404), more seeds than [`variant::MAX_SEEDS`]
//!   (422), a body not sent within [`BODY_TIMEOUT`] (408).
//! - Slow or idle clients cannot hold the server: a connection that has not sent a whole
//!   request head within [`HEADER_TIMEOUT`] (idle keep-alive included) is closed, at most
//!   [`MAX_CONNECTIONS`] are open at once (the rest wait to be accepted) and at most
//!   [`MAX_CONNECTIONS_PER_PEER`] from one address (the rest are closed at once). `axum::serve`
//!   has no such limits, so connections are served with hyper's own builder (`serve_until`).
//! - A run holds its place in the queue and the computation slot until it has finished, even
//!   if its client has gone: leaving does not let anyone jump the queue.

pub mod variant;

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::batch::{Batch, Runner, ScenarioRuns};
use crate::output::{CRATE_VERSION, GIT_REVISION, sha256_hex};
use crate::record::series_defs;
use crate::scenario::{self, Scenario};
use crate::story::{self, StoryRequest};
use variant::{VariantRequest, load_variant, question_text, scaled};

/// Seeds per answer unless a request asks otherwise.
pub const DEFAULT_SEEDS: u64 = 4;
/// Inflow and staff are multiplied by this in the workshop's runs.
pub const DEFAULT_SCALE: f64 = 0.1;
/// Largest request body accepted (a request is a year and at most twenty changes).
pub const MAX_BODY: usize = 16 * 1024;
/// Requests allowed to wait for the one computation slot; beyond them, 503.
pub const QUEUE: usize = 8;
/// Requests checked at once (each loads the scenario: a few milliseconds); beyond them, 503.
pub const CHECKS: usize = 8;
/// Results kept in the cache (each a few tens of kilobytes).
pub const CACHE_ENTRIES: usize = 64;
/// Seconds a connection has to send a whole request head (and an idle keep-alive connection
/// to start the next one) before it is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Seconds a request has to send its body once its head is in; then 408.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections open at once: a class of 40 with their browsers' few connections each, well
/// under the 256 open files a laptop may allow a process. Beyond it, new ones wait to be
/// accepted (the slow ones are closed within [`HEADER_TIMEOUT`]).
pub const MAX_CONNECTIONS: usize = 160;
/// Connections open at once from one address; beyond it, new ones from that address are
/// closed at once. A browser opens at most six, but a classroom behind one router shares an
/// address, so this leaves room for most of a class while one client alone cannot take more
/// than two fifths of [`MAX_CONNECTIONS`].
pub const MAX_CONNECTIONS_PER_PEER: usize = 64;
/// Case stories shown with each answer.
const STORIES: usize = 3;
/// The master seed of every workshop run (the same seeds for baseline and variant: common
/// random numbers, so a difference is the change's, not the draws').
const MASTER_SEED: u64 = 1;

/// The series the page shows, in its order.
pub const MAIN_SERIES: &[&str] = &[
    "trial.acquitted_public",
    "trial.convicted",
    "jury.acquittal_rate",
    "trial.returned_supplementary",
    "procurator.sent_to_court",
    "procurator.closed_nonrehabilitative",
    "reconciliation.pretrial",
    "detention.detained",
    "prison.population",
    "appeal.sentences_overturned",
];

const PAGE_HTML: &str = include_str!("../../assets/workshop/page.html");
const PAGE_JS: &str = include_str!("../../assets/workshop/workshop.js");
const PAGE_CSS: &str = include_str!("../../assets/workshop/workshop.css");
const UPLOT_JS: &str = include_str!("../../assets/vendor/uplot/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("../../assets/vendor/uplot/uPlot.min.css");

/// Only the page's own server, inline styles, the compiled-in scripts.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/// How to serve.
#[derive(Clone, Debug)]
pub struct Config {
    pub scenario: PathBuf,
    pub host: String,
    pub port: u16,
    pub seeds: u64,
    pub scale: f64,
}

/// Why the server cannot start.
#[derive(Debug)]
pub struct ServeError(pub String);

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServeError {}

/// A computed answer: the comparison as JSON.
type Answer = Arc<Value>;

/// A small cache, oldest out first.
#[derive(Default)]
struct Cache {
    map: BTreeMap<String, Answer>,
    order: VecDeque<String>,
}

impl Cache {
    fn get(&self, key: &str) -> Option<Answer> {
        self.map.get(key).cloned()
    }

    fn put(&mut self, key: String, value: Answer) {
        if self.map.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > CACHE_ENTRIES {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
}

struct Shared {
    base_path: PathBuf,
    /// The baseline as loaded (unscaled): questions are built on it.
    base: Scenario,
    seeds: u64,
    scale: f64,
    runner: Runner,
    cache: Mutex<Cache>,
    /// Baseline runs by seeds.
    baselines: Mutex<BTreeMap<u64, Arc<ScenarioRuns>>>,
    /// Permits to wait for the computation slot (try_acquire: none left is 503). Owned
    /// permits: a run holds its permits until it ends, whether or not its client waits.
    queue: Arc<Semaphore>,
    /// The one computation slot.
    work: Arc<Semaphore>,
    /// Checks of requests (a scenario load each) running at once; none left is 503 too.
    checks: Arc<Semaphore>,
    /// Seconds the last computations took (a moving average), for "retry in N s".
    seconds: Mutex<f64>,
    controls: Value,
}

/// A server ready to listen.
pub struct Server {
    shared: Arc<Shared>,
    host: String,
    port: u16,
}

/// A server running on a background thread (for tests and embedding).
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Server {
    /// Loads and checks the scenario and the settings.
    ///
    /// # Errors
    /// A scenario that does not load (the loader's message), a bad scale or seed count, worker
    /// threads that cannot start.
    pub fn new(config: &Config) -> Result<Server, ServeError> {
        if !(config.scale > 0.0 && config.scale <= 1.0) {
            return Err(ServeError(format!("--scale must be in (0, 1], not {}", config.scale)));
        }
        if config.seeds == 0 || config.seeds > variant::MAX_SEEDS {
            return Err(ServeError(format!("--seeds must be from 1 to {}, not {}", variant::MAX_SEEDS, config.seeds)));
        }
        use std::net::ToSocketAddrs;
        if (config.host.as_str(), config.port).to_socket_addrs().map_or(true, |mut a| a.next().is_none()) {
            return Err(ServeError(format!(
                "--host {}: not an address to listen on (use 127.0.0.1, or 0.0.0.0 for a LAN)",
                config.host
            )));
        }
        let base = scenario::load_path(&config.scenario).map_err(|e| ServeError(e.to_string()))?;
        let base_path = std::fs::canonicalize(&config.scenario)
            .map_err(|e| ServeError(format!("{}: {e}", config.scenario.display())))?;
        let runner = Runner::new(0).map_err(|e| ServeError(e.to_string()))?;
        let controls = variant::controls_json(&base);
        let shared = Shared {
            base_path,
            base,
            seeds: config.seeds,
            scale: config.scale,
            runner,
            cache: Mutex::new(Cache::default()),
            baselines: Mutex::new(BTreeMap::new()),
            queue: Arc::new(Semaphore::new(QUEUE)),
            work: Arc::new(Semaphore::new(1)),
            checks: Arc::new(Semaphore::new(CHECKS)),
            seconds: Mutex::new(1.0),
            controls,
        };
        Ok(Server { shared: Arc::new(shared), host: config.host.clone(), port: config.port })
    }

    fn router(&self) -> Router {
        Router::new()
            .route("/", get(index))
            .route("/static/{*path}", get(static_file))
            .route("/api/setup", get(setup))
            .route("/api/run", post(run))
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(self.shared.clone())
    }

    fn bind(&self) -> std::io::Result<std::net::TcpListener> {
        let listener = std::net::TcpListener::bind((self.host.as_str(), self.port))?;
        listener.set_nonblocking(true)?;
        Ok(listener)
    }

    /// Serves until Ctrl-C; `on_ready` is told the address once listening.
    ///
    /// # Errors
    /// When the address cannot be bound or the runtime cannot start.
    pub fn run(self, on_ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
        let listener =
            self.bind().map_err(|e| ServeError(format!("cannot listen on {}:{}: {e}", self.host, self.port)))?;
        let addr = listener.local_addr().map_err(|e| ServeError(e.to_string()))?;
        let rt = runtime()?;
        let app = self.router();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| ServeError(e.to_string()))?;
            on_ready(addr);
            serve_until(listener, app, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
            Ok(())
        })
    }

    /// Serves on a background thread until [`Running::stop`] (or drop).
    ///
    /// # Errors
    /// When the address cannot be bound or the runtime cannot start.
    pub fn start(self) -> Result<Running, ServeError> {
        let listener =
            self.bind().map_err(|e| ServeError(format!("cannot listen on {}:{}: {e}", self.host, self.port)))?;
        let addr = listener.local_addr().map_err(|e| ServeError(e.to_string()))?;
        let rt = runtime()?;
        let app = self.router();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                serve_until(listener, app, async {
                    let _ = rx.await;
                })
                .await;
            });
        });
        Ok(Running { addr, stop: Some(tx), thread: Some(thread) })
    }
}

/// Open connections by peer address.
type Connections = BTreeMap<IpAddr, usize>;

/// A connection's place in [`Connections`], given back when it closes.
struct PeerSlot {
    connections: Arc<Mutex<Connections>>,
    peer: IpAddr,
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        if let Ok(mut c) = self.connections.lock()
            && let Some(n) = c.get_mut(&self.peer)
        {
            *n -= 1;
            if *n == 0 {
                c.remove(&self.peer);
            }
        }
    }
}

/// A connection's socket with its places (among all connections and among its peer's). The
/// places are given back the moment the server closes its side of the socket (`poll_shutdown`)
/// or drops it, before the peer can see the close: a client that saw its connection end may
/// open another at once. (Given back when the connection's task ended, a prompt reconnect at
/// the per-peer limit raced that task and could be refused.)
struct HeldStream {
    // Declared before `stream`, so dropped before it: the places are free before the close.
    places: Option<(tokio::sync::OwnedSemaphorePermit, PeerSlot)>,
    stream: tokio::net::TcpStream,
}

impl tokio::io::AsyncRead for HeldStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for HeldStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        this.places = None;
        std::pin::Pin::new(&mut this.stream).poll_shutdown(cx)
    }
}

/// Takes a place for a connection from `peer`, unless it has [`MAX_CONNECTIONS_PER_PEER`].
fn take_peer_slot(connections: &Arc<Mutex<Connections>>, peer: IpAddr) -> Option<PeerSlot> {
    let mut c = connections.lock().ok()?;
    let n = c.entry(peer).or_insert(0);
    if *n >= MAX_CONNECTIONS_PER_PEER {
        return None;
    }
    *n += 1;
    Some(PeerSlot { connections: connections.clone(), peer })
}

/// Accepts and serves connections until `shutdown`, then lets open ones finish (for at most
/// [`HEADER_TIMEOUT`]). Each connection is HTTP/1.1 with a deadline for its request heads
/// ([`HEADER_TIMEOUT`]); at most [`MAX_CONNECTIONS`] at once, [`MAX_CONNECTIONS_PER_PEER`]
/// from one address.
async fn serve_until(listener: tokio::net::TcpListener, app: Router, shutdown: impl std::future::Future<Output = ()>) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;

    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let peers = Arc::new(Mutex::new(Connections::default()));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(peer_slot) = take_peer_slot(&peers, peer.ip()) else {
            drop(stream);
            continue;
        };
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
        let held = HeldStream { places: Some((slot, peer_slot)), stream };
        let connection =
            graceful.watch(http.serve_connection(TokioIo::new(held), TowerToHyperService::new(app.clone())));
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    let _ = tokio::time::timeout(HEADER_TIMEOUT, graceful.shutdown()).await;
}

fn runtime() -> Result<tokio::runtime::Runtime, ServeError> {
    // Two threads answer requests; the simulations run on the batch runner's own threads.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServeError(format!("cannot start the server's runtime: {e}")))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such page")
}

async fn index() -> Response {
    let mut r = PAGE_HTML.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The compiled-in files, by name; any other path (`..` included) is 404.
async fn static_file(axum::extract::Path(path): axum::extract::Path<String>) -> Response {
    let (body, kind) = match path.as_str() {
        "uPlot.iife.min.js" => (UPLOT_JS, "text/javascript; charset=utf-8"),
        "uPlot.min.css" => (UPLOT_CSS, "text/css; charset=utf-8"),
        "workshop.js" => (PAGE_JS, "text/javascript; charset=utf-8"),
        "workshop.css" => (PAGE_CSS, "text/css; charset=utf-8"),
        _ => return error(StatusCode::NOT_FOUND, "no such file"),
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

async fn setup(State(shared): State<Arc<Shared>>) -> Response {
    let s = &shared.base;
    axum::Json(json!({
        "scenario": s.name,
        "description": s.description,
        "scale": shared.scale,
        "seeds": shared.seeds,
        "max_seeds": variant::MAX_SEEDS,
        "version": CRATE_VERSION,
        "git_revision": GIT_REVISION,
        "setup": shared.controls,
    }))
    .into_response()
}

/// Whether a request's Content-Type is JSON (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

async fn run(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    // JSON only: a page elsewhere cannot post to this server without the browser asking it
    // first (a JSON post is not a "simple" cross-origin request).
    if !is_json(request.headers()) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the request as application/json");
    }
    // A declared length over the limit is refused before any of the body is read.
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return error(StatusCode::PAYLOAD_TOO_LARGE, format!("a request is at most {MAX_BODY} bytes"));
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, Bytes::from_request(request, &())).await {
        Ok(Ok(body)) => body,
        Ok(Err(rejection)) => return rejection.into_response(),
        Err(_) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                format!("the request body did not arrive within {} s", BODY_TIMEOUT.as_secs()),
            );
        }
    };
    let request: VariantRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let status = if e.is_data() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::BAD_REQUEST };
            return error(status, format!("bad request: {e}"));
        }
    };
    // Validation is quick (a scenario load): done before the queue, a few at a time. Each
    // permit goes with the work it stands for, so a client that leaves frees it only when
    // that work is done.
    let Ok(checking) = shared.checks.clone().try_acquire_owned() else {
        return busy(&shared);
    };
    let checked = {
        let shared = shared.clone();
        tokio::task::spawn_blocking(move || {
            let _checking = checking;
            prepare(&shared, &request)
        })
        .await
    };
    let job = match checked {
        Ok(Ok(job)) => job,
        Ok(Err(invalid)) => {
            let status = StatusCode::from_u16(invalid.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            return error(status, invalid.message);
        }
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "the check failed"),
    };
    if let Some(answer) = cached(&shared, &job.key) {
        return answer_response(&answer, true);
    }
    let Ok(waiting) = shared.queue.clone().try_acquire_owned() else {
        return busy(&shared);
    };
    let Ok(working) = shared.work.clone().acquire_owned().await else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
    };
    if let Some(answer) = cached(&shared, &job.key) {
        return answer_response(&answer, true);
    }
    let worker = shared.clone();
    let computed = tokio::task::spawn_blocking(move || {
        let _permits = (waiting, working);
        compute(&worker, job)
    })
    .await;
    match computed {
        Ok(answer) => answer_response(&answer, false),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "the run failed"),
    }
}

fn cached(shared: &Shared, key: &str) -> Option<Answer> {
    shared.cache.lock().ok().and_then(|c| c.get(key))
}

fn answer_response(answer: &Answer, from_cache: bool) -> Response {
    let mut v = (**answer).clone();
    v["cached"] = json!(from_cache);
    axum::Json(v).into_response()
}

fn busy(shared: &Shared) -> Response {
    let per = shared.seconds.lock().map(|s| *s).unwrap_or(1.0);
    let retry = ((per * (QUEUE as f64 + 1.0)).ceil() as u64).clamp(1, 60);
    let mut r = error(StatusCode::SERVICE_UNAVAILABLE, format!("busy, retry in {retry} s"));
    if let Ok(v) = HeaderValue::from_str(&retry.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// A checked request, ready to run.
struct Job {
    key: String,
    year: i32,
    seeds: u64,
    question: String,
    variant: Scenario,
}

fn prepare(shared: &Shared, request: &VariantRequest) -> Result<Job, variant::Invalid> {
    let (question, seeds) = question_text(&shared.base, &shared.base_path, request, shared.seeds)?;
    let variant = load_variant(&question)?;
    let key = format!("{}:{seeds}:{}", sha256_hex(variant.source_text.as_bytes()), shared.scale);
    Ok(Job { key, year: request.year, seeds, question, variant })
}

/// The main series of some runs: per series, per year, mean p05 p95, counts scaled back.
fn series_json(runs: &ScenarioRuns, scale: f64, units: &BTreeMap<String, &'static str>) -> Value {
    let summary = runs.summary();
    let mut out = serde_json::Map::new();
    for name in MAIN_SERIES {
        let unit = units.get(*name).copied().unwrap_or("");
        let back = if unit == "share" { 1.0 } else { 1.0 / scale };
        let rows: Vec<&crate::summary::SummaryRow> = summary.iter().filter(|r| r.series == *name).collect();
        let pick = |f: &dyn Fn(&crate::summary::SummaryRow) -> f64| -> Vec<Value> {
            rows.iter()
                .map(|r| {
                    let x = f(r) * back;
                    if x.is_finite() { json!(x) } else { Value::Null }
                })
                .collect()
        };
        out.insert(
            name.to_string(),
            json!({"unit": unit, "mean": pick(&|r| r.mean), "p05": pick(&|r| r.p05), "p95": pick(&|r| r.p95)}),
        );
    }
    Value::Object(out)
}

fn compute(shared: &Shared, job: Job) -> Answer {
    let started = Instant::now();
    let batch = Batch::new(MASTER_SEED, 0..job.seeds);
    let base_runs = {
        let have = shared.baselines.lock().ok().and_then(|b| b.get(&job.seeds).cloned());
        match have {
            Some(r) => r,
            None => {
                let r = Arc::new(shared.runner.run(&scaled(&shared.base, shared.scale), &batch));
                if let Ok(mut b) = shared.baselines.lock() {
                    b.insert(job.seeds, r.clone());
                }
                r
            }
        }
    };
    let small = scaled(&job.variant, shared.scale);
    let variant_runs = shared.runner.run(&small, &batch);
    let units: BTreeMap<String, &'static str> =
        series_defs(&job.variant).into_iter().map(|d| (d.name, d.unit)).collect();
    // A few stories of cases registered in the year of the change, in the variant.
    let stories = story::tell(
        &small,
        &StoryRequest { cases: STORIES, seed: MASTER_SEED, kind: None, year: Some(job.year), tried: true },
    )
    .map(|st| story::to_text(&small, &st))
    .unwrap_or_else(|e| format!("no stories: {e}"));
    let elapsed = started.elapsed().as_secs_f64();
    if let Ok(mut s) = shared.seconds.lock() {
        *s = 0.5 * *s + 0.5 * elapsed;
    }
    let answer = Arc::new(json!({
        "years": variant_runs.years,
        "series_order": MAIN_SERIES,
        "baseline": series_json(&base_runs, shared.scale, &units),
        "variant": series_json(&variant_runs, shared.scale, &units),
        "stories": stories,
        "question": job.question,
        "made": {
            "scenario": shared.base.name,
            "scenario_sha256": sha256_hex(job.variant.source_text.as_bytes()),
            "master_seed": MASTER_SEED,
            "run_indices": format!("0..{}", job.seeds),
            "seeds": job.seeds,
            "scale": shared.scale,
            "scaled_note": format!(
                "scaled-down runs: inflow and staff x{}, counts multiplied back by {}",
                shared.scale,
                1.0 / shared.scale
            ),
            "version": CRATE_VERSION,
            "git_revision": GIT_REVISION,
            "seconds": elapsed,
        },
    }));
    if let Ok(mut c) = shared.cache.lock() {
        c.put(job.key, answer.clone());
    }
    answer
}
