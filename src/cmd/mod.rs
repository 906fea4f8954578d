//! One file per subcommand: each runs its command and prints its output, and
//! returns how the process exits ([`Exit`]) or why it could not go on ([`Error`]).

mod bench;
mod check;
mod cost;
mod cutoff;
mod diff;
mod docs;
mod explore;
mod list;
mod lockgraph;
mod man;
mod matrix;
mod merge;
mod progress;
mod run;
mod sample;
mod selftest;
mod trace;

use crate::cli::{Cli, Command};
use std::sync::atomic::AtomicBool;
use switchpath::exit::{Error, Exit};

/// Runs the command `cli` names; `given` are the knobs given on its command line
/// (`--cpus`, ...); `interrupt` is set by Ctrl-C.
pub fn dispatch(cli: Cli, given: &[String], interrupt: &AtomicBool) -> Result<Exit, Error> {
    match cli.command {
        Command::Matrix(args) => matrix::run(args, interrupt),
        Command::Check(args) => check::run(args, given, interrupt),
        Command::Progress(args) => progress::run(args, interrupt),
        Command::Run(args) => run::run(args, interrupt),
        Command::Diff(args) => diff::run(args, interrupt),
        Command::Cost(args) => cost::run(args),
        Command::Trace(cmd) => trace::run(cmd),
        Command::Explore(args) => explore::run(args, given, interrupt),
        Command::Docs(args) => docs::run(args, interrupt),
        Command::Bench(args) => bench::run(args, interrupt),
        Command::Lockgraph(args) => lockgraph::run(args, interrupt),
        Command::Cutoff(args) => cutoff::run(args, given, interrupt),
        Command::Selftest(args) => selftest::run(args, interrupt),
        Command::Sample(args) => sample::run(args, interrupt),
        Command::Merge(args) => merge::run(args),
        Command::List => list::run(),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "switchpath",
                &mut std::io::stdout(),
            );
            Ok(Exit::Success)
        }
        Command::Man { command, out_dir } => man::run(command.as_deref(), out_dir.as_deref()),
    }
}

/// Progress lines on stderr, when it is a terminal and `--quiet` was not given.
fn progress_wanted() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && !crate::cli::quiet()
}

/// Writes `text` to `path` atomically; a path that cannot be written is bad input.
fn write_output(path: &std::path::Path, text: &str) -> Result<(), Error> {
    switchpath_model::trace::write_file_atomic(path, text.as_bytes()).map_err(Error::bad_input)
}
