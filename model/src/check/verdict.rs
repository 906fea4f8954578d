//! The verdict on one property, and the one rule that derives it from a search.
//!
//! A verdict is `holds` only when the search finished and every witness the
//! configuration allows was reached; `fails` comes with the shortest counterexample;
//! `vacuous` means an allowed witness was never reached, so a "holds" would prove
//! nothing; `incomplete` means the search stopped early and found no violation.

use serde::{Deserialize, Serialize};

/// The verdict on one property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Complete search, witnesses reached, no violation.
    Holds,
    /// A violation, with its shortest counterexample.
    Fails,
    /// Complete search, no violation, but an allowed witness was never reached.
    Vacuous,
    /// The search stopped early without finding a violation.
    Incomplete,
}

impl Verdict {
    /// The verdict on a property after a search: `fails` when it was violated, else
    /// `incomplete` when the search did not finish, else `vacuous` when a witness
    /// the configuration allows was never reached, else `holds`.
    pub fn derive(violated: bool, complete: bool, witness_missing: bool) -> Verdict {
        if violated {
            Verdict::Fails
        } else if !complete {
            Verdict::Incomplete
        } else if witness_missing {
            Verdict::Vacuous
        } else {
            Verdict::Holds
        }
    }

    /// Parses `holds`, `fails`, `vacuous`, `incomplete`.
    pub fn parse(text: &str) -> Result<Verdict, String> {
        match text {
            "holds" => Ok(Verdict::Holds),
            "fails" => Ok(Verdict::Fails),
            "vacuous" => Ok(Verdict::Vacuous),
            "incomplete" => Ok(Verdict::Incomplete),
            other => Err(format!(
                "`{other}` is not a verdict (holds, fails, vacuous, incomplete)"
            )),
        }
    }

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Fails => "fails",
            Verdict::Vacuous => "vacuous",
            Verdict::Incomplete => "incomplete",
        }
    }
}
