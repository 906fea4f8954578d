//! `switchpath sample` and `switchpath merge`: sharded random walks, merged to
//! exactly the unsharded sample; a sample is never a proof.

mod common;

use common::{assert_bad_input, assert_usage_error, stderr, stdout, switchpath, tmp};

#[test]
fn sharded_samples_merge_to_exactly_the_unsharded_sample() {
    let dir = tempfile::tempdir().expect("temp dir");
    let knobs = [
        "--policy",
        "rhel-ptrace-creds",
        "--cpus",
        "2",
        "--tasks",
        "1000,1001,1002,1003",
    ];
    let mut files = Vec::new();
    for k in 0..4 {
        let shard = format!("{k}/4");
        let mut args = vec!["sample", "--shard", &shard, "--walks", "100", "--json"];
        args.extend(knobs);
        let o = switchpath(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let path = dir.path().join(format!("s{k}.json"));
        std::fs::write(&path, &o.stdout).unwrap();
        files.push(path.display().to_string());
    }
    let mut merge = vec!["merge", "--json"];
    merge.extend(files.iter().map(String::as_str));
    let merged: serde_json::Value = serde_json::from_slice(&switchpath(&merge).stdout).unwrap();
    let mut whole = vec!["sample", "--walks", "400", "--json"];
    whole.extend(knobs);
    let whole: serde_json::Value = serde_json::from_slice(&switchpath(&whole).stdout).unwrap();
    assert_eq!(merged["violations"], whole["violations"]);
    assert_eq!(merged["walks"], 400);
    assert_eq!(merged["steps"], whole["steps"]);
    assert!(
        merged["violations"]["deadlock-free"]["path"]
            .as_array()
            .unwrap()
            .len()
            >= 9
    );

    // A missing shard is reported; a shard given twice is bad input.
    let o = switchpath(&["merge", &files[0], &files[2]]);
    assert!(stdout(&o).contains("missing shards: 1 3"), "{}", stdout(&o));
    assert_bad_input(
        &switchpath(&["merge", &files[0], &files[0]]),
        "already in the merge",
    );
}

#[test]
fn a_sample_without_violations_is_never_a_proof() {
    let o = switchpath(&[
        "sample",
        "--policy",
        "upstream-dumpable",
        "--tasks",
        "1000,1000",
        "--walks",
        "50",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("no violation found (a sample, not a proof)"));
    assert!(!stdout(&o).contains("holds"));
}

#[test]
fn bad_shards_and_foreign_results_are_bad_input() {
    for bad in ["4/4", "1", "a/b", "0/0"] {
        assert_usage_error(
            &switchpath(&["sample", "--policy", "none", "--shard", bad]),
            "expected K/N",
        );
    }
    assert_bad_input(
        &switchpath(&[
            "sample",
            "--policy",
            "none",
            "--shard",
            "1/2",
            "--walks",
            &u64::MAX.to_string(),
        ]),
        "walk numbers past 2^64",
    );
    let (_d, path) = tmp("x.json", "{\"format\": 1}");
    assert_bad_input(
        &switchpath(&["merge", path.to_str().unwrap()]),
        "not a switchpath sample result",
    );
}
