//! `switchpath matrix`: every policy against the default configurations.

use super::progress_wanted;
use crate::cli::MatrixArgs;
use std::sync::atomic::AtomicBool;
use switchpath::exit::{Error, Exit};
use switchpath::matrix;

/// Runs the matrix and prints it as a table, JSON or Markdown.
pub fn run(args: MatrixArgs, interrupt: &AtomicBool) -> Result<Exit, Error> {
    let dir = (!args.no_traces && !args.markdown).then(|| args.trace_out.clone());
    let m = matrix::run_matrix(dir, interrupt, progress_wanted())?;
    if args.json {
        println!(
            "{}",
            switchpath::json::envelope(switchpath::json::MATRIX, &m)
        );
    } else if args.markdown {
        print!("{}", matrix::render_markdown(&m));
    } else {
        print!(
            "{}",
            matrix::render_text(&m, switchpath::view::Style::detect())
        );
    }
    Ok(m.exit())
}
