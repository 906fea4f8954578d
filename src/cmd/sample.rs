//! `switchpath sample`: one shard of random walks, for configurations too large to
//! explore.

use crate::cli::knobs::KnobsFor;
use crate::cli::SampleArgs;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use switchpath::exit::{Error, Exit};
use switchpath::sample::{self, SampleResult};
use switchpath_model::trace;

/// Runs one shard's walks.
pub fn run(args: SampleArgs, interrupt: &AtomicBool) -> Result<Exit, Error> {
    let config = args.knobs.config(KnobsFor::Sample)?;
    let r = sample::sample(
        &config,
        args.shard,
        args.walks,
        args.depth as usize,
        args.seed,
        interrupt,
    )
    .map_err(Error::bad_input)?;
    finish(&r, args.json, args.trace_out.as_deref())
}

/// Writes each violation's trace to `trace_out`, if given, and prints the result
/// (`sample` and `merge` alike).
pub fn finish(r: &SampleResult, json: bool, trace_out: Option<&Path>) -> Result<Exit, Error> {
    if let Some(dir) = trace_out {
        let model =
            switchpath_model::SwitchModel::new(r.config.clone()).map_err(Error::bad_input)?;
        for (prop, v) in &r.violations {
            let t = trace::build(&model, prop, &v.path, "sample");
            switchpath::report::write_trace(dir, None, &r.config, prop, &t)
                .map_err(Error::bad_input)?;
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(r).expect("a sample result serializes")
        );
    } else {
        print!("{}", sample::render(r));
    }
    Ok(sample::exit(r))
}
