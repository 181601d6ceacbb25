//! The workshop server's queue holds against clients that leave (its own test binary, so
//! that the process's thread count is the server's alone): a run keeps its place in the queue
//! and the computation slot until it has finished, so clients that send a run and hang up at
//! once cannot start runs beside each other. Before this was so, forty such requests started
//! forty runs at once, one blocking thread each.

use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use caseflow::serve::{CHECKS, Config, Server};

fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|v| v.trim().parse().ok()).expect("Threads")
}

#[test]
fn clients_that_hang_up_cannot_start_runs_beside_each_other() {
    let scenario = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml");
    let config = Config { scenario, host: "127.0.0.1".into(), port: 0, seeds: 4, scale: 1.0 };
    let server = Server::new(&config).expect("the server starts").start().expect("listens");
    let addr = server.addr;
    let before = threads();
    // Forty different runs (cache misses), each sent on its own connection that is closed
    // 2 ms after the request is out (before the run starts), one after another.
    let started = Instant::now();
    let mut most = before;
    for i in 0..40 {
        let body = format!(
            r#"{{"year": 2011, "changes": {{"incentives.procurator.acquittals": {}}}}}"#,
            1.0 + i as f64 * 0.01
        );
        let head = format!(
            "POST /api/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connects");
        s.write_all(head.as_bytes()).and_then(|_| s.write_all(body.as_bytes())).expect("sends");
        std::thread::sleep(Duration::from_millis(2));
        drop(s);
        most = most.max(threads());
    }
    // Watch a little longer, while whatever was started runs.
    while started.elapsed() < Duration::from_secs(3) {
        most = most.max(threads());
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("threads: {before} before, at most {most} while 40 runs were sent and abandoned");
    // Blocking threads: at most CHECKS checks and one run at a time (tokio may keep an idle
    // thread or two from earlier work).
    assert!(most <= before + CHECKS + 3, "{most} threads against {before} before: runs piled up");
    let reply = {
        let body = r#"{"year": 2012, "changes": {}}"#;
        let head = format!(
            "POST /api/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connects");
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        s.write_all(head.as_bytes()).and_then(|_| s.write_all(body.as_bytes())).expect("sends");
        let mut raw = String::new();
        let _ = std::io::Read::read_to_string(&mut s, &mut raw);
        raw
    };
    assert!(reply.starts_with("HTTP/1.1 200"), "still serving: {}", &reply[..reply.len().min(200)]);
    server.stop();
}
