//! How fast the sandbox answers over mutual TLS with keep-alive from one client, and what
//! a real request costs over a raw reqwest call to the same endpoint. The client can only
//! be reached through the security gate, so "client" here is `Gate::request`: the role
//! check, the attempt and result records in the audit trail (each fsynced, in a temporary
//! directory), the request and its decoding. Run with
//! `cargo bench --bench sandbox`; after criterion's figures it prints a summary of
//! requests per second and the client's overhead, measured in interleaved rounds so both
//! sides see the same machine load.
//!
//! The client alone cannot be called without the gate (by design), so it is measured
//! through a second gate whose audit trail is on tmpfs (`/dev/shm`), where an fsync costs
//! nothing: that is the client's own cost (and the gate's bookkeeping) before the audit's
//! disk writes, which the first gate shows.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group};
use eps_tracker::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};
use eps_tracker::security::audit::{AuditLog, Origin};
use eps_tracker::security::demo;
use eps_tracker::security::gate::Gate;
use eps_tracker::security::hashing::HashParams;
use eps_tracker::security::password::Password;
use eps_tracker::security::rbac::RoleMap;
use eps_tracker::security::session::Session;
use eps_tracker::security::settings::SecuritySettings;
use eps_tracker::security::signin::Authenticator;
use eps_tracker::security::spine_client::TrackerClient;
use eps_tracker::security::users::UserStore;
use eps_tracker::tracker::decode;
use eps_tracker::tracker::ids::NhsNumber;
use eps_tracker::tracker::query::{SearchQuery, TrackerRequest};
use tokio::runtime::Runtime;

struct Setup {
    runtime: Runtime,
    sandbox: EmbeddedSandbox,
    gate: Gate,
    session: Session,
    _home: tempfile::TempDir,
    /// The same, audited on tmpfs; `None` where there is no `/dev/shm`.
    memory_gate: Option<(Gate, Session, tempfile::TempDir)>,
    raw: reqwest::Client,
    url: String,
    request: TrackerRequest,
}

/// A gate over `client` with a signed-in helpdesk demo user, audited in a temporary home.
fn gate_with_session(
    client: TrackerClient,
    home: tempfile::TempDir,
) -> (Gate, Session, tempfile::TempDir) {
    let store = UserStore::open(
        &home.path().join("users.toml"),
        HashParams::FAST_INSECURE_FOR_TESTS,
    )
    .expect("user store");
    let audit = AuditLog::open(&home.path().join("audit"), Origin::detect()).expect("audit");
    let mut auth = Authenticator::new(
        store,
        audit.clone(),
        SecuritySettings::default(),
        RoleMap::default(),
    );
    let now = Utc::now();
    demo::seed_demo_accounts(&mut auth, now).expect("demo accounts");
    let password = Password::new(demo::DEMO_PASSWORD.to_owned());
    let signed_in = auth.sign_in("helpdesk", &password, now).expect("sign-in");
    let profile = signed_in.only_profile().expect("one profile").clone();
    let session = auth
        .choose_profile(signed_in, &profile, now)
        .expect("session");
    (Gate::new(client, audit), session, home)
}

fn setup() -> Setup {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sandbox = runtime
        .block_on(EmbeddedSandbox::start(EmbeddedOptions::default()))
        .expect("sandbox");
    let client = TrackerClient::new(&sandbox.client_settings()).expect("client");
    let (gate, session, home) = gate_with_session(client, tempfile::tempdir().expect("temp home"));
    let memory_gate = tempfile::tempdir_in("/dev/shm").ok().map(|home| {
        let client = TrackerClient::new(&sandbox.client_settings()).expect("client");
        gate_with_session(client, home)
    });
    let id = sandbox.client_identity();
    let pem = format!("{}\n{}", id.cert_pem, id.key_pem.as_str());
    let raw = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(sandbox.ca_pem().as_bytes()).expect("ca")])
        .identity(reqwest::Identity::from_pem(pem.as_bytes()).expect("identity"))
        .build()
        .expect("raw client");
    let nhs = NhsNumber::parse("9990548609").expect("demo patient");
    let request = TrackerRequest::Search(SearchQuery::new(nhs));
    let url = format!(
        "{}/prescriptions?nhsNumber=9990548609&format=trace-summary",
        sandbox.base_url()
    );
    Setup {
        runtime,
        sandbox,
        gate,
        session,
        _home: home,
        memory_gate,
        raw,
        url,
        request,
    }
}

async fn raw_get(s: &Setup) -> usize {
    let response = s
        .raw
        .get(&s.url)
        .header("Accept", "application/json")
        .header("Spine-From-Asid", s.sandbox.asid())
        .header("Spine-UserId", "555555555555")
        .header("Spine-RoleProfileId", "555555555556")
        .header("Eps-TraceId", "bench-raw-0001")
        .send()
        .await
        .expect("raw request");
    response.bytes().await.expect("raw body").len()
}

async fn client_fetch(s: &Setup) -> usize {
    gated_fetch(&s.gate, &s.session, s).await
}

async fn gated_fetch(gate: &Gate, session: &Session, s: &Setup) -> usize {
    let fetched = gate
        .request(session, s.request.clone(), Utc::now())
        .await
        .expect("fetch");
    fetched.response.prescriptions.len()
}

fn bench(c: &mut Criterion) {
    let s = setup();
    let body = s.runtime.block_on(async {
        s.raw
            .get(&s.url)
            .header("Spine-From-Asid", s.sandbox.asid())
            .header("Spine-UserId", "555555555555")
            .header("Spine-RoleProfileId", "555555555556")
            .send()
            .await
            .expect("request")
            .bytes()
            .await
            .expect("body")
    });
    let mut group = c.benchmark_group("sandbox basic search over mTLS, keep-alive");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw reqwest", |b| {
        b.iter(|| black_box(s.runtime.block_on(raw_get(&s))));
    });
    if let Some((gate, session, _)) = &s.memory_gate {
        group.bench_function("client alone (Gate::request, audit on tmpfs)", |b| {
            b.iter(|| black_box(s.runtime.block_on(gated_fetch(gate, session, &s))));
        });
    }
    group.bench_function("Gate::request (audited)", |b| {
        b.iter(|| black_box(s.runtime.block_on(client_fetch(&s))));
    });
    group.bench_function("decode only (no network)", |b| {
        b.iter(|| black_box(decode(Some(200), &body).expect("decodes")));
    });
    group.finish();
}

/// Requests per second of each side, in alternating rounds of `per_round` requests.
fn summary() {
    let s = setup();
    let per_round = 500;
    let rounds = 6;
    let (mut raw_time, mut client_time, mut alone_time) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    s.runtime.block_on(async {
        // Warm the connection pools and the code paths.
        for _ in 0..200 {
            raw_get(&s).await;
            client_fetch(&s).await;
        }
        for _ in 0..rounds {
            let started = Instant::now();
            for _ in 0..per_round {
                black_box(raw_get(&s).await);
            }
            raw_time += started.elapsed();
            let started = Instant::now();
            for _ in 0..per_round {
                black_box(client_fetch(&s).await);
            }
            client_time += started.elapsed();
            if let Some((gate, session, _)) = &s.memory_gate {
                let started = Instant::now();
                for _ in 0..per_round {
                    black_box(gated_fetch(gate, session, &s).await);
                }
                alone_time += started.elapsed();
            }
        }
    });
    let n = f64::from(per_round * rounds);
    let raw_rate = n / raw_time.as_secs_f64();
    let client_rate = n / client_time.as_secs_f64();
    let overhead = (client_time.as_secs_f64() / raw_time.as_secs_f64() - 1.0) * 100.0;
    println!("\nsummary: basic search of 9990548609, one client, mTLS keep-alive, sequential");
    println!("  raw reqwest           {raw_rate:>8.0} requests/s");
    println!(
        "  Gate::request         {client_rate:>8.0} requests/s (audit fsyncs and decoding included)"
    );
    println!("  gate + client overhead over raw reqwest: {overhead:+.1}%");
    if s.memory_gate.is_some() {
        let alone_rate = n / alone_time.as_secs_f64();
        let alone_overhead = (alone_time.as_secs_f64() / raw_time.as_secs_f64() - 1.0) * 100.0;
        println!(
            "  client alone          {alone_rate:>8.0} requests/s (audit on tmpfs: no disk fsync)"
        );
        println!("  client overhead over raw reqwest: {alone_overhead:+.1}%");
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
