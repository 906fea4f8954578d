//! `switchpath merge`: the results of `sample --shard K/N` runs, merged.

use crate::cli::MergeArgs;
use switchpath::exit::{Error, Exit};
use switchpath::sample;

/// Merges the shards' results and prints them as `sample` does.
pub fn run(args: MergeArgs) -> Result<Exit, Error> {
    let parts = args
        .files
        .iter()
        .map(|p| sample::load(p).map(|r| (p.display().to_string(), r)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::bad_input)?;
    let merged = sample::merge(parts).map_err(Error::bad_input)?;
    super::sample::finish(&merged, args.json, args.trace_out.as_deref())
}
