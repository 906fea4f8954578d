//! Exit codes and the one error type: the only place an outcome becomes 0–4.
//!
//! Every command ends in an [`Exit`] (what it found) or an [`Error`] (why it could
//! not go on: an [`Exit`] and a one-line message). The README's exit-code table
//! lists the same codes and names; a test holds the two together.

use std::fmt;
use std::process::ExitCode;

/// How `switchpath` exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything holds (or every case is as expected, the docs are fresh, every
    /// seeded bug is caught, a run found no lockup).
    Success = 0,
    /// A property fails or is vacuous (or a case mismatches, a replayed trace
    /// reproduces its violation, a lock-class cycle or a lockup is found, a docs
    /// page is stale, a seeded bug is missed).
    Fails = 1,
    /// Bad input: files or an output path that cannot be written (one line on
    /// stderr), or arguments (clap's full error).
    BadInput = 2,
    /// The search did not finish (a bound, Ctrl-C), and found no violation; a
    /// sample without violations, which is never a proof.
    Incomplete = 3,
    /// switchpath's own engines disagree, or it panicked: an internal error to
    /// report.
    Internal = 4,
}

impl Exit {
    /// Every exit code, in order.
    pub const ALL: [Exit; 5] = [
        Exit::Success,
        Exit::Fails,
        Exit::BadInput,
        Exit::Incomplete,
        Exit::Internal,
    ];

    /// What the code means, in one sentence (the man page's EXIT STATUS).
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Success => "Everything holds (or every case is as expected, the docs are fresh, every seeded bug is caught, a run found no lockup).",
            Exit::Fails => "A property fails or is vacuous (or a case mismatches, a replayed trace reproduces its violation, a lock-class cycle or a lockup is found, a docs page is stale, a seeded bug is missed); a failure found before a bound or Ctrl-C stopped the search wins over 3.",
            Exit::BadInput => "Bad input: a bad file or an output path that cannot be written (one line on stderr), or bad arguments (clap's full error).",
            Exit::Incomplete => "The search did not finish (a bound, a time limit, Ctrl-C) and found no violation; a sample without violations, which is never a proof.",
            Exit::Internal => "An internal error to report: switchpath's own engines disagree, a premise of a reduction failed, or it panicked.",
        }
    }

    /// The process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// A search's exit: [`Exit::Fails`] when it found something (a violation, an
    /// unexpected row, a cycle), else [`Exit::Incomplete`] when it did not finish,
    /// else [`Exit::Success`].
    pub fn of_search(found: bool, complete: bool) -> Exit {
        if found {
            Exit::Fails
        } else if !complete {
            Exit::Incomplete
        } else {
            Exit::Success
        }
    }

    /// [`Exit::Success`] when `ok`, else [`Exit::Fails`] (a case as expected, the
    /// docs fresh, every seeded bug caught).
    pub fn success_if(ok: bool) -> Exit {
        if ok {
            Exit::Success
        } else {
            Exit::Fails
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// Why a command could not go on: its exit code and a one-line message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The exit code ([`Exit::BadInput`], [`Exit::Incomplete`] or [`Exit::Internal`]).
    pub exit: Exit,
    /// One line, printed after `switchpath: ` on stderr.
    pub message: String,
}

impl Error {
    /// Bad input (exit 2): an argument, a file, or an output path.
    pub fn bad_input(message: impl Into<String>) -> Error {
        Error {
            exit: Exit::BadInput,
            message: message.into(),
        }
    }

    /// An internal error of switchpath's own (exit 4): two of its engines disagree.
    pub fn internal(message: impl Into<String>) -> Error {
        Error {
            exit: Exit::Internal,
            message: message.into(),
        }
    }

    /// The work could not finish (exit 3).
    pub fn incomplete(message: impl Into<String>) -> Error {
        Error {
            exit: Exit::Incomplete,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_zero_to_four_in_order() {
        let codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_finding_outranks_an_unfinished_search() {
        assert_eq!(Exit::of_search(true, false), Exit::Fails);
        assert_eq!(Exit::of_search(false, false), Exit::Incomplete);
        assert_eq!(Exit::of_search(false, true), Exit::Success);
        assert_eq!(Exit::success_if(false), Exit::Fails);
    }
}
