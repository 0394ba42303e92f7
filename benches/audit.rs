//! The cost the audit trail adds to each Tracker request: an attempt record and a result
//! record, each one locked, chained, written with one `write_all` and `sync_data`ed. Run
//! with `cargo bench --bench audit`. The files go in a temporary directory on the same
//! filesystem as the system temp dir, so the figure depends on that disk's fsync latency.

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use eps_tracker::security::audit::{AuditEntry, AuditLog, Event, Filters, Origin, Outcome};

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

criterion_group!(benches, bench);
criterion_main!(benches);
