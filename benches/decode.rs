//! Decoding speed: a basic search of 100 prescriptions with 12 issues each (the largest
//! answer a long-running eRD patient is likely to produce). Target: under 1 ms.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eps_tracker::tracker::decode;
use eps_tracker::tracker::ids::{mod37_check_character, nhs_check_digit};
use serde_json::{Map, Value, json};

const PRESCRIPTIONS: usize = 100;
const ISSUES: usize = 12;
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

fn search_body() -> Vec<u8> {
    let nhs = nhs_number();
    let mut list = Map::new();
    for p in 0..PRESCRIPTIONS {
        let body = format!("{:06X}-A99968-{:05}", p * 7919 + 0xA0000, p);
        let id = format!("{body}{}", mod37_check_character(&body));
        let mut issues = Map::new();
        // Keys in text order ("1", "10", "11", "12", "2", …) so sorting has work to do.
        let mut numbers: Vec<String> = (1..=ISSUES).map(|n| n.to_string()).collect();
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
                "currentIssueNumber": "12",
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

fn decode_search(c: &mut Criterion) {
    let body = search_body();
    match decode(Some(200), &body) {
        Ok(response) => assert_eq!(response.prescriptions.len(), PRESCRIPTIONS),
        Err(error) => panic!("the benchmark body does not decode: {error}"),
    }
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("search 100 prescriptions x 12 issues", |b| {
        b.iter(|| decode(Some(200), black_box(&body)))
    });
    // The floor: serde_json only checking the same body, building nothing.
    group.bench_function("serde_json syntax check only (floor)", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&body)).is_ok())
    });
    group.finish();
}

criterion_group!(benches, decode_search);
criterion_main!(benches);
