//! Decoding speed against serde_json's own floor (checking the same bytes and building
//! nothing, `IgnoredAny`), measured side by side in one run so a shared machine's noise
//! falls on both: a basic search of 100 prescriptions with 12 issues of 3 items each (the
//! largest answer a long-running eRD patient is likely to produce; target at most 2× the
//! floor) and a small search of 2 prescriptions × 3 issues (5 KB; the sandbox answers
//! 9990548609 with 3.3 KB; target under 15 µs).
//!
//! After criterion's figures, the bench prints the ratio to the floor for each body.
//!
//! Timings on a shared machine are noisy; instruction counts are not. With
//! `DECODE_BENCH_CALLS=N` set, the bench skips criterion and only decodes the large body
//! (`DECODE_BENCH_BODY=small`: the small one) N times, then checks it N times, in
//! `decode_calls` and `floor_calls`, for counting under callgrind (see README.md,
//! "Performance").

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use eps_tracker::tracker::decode;
use eps_tracker::tracker::ids::{mod37_check_character, nhs_check_digit};
use serde_json::{Map, Value, json};

const LINE_ITEMS: usize = 3;

fn nhs_number() -> String {
    let mut digits = vec![9u8, 9, 9, 0, 5, 4, 8, 6, 0];
    while nhs_check_digit(&digits).is_none() {
        digits[8] += 1;
    }
    let check = nhs_check_digit(&digits).unwrap_or(0);
    digits.push(check);
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

fn search_body(prescriptions: usize, issue_count: usize) -> Vec<u8> {
    let nhs = nhs_number();
    let mut list = Map::new();
    for p in 0..prescriptions {
        let body = format!("{:06X}-A99968-{:05}", p * 7919 + 0xA0000, p);
        let id = format!("{body}{}", mod37_check_character(&body));
        let mut issues = Map::new();
        // Keys in text order ("1", "10", "11", "12", "2", …) so sorting has work to do.
        let mut numbers: Vec<String> = (1..=issue_count).map(|n| n.to_string()).collect();
        numbers.sort();
        for number in numbers {
            let mut items = Map::new();
            for item in 1..=LINE_ITEMS {
                items.insert(
                    item.to_string(),
                    json!({"status": {"statusText": "Item fully dispensed", "statusCode": "0001"}}),
                );
            }
            issues.insert(
                number,
                json!({
                    "issueDate": "20260108",
                    "prescriptionStatus": {"statusText": "Dispensed", "statusCode": "0006"},
                    "lineItems": items,
                }),
            );
        }
        list.insert(
            id,
            json!({
                "patientNhsNumber": nhs,
                "prescriptionIssueDate": "20260108120100",
                "lastEventDate": "20260108144916",
                "currentIssueNumber": issue_count.to_string(),
                "pendingCancellations": "False",
                "prescriptionTreatmentType": {
                    "prescriptionTreatmentTypeText": "Repeat Dispensing",
                    "prescriptionTreatmentTypeCode": "0003"
                },
                "issues": issues,
            }),
        );
    }
    let body = json!({"statusCode": "0", "reason": "", "version": "1", "prescriptionList": Value::Object(list)});
    serde_json::to_vec_pretty(&body).unwrap_or_default()
}

/// The serde_json floor: checking the body, building nothing.
fn floor(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

/// The two bodies, each with its name and how many prescriptions it holds.
fn bodies() -> [(&'static str, Vec<u8>, usize); 2] {
    [
        (
            "search 100 prescriptions x 12 issues",
            search_body(100, 12),
            100,
        ),
        (
            "search 2 prescriptions x 3 issues, 5 KB",
            search_body(2, 3),
            2,
        ),
    ]
}

fn decode_bodies(c: &mut Criterion) {
    let bodies = bodies();
    for (name, body, count) in &bodies {
        match decode(Some(200), body) {
            Ok(response) => assert_eq!(response.prescriptions.len(), *count),
            Err(error) => panic!("the benchmark body does not decode: {error}"),
        }
        let mut group = c.benchmark_group(format!("decode {name} ({} bytes)", body.len()));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("eps-tracker decode", |b| {
            b.iter(|| decode(Some(200), black_box(body)))
        });
        group.bench_function("serde_json IgnoredAny (floor)", |b| {
            b.iter(|| floor(black_box(body)))
        });
        group.finish();
    }
    for (name, body, _) in &bodies {
        let rounds = side_by_side(body);
        let best_ours = rounds
            .iter()
            .map(|(ours, _)| *ours)
            .min()
            .unwrap_or_default();
        let best_floor = rounds
            .iter()
            .map(|(_, floor)| *floor)
            .min()
            .unwrap_or_default();
        // Each round's pair was measured back to back: their ratios show how much of the
        // figure is the machine's noise.
        let mut pairs: Vec<f64> = rounds
            .iter()
            .map(|(ours, floor)| ours.as_secs_f64() / floor.as_secs_f64())
            .collect();
        pairs.sort_by(f64::total_cmp);
        println!(
            "ratio to the floor, {name}: {:.2}x (decode {:.1} µs, floor {:.1} µs; best of \
             alternating rounds in this run); round by round: median {:.2}x, {:.2}x to {:.2}x",
            best_ours.as_secs_f64() / best_floor.as_secs_f64(),
            best_ours.as_secs_f64() * 1e6,
            best_floor.as_secs_f64() * 1e6,
            pairs[pairs.len() / 2],
            pairs[0],
            pairs[pairs.len() - 1],
        );
    }
}

/// Rounds of our decode and of the floor, alternating. Short rounds, many of them: on a
/// shared machine a busy spell lasts seconds, and the more often the two take turns, the
/// more alike what each of them meets (and the more quiet spells each has to show).
const ROUNDS: usize = 61;
/// About how long one round of our decode lasts.
const ROUND: Duration = Duration::from_millis(5);

/// The time per call of our decode and of the floor in each of [`ROUNDS`] alternating
/// rounds, so both see the same machine.
fn side_by_side(body: &[u8]) -> Vec<(Duration, Duration)> {
    fn round(calls: u32, f: &dyn Fn()) -> Duration {
        let start = Instant::now();
        for _ in 0..calls {
            f();
        }
        start.elapsed() / calls
    }
    let ours = || drop(black_box(decode(Some(200), black_box(body))));
    let check = || {
        black_box(floor(black_box(body)));
    };
    let once = round(1, &ours).max(Duration::from_nanos(100));
    let calls = (ROUND.as_nanos() / once.as_nanos()).clamp(1, 100_000) as u32;
    (0..ROUNDS)
        .map(|_| (round(calls, &ours), round(calls, &check)))
        .collect()
}

/// Decodes `body` `calls` times (a function of its own, for callgrind's counts).
#[inline(never)]
fn decode_calls(body: &[u8], calls: u32) {
    for _ in 0..calls {
        drop(black_box(decode(Some(200), black_box(body))));
    }
}

/// The floor, `calls` times.
#[inline(never)]
fn floor_calls(body: &[u8], calls: u32) {
    for _ in 0..calls {
        black_box(floor(black_box(body)));
    }
}

criterion_group!(benches, decode_bodies);

fn main() {
    let calls = std::env::var("DECODE_BENCH_CALLS").ok();
    if let Some(calls) = calls.and_then(|calls| calls.parse::<u32>().ok()) {
        let [(_, large, _), (_, small, _)] = bodies();
        let body = match std::env::var("DECODE_BENCH_BODY").as_deref() {
            Ok("small") => small,
            _ => large,
        };
        decode_calls(&body, calls);
        floor_calls(&body, calls);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
