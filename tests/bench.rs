//! `switchpath bench`: one row per policy and CPU count, and a bounded row.

mod common;

use common::{stderr, stdout, switchpath};
use switchpath_model::Policy;

#[test]
fn bench_prints_rows_with_the_documented_fields() {
    let o = switchpath(&["bench", "--cpus", "1", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["format"], "switchpath-bench");
    assert_eq!(out["version"], 1);
    let rows = out["rows"].as_array().unwrap();
    assert_eq!(rows.len(), Policy::ALL.len(), "one row per policy");
    for r in rows {
        for field in [
            "policy",
            "cpus",
            "states",
            "seconds",
            "complete",
            "states_per_second",
            "depth",
            "exhausted",
        ] {
            assert!(r.get(field).is_some(), "missing {field}");
        }
        assert_eq!(r["complete"], true);
        // Only the RHEL policy fails every property on this task set, so only its
        // search may stop before exhausting the state space.
        assert_eq!(r["exhausted"], r["policy"] != "rhel-ptrace-creds", "{r}");
    }
    let o = switchpath(&[
        "bench",
        "--cpus",
        "2",
        "--policy",
        "always",
        "--max-states",
        "100",
    ]);
    assert_eq!(o.status.code(), Some(3), "a bounded row is incomplete");
    assert!(stdout(&o).contains("NO (bounded)"));
}
