//! `switchpath trace show|html|export|upgrade`: reading a counterexample trace, and
//! carrying one forward to this build.

use super::write_output;
use crate::cli::TraceCommand;
use switchpath::exit::{Error, Exit};
use switchpath::{export, html, view};
use switchpath_model::config::count;
use switchpath_model::trace;

/// Shows, draws or exports one trace.
pub fn run(cmd: TraceCommand) -> Result<Exit, Error> {
    match cmd {
        TraceCommand::Show(a) => {
            let t = trace::load_verified(&a.file).map_err(Error::bad_input)?;
            if a.backtrace {
                print!("{}", view::backtrace(&t));
            } else if a.lockdep {
                print!("{}", view::lockdep(&t));
            } else {
                let mut style = view::Style::detect();
                style.width = match a.width {
                    Some(w) => w as usize,
                    None if view::output_is_terminal() => style.width,
                    None => view::UNLIMITED,
                };
                let last = t.steps.len();
                let (from, to) = a.steps.unwrap_or((1, None));
                if from > last {
                    return Err(Error::bad_input(format!(
                        "--steps {from}..: the trace has {}",
                        count(last, "step")
                    )));
                }
                let to = to.unwrap_or(last).min(last);
                print!("{}", view::show_steps(&t, style, from..=to));
            }
        }
        TraceCommand::Html(a) => {
            let t = trace::load_verified(&a.file).map_err(Error::bad_input)?;
            write_output(&a.output, &html::render(&t))?;
            println!(
                "{}: {}, {}",
                a.output.display(),
                count(t.steps.len(), "step"),
                count(t.config.cpus, "CPU")
            );
        }
        TraceCommand::Export(a) => {
            let t = trace::load_verified(&a.file).map_err(Error::bad_input)?;
            let text = if a.dot {
                export::dot(&t)
            } else {
                serde_json::to_string_pretty(&export::itf(&t)).expect("ITF serializes") + "\n"
            };
            match &a.output {
                Some(path) => write_output(path, &text)?,
                None => print!("{text}"),
            }
        }
        TraceCommand::Upgrade(a) => {
            // Every file is rebuilt before any is written: one that no longer
            // replays leaves all of them as they were.
            let mut rebuilt = Vec::new();
            for file in &a.files {
                let t = trace::load(file).map_err(Error::bad_input)?;
                let (new, changed) = trace::upgrade(&t)
                    .map_err(|e| Error::bad_input(format!("{}: {e}", file.display())))?;
                rebuilt.push((file, new, changed));
            }
            for (file, new, changed) in rebuilt {
                if changed {
                    trace::write_atomic(file, &new).map_err(Error::bad_input)?;
                    println!("{}: rewritten", file.display());
                } else {
                    println!("{}: already current", file.display());
                }
            }
        }
    }
    Ok(Exit::Success)
}
