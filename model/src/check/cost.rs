//! The cost column: how many IBPBs a policy issues on one fixed sequence of switches.
//!
//! The sequence: for every ordered pair (a, b) of distinct user tasks, the switch
//! a → b directly (the loaded mm is a's), and a → kernel thread → b (the kernel
//! thread is `prev`, a's mm is still the last user mm). Each is one switch into b.
//! The decision is the policy's own rule ([`crate::policy::Policy::ibpb`]), so the
//! count is exactly what the model's `switch_mm` would do.

use crate::config::Config;
use crate::kernel::machine::{SwitchModel, KTHREAD};
use crate::policy::Switch;

/// IBPBs issued and switches made on the fixed sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// IBPBs issued.
    pub ibpbs: usize,
    /// Switches into a user task of another mm.
    pub switches: usize,
}

/// Runs the fixed sequence for `config`'s policy and tasks.
pub fn cost(config: &Config) -> Cost {
    let model = SwitchModel::new(config.clone()).expect("a validated configuration");
    let users: Vec<_> = model
        .tasks
        .iter()
        .filter(|t| model.is_user_info(t))
        .map(|t| t.view)
        .collect();
    let mut out = Cost {
        ibpbs: 0,
        switches: 0,
    };
    for (i, a) in users.iter().enumerate() {
        for (j, b) in users.iter().enumerate() {
            if i == j {
                continue;
            }
            for prev in [*a, KTHREAD] {
                let sw = Switch {
                    prev,
                    next: *b,
                    last_user: Some(*a),
                    same_mm: false,
                    cap_denied: config.denies_capability(&prev),
                };
                out.switches += 1;
                out.ibpbs += config.policy.ibpb(&sw) as usize;
            }
        }
    }
    out
}

impl SwitchModel {
    /// Whether `info` is a user task.
    pub fn is_user_info(&self, info: &crate::kernel::machine::TaskInfo) -> bool {
        info.kind == crate::kernel::machine::TaskKind::User
    }
}
