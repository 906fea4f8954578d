//! The `switchpath` command line: process set-up, then one command.
//!
//! The clap types are in `cli/`, one file per command in `cmd/`, and how the
//! process exits in the library's `exit` module (`switchpath::exit::Exit`, the
//! README's exit-code table).

mod cli;
mod cmd;
mod silence;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use switchpath::exit::{Error, Exit};

fn main() -> ExitCode {
    // Die quietly on a closed pipe (`switchpath matrix | head`), as Unix tools do.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    use clap::{CommandFactory, FromArgMatches};
    let parsed = cli::Cli::command()
        .try_get_matches()
        .and_then(|m| cli::Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (cli, given) = match parsed {
        Ok((cli, m)) => {
            let given = m
                .subcommand()
                .map(|(_, sub)| cli::knobs::given(sub))
                .unwrap_or_default();
            (cli, given)
        }
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                print!("{e}");
                return Exit::Success.into();
            }
            // An argument error in full, as clap renders it: the error, tips
            // ("a similar argument exists"), possible values, the missing
            // arguments, usage. A bare command (`switchpath`, `switchpath trace`)
            // gets its help, on stderr, and exit 2. Errors in input files stay one
            // line (the commands print those).
            let _ = e.print();
            return Exit::BadInput.into();
        }
    };
    cli::QUIET.store(cli.quiet, Ordering::Relaxed);
    switchpath::view::set_color_choice(cli.color);
    let interrupt = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupt);
        // Without a handler Ctrl-C still stops the process; the handler lets a run
        // finish its report instead.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
    }
    // A panic is a bug of switchpath's own: the default hook has printed it; exit 4
    // (an internal error to report), not the runtime's 101.
    // Every command prints with `print!`, which panics when standard output
    // cannot be written (a full disk, /dev/full; a closed pipe ends the process
    // quietly above): that is the output's fault, not a bug. The hook keeps the
    // default report for every other panic.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if stdout_failure(info.payload()).is_none() {
            default_hook(info);
        }
    }));
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        cmd::dispatch(cli, &given, &interrupt)
    }));
    let result = run.unwrap_or_else(|payload| match stdout_failure(&*payload) {
        Some(why) => Err(Error::bad_input(format!(
            "cannot write to standard output: {why}"
        ))),
        None => Err(Error::internal(format!(
            "{} switchpath panicked (the message above); please report it",
            switchpath_model::verify::INTERNAL_ERROR
        ))),
    });
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("switchpath: {e}");
            e.exit.into()
        }
    }
}

/// The reason, when a panic is the standard library's "failed printing to
/// stdout: REASON".
fn stdout_failure(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())?;
    message
        .strip_prefix("failed printing to stdout: ")
        .map(str::to_string)
}
