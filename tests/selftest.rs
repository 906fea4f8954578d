//! `switchpath selftest`: every seeded bug caught by the model and shuttle, or by
//! the search's own checks.

mod common;

use common::{assert_usage_error, stdout, switchpath};

#[test]
fn selftest_catches_every_seeded_bug_in_the_model_and_in_shuttle() {
    let o = switchpath(&["selftest"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let n = switchpath_model::seeded::Bug::ALL.len();
    let m = switchpath_model::seeded::SearchBug::ALL.len();
    let p = switchpath_model::seeded::Bug::PROGRESS.len();
    assert!(n >= 6 && m >= 2 && p >= 1);
    assert!(out.contains(&format!("caught {0}/{0}", n + m + p)), "{out}");
    // The progress bug: caught by the progress check, its lasso refused by the
    // correct code.
    assert_eq!(out.matches("  progress caught: ").count(), p, "{out}");
    assert!(
        out.contains("(deadlock-free holds); on the correct code the loop is not fair"),
        "{out}"
    );
    // The search's own bugs: a leaf lock that is not one, a mover that does not
    // commute; each caught where no property fails, against a control.
    assert_eq!(
        out.matches("  search   caught: by the ").count(),
        m,
        "{out}"
    );
    assert!(out.contains("caught: by the leaf-lock guard"), "{out}");
    assert!(out.contains("caught: by the completeness check"), "{out}");
    assert_eq!(
        out.matches("(correct reduction: every property holds")
            .count(),
        m,
        "{out}"
    );
    assert_eq!(out.matches("  model    caught: ").count(), n, "{out}");
    assert_eq!(out.matches("  shuttle  caught: ").count(), n, "{out}");
    assert!(!out.contains("MISSED"), "{out}");
    // Every control ran: the correct code keeps the property the bug breaks.
    assert_eq!(out.matches("(correct code: holds").count(), n, "{out}");
    assert_eq!(
        out.matches("(correct code: 300 schedules pass)").count(),
        n,
        "{out}"
    );
}

#[test]
fn selftest_of_an_unknown_bug_is_bad_input() {
    assert_usage_error(
        &switchpath(&["selftest", "--bug", "nope"]),
        "not a seeded bug",
    );
}
