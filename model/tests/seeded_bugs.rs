//! The model half of `switchpath selftest`, in the model crate so that mutation
//! testing sees it: every seeded bug breaks its property on its configuration,
//! where the correct code keeps it.

use switchpath_model::search::{bfs, Limits};
use switchpath_model::seeded::Bug;
use switchpath_model::SwitchModel;

#[test]
fn every_seeded_bug_breaks_its_property_where_the_correct_code_keeps_it() {
    assert!(Bug::ALL.len() >= 6);
    for bug in Bug::ALL {
        let correct = SwitchModel::new(bug.config()).unwrap();
        let good = bfs(&correct, Limits::default());
        assert!(good.complete, "{}", bug.name());
        assert!(
            !good.discoveries.contains_key(bug.property()),
            "{}: the correct code breaks {} too",
            bug.name(),
            bug.property()
        );
        let bad = bfs(&correct.with_bug(bug), Limits::default());
        assert!(
            bad.discoveries.contains_key(bug.property()),
            "{}: {} not broken",
            bug.name(),
            bug.property()
        );
        assert_eq!(Bug::parse(bug.name()), Ok(bug));
    }
    assert!(Bug::parse("nope").unwrap_err().contains("not a seeded bug"));
}
