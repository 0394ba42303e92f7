//! How fast the sandbox answers over mutual TLS with keep-alive from one client, and what
//! `TrackerClient::fetch` costs over a raw reqwest call to the same endpoint. Run with
//! `cargo bench --bench sandbox`; after criterion's figures it prints a summary of
//! requests per second and the client's overhead, measured in interleaved rounds so both
//! sides see the same machine load.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use eps_tracker::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};
use eps_tracker::tracker::client::{SpineIdentity, TrackerClient};
use eps_tracker::tracker::decode;
use eps_tracker::tracker::ids::NhsNumber;
use eps_tracker::tracker::query::{SearchQuery, TrackerRequest};
use tokio::runtime::Runtime;

struct Setup {
    runtime: Runtime,
    sandbox: EmbeddedSandbox,
    client: TrackerClient,
    raw: reqwest::Client,
    url: String,
    request: TrackerRequest,
    identity: SpineIdentity,
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
        client,
        raw,
        url,
        request,
        identity: SpineIdentity::new("555555555555", "555555555556").expect("identity"),
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
    let fetched = s
        .client
        .fetch(&s.request, &s.identity)
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
    group.bench_function("TrackerClient::fetch", |b| {
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
    let (mut raw_time, mut client_time) = (Duration::ZERO, Duration::ZERO);
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
        }
    });
    let n = f64::from(per_round * rounds);
    let raw_rate = n / raw_time.as_secs_f64();
    let client_rate = n / client_time.as_secs_f64();
    let overhead = (client_time.as_secs_f64() / raw_time.as_secs_f64() - 1.0) * 100.0;
    println!("\nsummary: basic search of 9990548609, one client, mTLS keep-alive, sequential");
    println!("  raw reqwest           {raw_rate:>8.0} requests/s");
    println!("  TrackerClient::fetch  {client_rate:>8.0} requests/s (decoding included)");
    println!("  client overhead over raw reqwest: {overhead:+.1}%");
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
