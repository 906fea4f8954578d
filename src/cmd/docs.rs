//! `switchpath docs`: the generated sections of `docs/`, from the tool's own output.

use super::write_output;
use crate::cli::DocsArgs;
use std::sync::atomic::AtomicBool;
use switchpath::exit::{Error, Exit};
use switchpath::{docs, matrix};

/// Rewrites the stale pages, or with `--check` lists them ([`Exit::Fails`] if any).
pub fn run(args: DocsArgs, interrupt: &AtomicBool) -> Result<Exit, Error> {
    if !std::path::Path::new("docs").is_dir() {
        return Err(Error::bad_input(
            "no docs/ directory here: run switchpath docs from the repository root",
        ));
    }
    let m = matrix::run_matrix(None, interrupt, false)?;
    if !m.complete {
        return Err(Error::incomplete(
            "the matrix did not finish: docs left as they are",
        ));
    }
    let root = std::path::Path::new(".");
    let stale = docs::stale_pages(root, &m).map_err(Error::bad_input)?;
    let (pages, with, sections) = docs::coverage(root);
    if args.check {
        for (page, _) in &stale {
            println!("stale: {} (run `switchpath docs`)", page.display());
        }
        println!(
            "checked {sections} generated sections in {with} of {pages} pages (README.md and docs/): {}",
            if stale.is_empty() {
                "every one as a fresh run writes it".to_string()
            } else {
                format!("{} stale", stale.len())
            }
        );
        return Ok(Exit::success_if(stale.is_empty()));
    }
    for (page, text) in &stale {
        write_output(page, text)?;
        println!("rewrote {}", page.display());
    }
    Ok(Exit::Success)
}
