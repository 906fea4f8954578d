//! `switchpath selftest`: every seeded bug through the model checker and shuttle.

use crate::cli::parse::Seeded;
use crate::cli::SelftestArgs;
use crate::silence;
use std::sync::atomic::{AtomicBool, Ordering};
use switchpath::exit::{Error, Exit};
use switchpath_concrete::selftest::{check, check_search, Finding};
use switchpath_model::config::count;
use switchpath_model::seeded::{Bug, SearchBug};

/// Runs the seeded bugs: [`Exit::Success`] only when every one is caught.
pub fn run(args: SelftestArgs, interrupt: &AtomicBool) -> Result<Exit, Error> {
    let bugs: Vec<Seeded> = match args.bug {
        Some(b) => vec![b],
        None => Bug::ALL
            .into_iter()
            .chain(Bug::PROGRESS)
            .map(Seeded::Kernel)
            .chain(SearchBug::ALL.into_iter().map(Seeded::Search))
            .collect(),
    };
    let mark = |f: &Finding| match f {
        Finding::Caught(how) => format!("caught: {how}"),
        Finding::Missed(why) => format!("MISSED: {why}"),
    };
    let mut caught = 0;
    for (done, &bug) in bugs.iter().enumerate() {
        if interrupt.load(Ordering::Relaxed) {
            println!(
                "interrupted (Ctrl-C) after {} of {}: caught {caught}/{done} so far",
                count(done, "bug"),
                bugs.len()
            );
            return Ok(Exit::Incomplete);
        }
        match bug {
            Seeded::Kernel(bug) if Bug::PROGRESS.contains(&bug) => {
                let f = match switchpath_model::search::progress::selftest(bug) {
                    Ok(how) => Finding::Caught(how),
                    Err(why) => Finding::Missed(why),
                };
                println!("{}: {}", bug.name(), bug.mistake());
                println!("  on  {}", bug.config().describe());
                println!("  progress {}", mark(&f));
                println!("  shuttle  not run: shuttle checks no progress property");
                caught += f.caught() as usize;
            }
            Seeded::Kernel(bug) => {
                // shuttle prints each failing schedule's seed to stderr; the failures
                // are the point here, and are summarised below.
                let r = silence::stderr(|| check(bug));
                println!("{}: {}", bug.name(), bug.mistake());
                println!("  on  {}", bug.config().describe());
                println!("  model    {}", mark(&r.model));
                println!("  shuttle  {}", mark(&r.shuttle));
                caught += r.caught() as usize;
            }
            Seeded::Search(bug) => {
                let f = check_search(bug);
                println!("{} (the search): {}", bug.name(), bug.mistake());
                println!("  on  {}", bug.config().describe());
                println!("  search   {}", mark(&f));
                caught += f.caught() as usize;
            }
        }
    }
    println!(
        "caught {caught}/{} (each kernel bug by the model and by shuttle, a progress bug by the progress check, each search bug by the search's own checks)",
        bugs.len()
    );
    Ok(Exit::success_if(caught == bugs.len()))
}
