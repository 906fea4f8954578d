//! `switchpath list`: every name the command line and case files take.

use crate::cli::knobs::Knobs;
use clap::Args;
use switchpath::exit::{Error, Exit};
use switchpath_model::check::progress::PROGRESS;
use switchpath_model::properties::{Witness, CHECKED};
use switchpath_model::seeded::{Bug, SearchBug};
use switchpath_model::Policy;

/// Prints the policies, properties, witnesses, knobs and seeded bugs.
pub fn run() -> Result<Exit, Error> {
    println!("policies (--policy):");
    for p in Policy::ALL {
        println!("  {:<22} {} [{}]", p.name(), p.rule(), p.origin());
    }
    println!("policy files (--policy-file): the same form, docs/own-policy.md; policies/ holds the shipped ones and uek4.toml");
    println!("properties:");
    for p in CHECKED {
        println!("  {p}");
    }
    println!("progress properties (`switchpath progress`; case files too):");
    for p in PROGRESS {
        println!("  {p}");
    }
    println!("witnesses (reachability checks behind every verdict):");
    for w in Witness::ALL {
        println!("  {}", w.name());
    }
    println!("knobs (case files: the same names under [config], without --):");
    let knobs = Knobs::augment_args(clap::Command::new("knobs"));
    for a in knobs.get_arguments() {
        let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
        let first = help.split(". ").next().unwrap_or("").trim_end_matches('.');
        println!(
            "  --{:<20} {first}",
            a.get_long().unwrap_or(a.get_id().as_str())
        );
    }
    println!("seeded bugs (selftest --bug):");
    for b in Bug::ALL {
        println!("  {:<34} {}", b.name(), b.mistake());
    }
    for b in Bug::PROGRESS {
        println!(
            "  {:<34} {} (a progress bug: also `progress --bug`)",
            b.name(),
            b.mistake()
        );
    }
    for b in SearchBug::ALL {
        println!("  {:<34} {} (the search)", b.name(), b.mistake());
    }
    Ok(Exit::Success)
}
