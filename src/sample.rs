//! Randomized search spread over many machines: `switchpath sample --shard K/N` and
//! `switchpath merge`.
//!
//! Where the exhaustive search does not fit, random walks through the model still
//! find violations. Walk `i` is fully determined by the seed and `i` (its own
//! splitmix64 stream), and shard `K` of `N` runs walks `K·W .. (K+1)·W` for `W`
//! walks per shard, so shards are disjoint and any batch system can run them: one
//! JSON result per shard, then `merge` checks that the shards agree on the
//! configuration and cover `0..N` exactly once, and keeps, per property, the
//! shortest violating walk (ties: the lowest walk index). A sample never proves a
//! property: with no violation the answer is "none found in so many walks", exit 3.

use crate::exit::Exit;
use serde::{Deserialize, Serialize};
use stateright::{Expectation, Model};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use switchpath_model::completeness::SplitMix;
use switchpath_model::properties::CHECKED;
use switchpath_model::{Action, Config, SwitchModel};

/// The `format` of a sample result ([`crate::json`]'s envelope).
pub const FORMAT: &str = "switchpath-sample";
/// The `version` this build writes and reads.
pub const VERSION: u32 = 2;

/// Which slice of the walks a run takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u32,
    /// How many shards there are.
    pub count: u32,
}

impl Shard {
    /// Parses `K/N` with `0 <= K < N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard `{text}`: expected K/N with 0 <= K < N, e.g. 3/64");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// One violating walk.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Violation {
    /// The walk's global index.
    pub walk: u64,
    /// Its actions up to the violating state.
    pub path: Vec<Action>,
}

/// One shard's result, or a merge of several.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleResult {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The configuration.
    pub config: Config,
    /// The base seed.
    pub seed: u64,
    /// Walks per shard.
    pub walks_per_shard: u64,
    /// Longest walk, in steps.
    pub depth: usize,
    /// How many shards the walks are cut into.
    pub shard_count: u32,
    /// The shards this result covers (one for a shard run, many for a merge).
    pub shards: Vec<u32>,
    /// Walks actually run (less than planned if interrupted).
    pub walks: u64,
    /// Steps taken over all walks.
    pub steps: u64,
    /// The run was interrupted.
    pub interrupted: bool,
    /// Per violated property, its shortest violating walk.
    pub violations: BTreeMap<String, Violation>,
}

/// Runs one shard's walks.
pub fn sample(
    config: &Config,
    shard: Shard,
    walks_per_shard: u64,
    depth: usize,
    seed: u64,
    interrupt: &AtomicBool,
) -> Result<SampleResult, String> {
    let model = SwitchModel::new(config.clone())?;
    let checked: Vec<_> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == Expectation::Always && CHECKED.contains(&p.name))
        .collect();
    let mut result = SampleResult {
        format: FORMAT.into(),
        version: VERSION,
        config: config.clone(),
        seed,
        walks_per_shard,
        depth,
        shard_count: shard.count,
        shards: vec![shard.index],
        walks: 0,
        steps: 0,
        interrupted: false,
        violations: BTreeMap::new(),
    };
    let walk_range = (shard.index as u64)
        .checked_mul(walks_per_shard)
        .and_then(|first| Some(first..first.checked_add(walks_per_shard)?))
        .ok_or_else(|| {
            format!(
                "shard {}/{} of {walks_per_shard} walks each: walk numbers past 2^64",
                shard.index, shard.count
            )
        })?;
    let mut actions = Vec::new();
    for walk in walk_range {
        if interrupt.load(Ordering::Relaxed) {
            result.interrupted = true;
            break;
        }
        let mut rng = SplitMix::for_walk(seed, walk);
        let mut s = model.initial_state();
        let mut path = Vec::new();
        loop {
            for prop in &checked {
                if (prop.condition)(&model, &s) {
                    continue;
                }
                let shorter = result
                    .violations
                    .get(prop.name)
                    .is_none_or(|v| path.len() < v.path.len());
                if shorter {
                    result.violations.insert(
                        prop.name.to_string(),
                        Violation {
                            walk,
                            path: path.clone(),
                        },
                    );
                }
            }
            if path.len() >= depth {
                break;
            }
            model.actions(&s, &mut actions);
            if actions.is_empty() {
                break;
            }
            let a = actions[rng.below(actions.len())];
            actions.clear();
            s = model
                .next_state(&s, a)
                .expect("every action has a successor");
            path.push(a);
        }
        result.walks += 1;
        result.steps += path.len() as u64;
    }
    Ok(result)
}

/// Merges shard results: one configuration, seed, walk count and depth; no shard
/// twice. Missing shards are allowed and reported by [`missing_shards`].
pub fn merge(parts: Vec<(String, SampleResult)>) -> Result<SampleResult, String> {
    let mut iter = parts.into_iter();
    let (first_name, mut merged) = iter.next().ok_or("merge needs at least one result file")?;
    for (name, part) in iter {
        let same = part.config == merged.config
            && part.seed == merged.seed
            && part.walks_per_shard == merged.walks_per_shard
            && part.depth == merged.depth
            && part.shard_count == merged.shard_count;
        if !same {
            return Err(format!(
                "{name}: not the same search as {first_name} (configuration, seed, walks, depth or shard count differ)"
            ));
        }
        if let Some(dup) = part.shards.iter().find(|k| merged.shards.contains(k)) {
            return Err(format!("{name}: shard {dup} is already in the merge"));
        }
        merged.shards.extend(&part.shards);
        let (Some(walks), Some(steps)) = (
            merged.walks.checked_add(part.walks),
            merged.steps.checked_add(part.steps),
        ) else {
            return Err(format!("{name}: walk or step counts add up past 2^64"));
        };
        merged.walks = walks;
        merged.steps = steps;
        merged.interrupted |= part.interrupted;
        for (prop, v) in part.violations {
            let better = merged
                .violations
                .get(&prop)
                .is_none_or(|m| (v.path.len(), v.walk) < (m.path.len(), m.walk));
            if better {
                merged.violations.insert(prop, v);
            }
        }
    }
    merged.shards.sort_unstable();
    Ok(merged)
}

/// Shards of `0..shard_count` the result does not cover.
pub fn missing_shards(r: &SampleResult) -> Vec<u32> {
    (0..r.shard_count)
        .filter(|k| !r.shards.contains(k))
        .collect()
}

/// Loads a shard result; every error is one line naming the file.
pub fn load(path: &std::path::Path) -> Result<SampleResult, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// Parses and checks the text of a shard result called `name` (for the messages).
pub fn parse(text: &str, name: &str) -> Result<SampleResult, String> {
    let r: SampleResult = serde_json::from_str(text)
        .map_err(|e| format!("{name}: not a switchpath sample result: {e}"))?;
    if r.format != FORMAT {
        return Err(format!(
            "{name}: not a switchpath sample result (format `{}`)",
            r.format
        ));
    }
    if r.version != VERSION {
        return Err(format!(
            "{name}: sample version {} (this switchpath reads {VERSION})",
            r.version
        ));
    }
    r.config
        .validate()
        .map_err(|e| format!("{name}: {}", switchpath_model::Config::in_file_terms(&e)))?;
    if r.shard_count == 0 || r.shards.iter().any(|&k| k >= r.shard_count) {
        return Err(format!(
            "{name}: shard numbers outside 0..{}",
            r.shard_count
        ));
    }
    let model = SwitchModel::new(r.config.clone()).map_err(|e| format!("{name}: {e}"))?;
    for (prop, v) in &r.violations {
        replays_to(&model, prop, &v.path).map_err(|e| format!("{name}: {prop}: {e}"))?;
    }
    Ok(r)
}

/// Checks that `path` is a run of the model ending in a state that violates `prop`.
fn replays_to(model: &SwitchModel, prop: &str, path: &[Action]) -> Result<(), String> {
    let s = switchpath_model::trace::check_path(model, path)?;
    let property = model
        .properties()
        .into_iter()
        .find(|p| p.name == prop && CHECKED.contains(&p.name))
        .ok_or_else(|| format!("`{prop}` is not a checked property"))?;
    if (property.condition)(model, &s) {
        return Err("the walk does not end in a violation".into());
    }
    Ok(())
}

/// The result as text: walks, shards, and each violation or "none found".
pub fn render(r: &SampleResult) -> String {
    let mut out = format!(
        "sample: {}\n{} walks of up to {} steps ({} steps in all), seed {:#x}, shards {}/{}{}\n",
        r.config.describe(),
        r.walks,
        r.depth,
        r.steps,
        r.seed,
        r.shards.len(),
        r.shard_count,
        if r.interrupted { ", INTERRUPTED" } else { "" }
    );
    let missing = missing_shards(r);
    if !missing.is_empty() && r.shards.len() > 1 {
        let list: Vec<String> = missing.iter().map(|k| k.to_string()).collect();
        out.push_str(&format!("missing shards: {}\n", list.join(" ")));
    }
    for prop in CHECKED {
        match r.violations.get(prop) {
            Some(v) => out.push_str(&format!(
                "  {prop:<21} fails in {} steps (walk {})\n",
                v.path.len(),
                v.walk
            )),
            None => out.push_str(&format!(
                "  {prop:<21} no violation found (a sample, not a proof)\n"
            )),
        }
    }
    out
}

/// How `sample` and `merge` exit: [`Exit::Fails`] if anything fails, else
/// [`Exit::Incomplete`]: a sample never proves a property.
pub fn exit(r: &SampleResult) -> Exit {
    Exit::of_search(!r.violations.is_empty(), false)
}
