//! The cost the audit trail adds to each Tracker request: an attempt record and a result
//! record, each one locked, checked against the head, chained, written with one `write_all`
//! and `sync_data`ed; the same with forwarding to a syslog collector switched on (the send
//! runs on its own thread, so only the wake-up is on the request path); and `audit verify`
//! over a generated trail (records per second). Run with `cargo bench --bench audit`
//! (`EPS_BENCH_VERIFY_RECORDS=1000000` for the one-million-record figure). The files go in
//! a temporary directory on the same filesystem as the system temp dir, so the figures
//! depend on that disk's fsync latency.

use std::io::{Read, Write};
use std::time::Instant;

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eps_tracker::security::audit::{
    AuditEntry, AuditLog, Event, Filters, ForwardSettings, Origin, Outcome, verify_dir,
};
use sha2::{Digest, Sha256};

fn attempt() -> AuditEntry {
    AuditEntry {
        user: Some("helpdesk".into()),
        spine_user: Some("555000000001".into()),
        role_profile: Some("555000000101".into()),
        org: Some("X26".into()),
        nhs: Some("9990548609".into()),
        filters: Some(Filters::default()),
        trace: Some("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5".into()),
        ..AuditEntry::new(Event::SearchAttempt)
    }
    .outcome(Outcome::Sending)
}

fn result() -> AuditEntry {
    AuditEntry {
        results: Some(3),
        ..attempt()
    }
    .outcome(Outcome::Success)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = AuditLog::open(dir.path(), Origin::detect()).expect("audit trail");
    let (attempt, result) = (attempt(), result());
    let mut group = c.benchmark_group("audit");
    group.sample_size(50);
    group.bench_function("one record (write + fsync)", |b| {
        b.iter(|| log.append(&attempt, Utc::now()).expect("append"));
    });
    group.bench_function("audited request (attempt + result)", |b| {
        b.iter(|| {
            log.append(&attempt, Utc::now()).expect("append");
            log.append(&result, Utc::now()).expect("append");
        });
    });
    group.finish();
}

/// A collector that reads each connection to its end and closes, as rsyslog does.
fn collector() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = listener.local_addr().expect("port").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
        }
    });
    port
}

fn bench_forwarding(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings: ForwardSettings =
        toml::from_str(&format!("address = \"127.0.0.1:{}\"", collector())).expect("settings");
    let log = AuditLog::open(dir.path(), Origin::detect())
        .expect("audit trail")
        .forwarding(Some(settings));
    let (attempt, result) = (attempt(), result());
    let mut group = c.benchmark_group("audit");
    group.sample_size(50);
    group.bench_function("audited request with forwarding on", |b| {
        b.iter(|| {
            log.append(&attempt, Utc::now()).expect("append");
            log.append(&result, Utc::now()).expect("append");
        });
    });
    group.finish();
}

/// Writes a valid trail of `n` records (plus header) and its head file without fsyncs.
fn generate_trail(dir: &std::path::Path, n: u64) {
    let file = std::fs::File::create(dir.join("audit.jsonl")).expect("trail");
    let mut out = std::io::BufWriter::new(file);
    let mut prev = "0".repeat(64);
    for seq in 0..=n {
        let body = if seq == 0 {
            format!(
                "{{\"seq\":0,\"ts\":\"2026-11-25T09:00:00.000Z\",\"event\":\"chain_start\",\
                 \"chain\":\"bench\",\"format\":1,\"prev\":\"{prev}\"}}"
            )
        } else {
            format!(
                "{{\"seq\":{seq},\"ts\":\"2026-11-25T09:00:00.000Z\",\"event\":\"search_result\",\
                 \"user\":\"helpdesk\",\"nhs\":\"9990548609\",\"trace\":\"t{seq}\",\
                 \"results\":3,\"outcome\":\"success\",\"host\":\"ws1\",\"prev\":\"{prev}\"}}"
            )
        };
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        out.write_all(&body.as_bytes()[..body.len() - 1])
            .expect("write");
        writeln!(out, ",\"hash\":\"{hash}\"}}").expect("write");
        prev = hash;
    }
    out.flush().expect("flush");
    std::fs::write(dir.join("audit.jsonl.head"), format!("{n:020} {prev}\n")).expect("head");
    use std::os::unix::fs::PermissionsExt;
    for name in ["audit.jsonl", "audit.jsonl.head"] {
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o600))
            .expect("mode");
    }
}

fn bench_verify(c: &mut Criterion) {
    let n: u64 = std::env::var("EPS_BENCH_VERIFY_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    generate_trail(dir.path(), n);
    // One timed pass first, so the figure for a big trail is printed even with few samples.
    let start = Instant::now();
    let report = verify_dir(dir.path()).expect("verify");
    let took = start.elapsed();
    assert!(!report.tampered(), "{report:?}");
    println!(
        "audit verify: {} records in {:.2} s = {:.0} records/s",
        n + 1,
        took.as_secs_f64(),
        (n + 1) as f64 / took.as_secs_f64()
    );
    let mut group = c.benchmark_group("audit verify");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n + 1));
    group.bench_function("verify_dir", |b| {
        b.iter(|| verify_dir(dir.path()).expect("verify"));
    });
    group.finish();
}

criterion_group!(benches, bench, bench_forwarding, bench_verify);
criterion_main!(benches);
