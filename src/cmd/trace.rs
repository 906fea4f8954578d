//! `switchpath trace show|html|export`: reading a counterexample trace.

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
    }
    Ok(Exit::Success)
}
