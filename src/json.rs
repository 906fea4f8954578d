//! The JSON every command prints: one envelope, `format` and `version` first, the
//! command's own fields after. `docs/json.md` documents each format; a test reads
//! every command's output back into its types.
//!
//! Keys are snake_case in every output, the `config` objects of traces and sample
//! results included; knob and policy *values* keep the command line's kebab-case
//! names (`"rhel-ptrace-creds"`).

use serde::Serialize;
use serde_json::{Map, Value};

/// The `version` of every format below.
pub const VERSION: u32 = 1;

/// `check --json` (one configuration).
pub const CHECK: &str = "switchpath-check";
/// `check CASE.toml... --json`.
pub const CASES: &str = "switchpath-cases";
/// `matrix --json`.
pub const MATRIX: &str = "switchpath-matrix";
/// `bench --json`.
pub const BENCH: &str = "switchpath-bench";
/// `diff --json`.
pub const DIFF: &str = "switchpath-diff";
/// `cost --json`.
pub const COST: &str = "switchpath-cost";

/// `body`'s fields (an object; anything else goes under `items`) after `format`
/// and `version`, as pretty JSON.
pub fn envelope(format: &str, body: &impl Serialize) -> String {
    let mut map = Map::new();
    map.insert("format".into(), Value::from(format));
    map.insert("version".into(), Value::from(VERSION));
    match serde_json::to_value(body).expect("outputs serialize") {
        Value::Object(fields) => map.extend(fields),
        other => {
            map.insert("items".into(), other);
        }
    }
    serde_json::to_string_pretty(&Value::Object(map)).expect("outputs serialize")
}
