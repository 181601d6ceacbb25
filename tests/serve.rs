//! The workshop server (`caseflow serve`, issue 23), started in this process on loopback with
//! port 0 and a tiny scenario: the page and its compiled-in assets; a change answered with
//! baseline and variant; bad and hostile requests answered 4xx, the server answering
//! normally afterwards; a bounded load test of 30 concurrent participants, each request
//! answered or told to retry, with the process's memory flat.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use caseflow::serve::{Config, Running, Server};

/// The tests of this file run one at a time, each holding this lock: the load test measures the
/// memory of this process, to which another test's server would add, and the slow-client test
/// times the server's deadlines, which a load test beside it stretches. Run side by side on 2
/// cores, both failed once (memory 22 MB to 191 MB; a 65th connection kept past 3 s).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Waits for the other tests of this file to finish (a test that failed still frees it).
fn alone() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn start(seeds: u64) -> Running {
    let scenario = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml");
    let config = Config { scenario, host: "127.0.0.1".into(), port: 0, seeds, scale: 1.0 };
    let server = Server::new(&config).expect("the server starts");
    let running = server.start().expect("listens");
    assert!(running.addr.ip().is_loopback());
    running
}

struct Reply {
    status: u16,
    head: String,
    body: String,
}

/// One HTTP/1.1 request on its own connection; `raw_path` goes on the request line as is.
fn request(addr: SocketAddr, method: &str, raw_path: &str, body: &[u8]) -> Reply {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "{method} {raw_path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // The server may answer (413) and close before it has read a large body.
    let _ = s.write_all(head.as_bytes()).and_then(|_| s.write_all(body));
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Reply { status, head: head.to_string(), body: body.to_string() }
}

fn post(addr: SocketAddr, body: &str) -> Reply {
    request(addr, "POST", "/api/run", body.as_bytes())
}

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
fn the_page_and_a_change_are_served() {
    let _alone = alone();
    let server = start(2);
    let addr = server.addr;
    let page = request(addr, "GET", "/", b"");
    assert_eq!(page.status, 200, "{}", page.head);
    assert!(page.head.to_ascii_lowercase().contains("content-security-policy: default-src 'none'"));
    assert!(!page.body.contains("http://") && !page.body.contains("https://"), "the page names another site");
    for asset in ["/static/uPlot.iife.min.js", "/static/uPlot.min.css", "/static/workshop.js", "/static/workshop.css"] {
        assert_eq!(request(addr, "GET", asset, b"").status, 200, "{asset}");
    }
    let setup = json(&request(addr, "GET", "/api/setup", b""));
    assert_eq!(setup["setup"]["years"], serde_json::json!([2011, 2012]));
    assert!(setup["setup"]["controls"].as_array().unwrap().len() >= 15);

    let started = Instant::now();
    let base = post(addr, r#"{"year": 2011, "changes": {}}"#);
    assert_eq!(base.status, 200, "{}", base.body);
    let base = json(&base);
    let changed = post(
        addr,
        r#"{"year": 2011, "changes": {"incentives.trial_judge.reversals": 0.0, "incentives.monitoring": false}}"#,
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    let changed = json(&changed);
    eprintln!("two answers in {:.2} s", started.elapsed().as_secs_f64());
    assert_eq!(base["baseline"], base["variant"], "no change: the variant is the baseline (same seeds)");
    assert_ne!(changed["variant"], changed["baseline"], "a change changes the variant");
    assert_eq!(changed["baseline"], base["baseline"]);
    let made = &changed["made"];
    assert_eq!((made["seeds"].as_u64(), made["master_seed"].as_u64()), (Some(2), Some(1)));
    assert!(made["git_revision"].is_string() && made["scaled_note"].is_string());
    assert!(changed["question"].as_str().unwrap().contains("trial_judge = { reversals = 0.0 }"));
    assert!(changed["stories"].as_str().unwrap().starts_with("Case stories:"));
    // The same change again comes from the cache.
    let again = json(&post(
        addr,
        r#"{"year": 2011, "changes": {"incentives.monitoring": false, "incentives.trial_judge.reversals": 0}}"#,
    ));
    assert_eq!(again["cached"], true);
    assert_eq!(again["variant"], changed["variant"]);
    server.stop();
}

#[test]
fn bad_and_hostile_requests_get_a_4xx_and_the_server_goes_on() {
    let _alone = alone();
    let server = start(2);
    let addr = server.addr;
    let huge = format!(r#"{{"year": 2011, "changes": {{}}, "pad": "{}"}}"#, "x".repeat(200_000));
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        ("POST", "/api/run", huge, 413, ""),
        ("POST", "/api/run", "{not json".into(), 400, "bad request"),
        ("POST", "/api/run", r#"{"year": 2011, "changes": {}, "admin": true}"#.into(), 422, "unknown field `admin`"),
        (
            "POST",
            "/api/run",
            r#"{"year": 2011, "changes": {"incentives.trial_judge.reversal": 1}}"#.into(),
            422,
            "did you mean \\\"incentives.trial_judge.reversals\\\"",
        ),
        (
            "POST",
            "/api/run",
            r#"{"year": 2011, "changes": {}, "seeds": 5000}"#.into(),
            422,
            "seeds must be from 1 to 16, not 5000",
        ),
        ("POST", "/api/run", r#"{"year": 2011, "changes": {}, "seeds": 1e9}"#.into(), 422, "bad request"),
        ("POST", "/api/run", r#"{"year": 1900, "changes": {}}"#.into(), 422, "the year must be from 2011 to 2012"),
        (
            "POST",
            "/api/run",
            r#"{"year": 2011, "changes": {"rules.jury_jurisdiction.grave": 1.5}}"#.into(),
            422,
            "expected a probability (a number in [0, 1]), found 1.5",
        ),
        (
            "POST",
            "/api/run",
            r#"{"year": 2011, "changes": {"incentives.monitoring": 3}}"#.into(),
            422,
            "expected true or false",
        ),
        (
            "POST",
            "/api/run",
            r#"{"year": 2011, "changes": {"rules.defence_independent": "yes"}}"#.into(),
            422,
            "expected true or false",
        ),
        ("GET", "/static/../../../../etc/passwd", String::new(), 404, ""),
        ("GET", "/static/..%2f..%2fCargo.toml", String::new(), 404, ""),
        ("GET", "/static/%2e%2e/%2e%2e/src/main.rs", String::new(), 404, ""),
        ("GET", "/../Cargo.toml", String::new(), 404, ""),
        ("GET", "/api/run", String::new(), 405, ""),
    ];
    for (method, path, body, status, says) in &cases {
        let r = request(addr, method, path, body.as_bytes());
        assert_eq!(r.status, *status, "{method} {path} {}: {} {}", &body[..body.len().min(80)], r.head, r.body);
        assert!(r.body.contains(says), "{method} {path}: expected {says:?} in {}", r.body);
        assert!(!r.body.contains("root:"), "a file leaked");
    }
    // Still serving.
    assert_eq!(request(addr, "GET", "/api/setup", b"").status, 200);
    assert_eq!(post(addr, r#"{"year": 2012, "changes": {"incentives.procurator.acquittals": 1.0}}"#).status, 200);
    server.stop();
}

/// What one participant saw: answers, "busy" replies (each followed by a wait and a retry),
/// and requests still refused after every retry.
#[derive(Default, Clone, Copy)]
struct Seen {
    answered: usize,
    busy: usize,
    gave_up: usize,
}

#[test]
fn thirty_participants_at_once_get_answers_or_a_retry_and_memory_stays_flat() {
    let _alone = alone();
    let server = start(2);
    let addr = server.addr;
    const PARTICIPANTS: usize = 30;
    const REQUESTS: usize = 3;
    const RETRIES: usize = 3;
    // One round: every participant sends REQUESTS changes, all at the same time as the others;
    // a "busy" reply is retried after its Retry-After (capped at a second here, to keep the
    // test short), at most RETRIES times. The changes differ between participants (cache
    // misses) and repeat from round to round with the same `salt` (cache hits).
    let round = |salt: usize| -> (Seen, Duration) {
        let started = Instant::now();
        let handles: Vec<_> = (0..PARTICIPANTS)
            .map(|p| {
                std::thread::spawn(move || {
                    let mut seen = Seen::default();
                    for k in 0..REQUESTS {
                        let value = 1.0 + ((p * REQUESTS + k) % 40) as f64 * 0.05 + (salt % 2) as f64 * 0.01;
                        let body =
                            format!(r#"{{"year": 2011, "changes": {{"incentives.trial_judge.reversals": {value}}}}}"#);
                        let mut tries = 0;
                        loop {
                            let reply = post(addr, &body);
                            match reply.status {
                                200 => {
                                    assert!(json(&reply)["variant"].is_object());
                                    seen.answered += 1;
                                    break;
                                }
                                503 => {
                                    assert!(reply.body.contains("busy, retry in "), "{}", reply.body);
                                    let head = reply.head.to_ascii_lowercase();
                                    let after = head
                                        .lines()
                                        .find_map(|l| l.strip_prefix("retry-after: "))
                                        .and_then(|v| v.trim().parse::<u64>().ok())
                                        .unwrap_or_else(|| panic!("no Retry-After in {head}"));
                                    assert!((1..=60).contains(&after));
                                    seen.busy += 1;
                                    tries += 1;
                                    if tries > RETRIES {
                                        seen.gave_up += 1;
                                        break;
                                    }
                                    std::thread::sleep(Duration::from_millis(200 * after.min(5)));
                                }
                                other => panic!("participant {p}: status {other}: {} {}", reply.head, reply.body),
                            }
                        }
                    }
                    seen
                })
            })
            .collect();
        let mut total = Seen::default();
        for h in handles {
            let s = h.join().expect("a participant's thread");
            total.answered += s.answered;
            total.busy += s.busy;
            total.gave_up += s.gave_up;
        }
        assert_eq!(total.answered + total.gave_up, PARTICIPANTS * REQUESTS, "every request answered or refused");
        (total, started.elapsed())
    };
    // Two rounds to warm up (threads, allocator arenas, the cache filling), then measure.
    for salt in 0..2 {
        let (s, took) = round(salt);
        eprintln!(
            "warm-up round {salt}: {} answered, {} busy replies, {} gave up; {:.2} s",
            s.answered,
            s.busy,
            s.gave_up,
            took.as_secs_f64()
        );
    }
    let warm = rss_kib();
    let mut answered = 0;
    for salt in 2..8 {
        let (s, took) = round(salt);
        eprintln!(
            "round {salt}: {} answered, {} busy replies, {} gave up; {:.2} s",
            s.answered,
            s.busy,
            s.gave_up,
            took.as_secs_f64()
        );
        assert!(took < Duration::from_secs(60), "a round took {took:?}");
        answered += s.answered;
    }
    let after = rss_kib();
    eprintln!("RSS after warm-up {warm} KiB, after 6 more rounds {after} KiB");
    assert!(answered > PARTICIPANTS * REQUESTS, "too few answers: {answered}");
    assert!(after < warm + 16 * 1024, "RSS grew from {warm} KiB to {after} KiB");
    assert_eq!(request(addr, "GET", "/api/setup", b"").status, 200, "still serving");
    server.stop();
}

#[test]
fn bad_settings_are_exit_2_before_anything_listens() {
    let _alone = alone();
    let tiny = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml");
    let tiny = tiny.to_str().expect("utf-8 path");
    let cases: [(&[&str], &str); 4] = [
        (&["serve", "no/such/scenario.toml", "--port", "0"], "no/such/scenario.toml"),
        (&["serve", tiny, "--port", "0", "--scale", "2"], "--scale must be in (0, 1], not 2"),
        (&["serve", tiny, "--port", "0", "--seeds", "5000"], "--seeds must be from 1 to 16, not 5000"),
        (&["serve", tiny, "--port", "0", "--host", "no host here"], "--host no host here: not an address to listen on"),
    ];
    for (args, says) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_caseflow")).args(args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: expected {says:?} in {stderr}");
        assert!(!stderr.contains("panicked"));
    }
}

/// A client at its per-peer limit whose connection the server closed may open another at once:
/// the server gives the place back before its side closes. With 63 slow heads held, 30
/// requests in a row on the 64th place, each on a new connection opened the moment the last
/// one closed, are all answered (a place given back only when the connection's task ended
/// raced the reconnect, and the server dropped it unanswered).
#[test]
fn a_place_given_back_on_close_is_free_for_the_next_connection() {
    use caseflow::serve::MAX_CONNECTIONS_PER_PEER;
    let _alone = alone();
    let server = start(2);
    let addr = server.addr;
    let held: Vec<TcpStream> = (0..MAX_CONNECTIONS_PER_PEER - 1)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(b"GET /api/setup HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
            s
        })
        .collect();
    for i in 0..30 {
        let mut s = connect(addr);
        s.write_all(b"GET /api/setup HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let (closed, reply) = closed_within(&mut s, Duration::from_secs(5));
        assert!(closed && reply.starts_with("HTTP/1.1 200"), "request {i} on the last place: {reply:?}");
    }
    drop(held);
    server.stop();
}

/// Reads until the peer closes or `within` passes: true when it closed (EOF or reset), with
/// whatever it sent.
fn closed_within(s: &mut TcpStream, within: Duration) -> (bool, String) {
    s.set_read_timeout(Some(within)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                break false;
            }
            Err(_) => break true,
        }
    };
    (closed, String::from_utf8_lossy(&got).into_owned())
}

fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connects")
}

#[test]
fn slow_and_idle_clients_are_cut_off_and_cannot_hold_the_server() {
    let _alone = alone();
    use caseflow::serve::{BODY_TIMEOUT, HEADER_TIMEOUT, MAX_BODY, MAX_CONNECTIONS_PER_PEER};
    let server = start(2);
    let addr = server.addr;

    // A run asked in anything but JSON is 415; a declared body over the limit is 413 before
    // any of it is sent (no "100 Continue" invitation either).
    let run = br#"{"year": 2012, "changes": {}}"#;
    for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
        let mut s = connect(addr);
        let kind = if content_type.is_empty() { String::new() } else { format!("Content-Type: {content_type}\r\n") };
        let head = format!(
            "POST /api/run HTTP/1.1\r\nHost: x\r\n{kind}Content-Length: {}\r\nConnection: close\r\n\r\n",
            run.len()
        );
        s.write_all(head.as_bytes()).and_then(|_| s.write_all(run)).unwrap();
        let (_, reply) = closed_within(&mut s, Duration::from_secs(30));
        assert!(reply.starts_with("HTTP/1.1 415"), "{content_type:?}: {reply}");
    }
    let mut s = connect(addr);
    let head = format!(
        "POST /api/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY * 1000
    );
    s.write_all(head.as_bytes()).unwrap();
    let (_, reply) = closed_within(&mut s, Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 413"), "a declared 16 MB body: {reply}");

    // Slow clients, all at once: heads never finished, a connection that sends nothing, and
    // a body that stops short.
    let opened = Instant::now();
    let partial = |addr| {
        let mut s = connect(addr);
        s.write_all(b"GET /api/setup HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
        s
    };
    let mut slow: Vec<TcpStream> = (0..MAX_CONNECTIONS_PER_PEER - 2).map(|_| partial(addr)).collect();
    let mut idle = connect(addr);
    let mut short_body = connect(addr);
    short_body
        .write_all(b"POST /api/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"year\":")
        .unwrap();
    // The address now holds all it may: one more connection is closed at once.
    let mut one_more = partial(addr);
    let (closed, _) = closed_within(&mut one_more, Duration::from_secs(3));
    assert!(closed, "a connection beyond {MAX_CONNECTIONS_PER_PEER} from one address was kept");
    // The others are held, then closed by the server within the deadlines.
    let (closed, _) = closed_within(&mut slow[0], Duration::from_millis(500));
    assert!(!closed, "a slow head was closed before its deadline");
    let limit = HEADER_TIMEOUT.max(BODY_TIMEOUT) + Duration::from_secs(10);
    let left = |s: &mut TcpStream| closed_within(s, limit.saturating_sub(opened.elapsed()));
    let (closed, reply) = left(&mut short_body);
    assert!(closed && reply.starts_with("HTTP/1.1 408"), "a body that stopped short: {reply}");
    assert!(left(&mut idle).0, "an idle connection was never closed");
    for (i, s) in slow.iter_mut().enumerate() {
        assert!(left(s).0, "slow head {i} was never closed");
    }
    eprintln!("every slow client closed after {:.1} s", opened.elapsed().as_secs_f64());
    // And the server answers as before.
    assert_eq!(request(addr, "GET", "/api/setup", b"").status, 200);
    assert_eq!(post(addr, r#"{"year": 2012, "changes": {"incentives.procurator.acquittals": 2.0}}"#).status, 200);
    server.stop();
}
