//! Every `--json` output against docs/json.md: the envelope (`format`, `version`
//! first), and a typed round trip — read back into the types that wrote it and
//! written again, nothing may be lost or added.

mod common;

use common::{stdout, switchpath};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Checks the envelope and returns the body without it.
fn body(out: &str, format: &str) -> Value {
    body_of_version(out, format, switchpath::json::VERSION)
}

/// [`body`] for a format at its own `version`.
fn body_of_version(out: &str, format: &str, version: u32) -> Value {
    let v: Value = serde_json::from_str(out).expect("JSON");
    let keys: Vec<&String> = v.as_object().unwrap().keys().take(2).collect();
    assert_eq!(keys, ["format", "version"], "the envelope opens the object");
    assert_eq!(v["format"], format);
    assert_eq!(v["version"], version);
    let mut v = v;
    let o = v.as_object_mut().unwrap();
    o.remove("format");
    o.remove("version");
    v
}

/// `value` read as `T` and written again is `value`.
fn round_trips<T: DeserializeOwned + Serialize>(value: &Value) {
    let typed: T = serde_json::from_value(value.clone()).expect("reads as its type");
    assert_eq!(&serde_json::to_value(&typed).unwrap(), value);
}

#[test]
fn check_json_is_a_report() {
    let o = switchpath(&["check", "--policy", "none", "--json"]);
    let v = body(&stdout(&o), switchpath::json::CHECK);
    round_trips::<switchpath::report::Report>(&v);
}

#[test]
fn matrix_json_is_a_matrix() {
    let o = switchpath(&["matrix", "--json", "--no-traces"]);
    let v = body(&stdout(&o), switchpath::json::MATRIX);
    round_trips::<switchpath::matrix::Matrix>(&v);
    // `shape_class` is a closed set, present exactly where a property fails.
    let mut classes = std::collections::BTreeSet::new();
    for c in v["configurations"].as_array().unwrap() {
        for r in c["reports"].as_array().unwrap() {
            for p in r["properties"].as_array().unwrap() {
                assert_eq!(
                    p["verdict"] == "fails",
                    p.get("shape_class").is_some(),
                    "{p}"
                );
                if let Some(class) = p["shape_class"].as_str() {
                    classes.insert(class.to_string());
                }
            }
        }
    }
    assert!(classes
        .iter()
        .all(|c| ["AA", "ABBA", "cycle", "exposure"].contains(&c.as_str())));
    assert!(
        classes.contains("AA") && classes.contains("exposure"),
        "{classes:?}"
    );
}

#[test]
fn bench_json_is_rows() {
    let o = switchpath(&["bench", "--cpus", "1", "--json"]);
    let v = body(&stdout(&o), switchpath::json::BENCH);
    round_trips::<Vec<switchpath::bench::BenchRow>>(&v["rows"]);
    assert_eq!(v.as_object().unwrap().len(), 1, "rows only");
}

#[test]
fn cases_json_is_case_results() {
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CaseResult {
        case: String,
        description: String,
        as_expected: bool,
        problems: Vec<String>,
        report: switchpath::report::Report,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Cases {
        cases: Vec<CaseResult>,
        as_expected: usize,
        total: usize,
        not_run: Vec<String>,
    }
    let case = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks/cases/none-1cpu.toml");
    let o = switchpath(&["check", case.to_str().unwrap(), "--json"]);
    let v = body(&stdout(&o), switchpath::json::CASES);
    round_trips::<Cases>(&v);
}

#[test]
fn sample_json_is_a_sample_result() {
    let o = switchpath(&["sample", "--policy", "none", "--walks", "20", "--json"]);
    let out = stdout(&o);
    let _ = body_of_version(
        &out,
        switchpath::sample::FORMAT,
        switchpath::sample::VERSION,
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    round_trips::<switchpath::sample::SampleResult>(&v);
}

#[test]
fn check_why_json_is_a_report_with_its_why() {
    let o = switchpath(&[
        "check",
        "--policy",
        "rhel-ptrace-creds",
        "--cpus",
        "1",
        "--why",
        "--json",
    ]);
    let v = body(&stdout(&o), switchpath::json::CHECK);
    assert!(!v["why"].as_array().unwrap().is_empty());
    round_trips::<switchpath::report::Report>(&v);
}

#[test]
fn diff_json_is_a_diff_result() {
    let o = switchpath(&[
        "diff", "--policy", "always", "--policy", "none", "--cpus", "1", "--json",
    ]);
    let v = body(&stdout(&o), switchpath::json::DIFF);
    assert_eq!(v["difference"]["steps"].as_array().unwrap().len(), 3);
    round_trips::<switchpath::diff::DiffResult>(&v);
}

#[test]
fn cost_json_is_a_cost_report() {
    let o = switchpath(&[
        "cost",
        "--sched-trace",
        "traces/sched/workload.txt",
        "--tasks",
        "traces/sched/workload.tasks",
        "--ghz",
        "2.1",
        "--json",
    ]);
    let v = body(&stdout(&o), switchpath::json::COST);
    assert_eq!(v["scenarios"][0]["rows"].as_array().unwrap().len(), 7);
    round_trips::<switchpath::workload::CostReport>(&v);
}
