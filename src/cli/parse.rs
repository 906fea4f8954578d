//! Value parsers of the command line's arguments.

use switchpath_model::seeded::{Bug, SearchBug};

/// A seeded bug of either kind.
#[derive(Clone, Copy)]
pub enum Seeded {
    /// A bug of the kernel code (caught by the model and by shuttle).
    Kernel(Bug),
    /// A bug of the search's reduction (caught by the search's own checks).
    Search(SearchBug),
}

/// `--bug`: a seeded bug of the kernel code or of the search, by name.
pub fn parse_seeded(text: &str) -> Result<Seeded, String> {
    match SearchBug::parse(text) {
        Some(b) => Ok(Seeded::Search(b)),
        None => Bug::parse(text).map(Seeded::Kernel).map_err(|e| {
            let names: Vec<&str> = SearchBug::ALL.iter().map(|b| b.name()).collect();
            format!("{e}, or of the search ({})", names.join(", "))
        }),
    }
}

/// `--search-bug`: a seeded bug of the search, by name.
pub fn parse_search_bug(text: &str) -> Result<SearchBug, String> {
    SearchBug::parse(text).ok_or_else(|| {
        let names: Vec<&str> = SearchBug::ALL.iter().map(|b| b.name()).collect();
        format!(
            "`{text}` is not a seeded bug of the search{} ({})",
            switchpath_model::policy::did_you_mean(text, &names),
            names.join(", ")
        )
    })
}

/// A duration in seconds, 0 < N <= 3600.
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err(format!(
            "`{text}` is not a duration in seconds (0 < N <= 3600)"
        )),
    }
}

/// `--max-states`: a bound of at least one state (0 would store nothing and
/// prove nothing).
pub fn parse_max_states(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("a bound on states is at least 1".to_string()),
        Err(_) => Err(format!("`{text}` is not a number of states")),
    }
}

/// `trace show --steps FROM..TO` (or `FROM..`): 1-based, both ends included.
pub fn parse_step_range(text: &str) -> Result<(usize, Option<usize>), String> {
    let bad = || format!("`{text}` is not a step range (FROM..TO or FROM.., from 1)");
    let (from, to) = text.split_once("..").ok_or_else(bad)?;
    let from: usize = from.trim().parse().map_err(|_| bad())?;
    let to: Option<usize> = match to.trim() {
        "" => None,
        t => Some(t.parse().map_err(|_| bad())?),
    };
    if from == 0 || to.is_some_and(|t| t < from) {
        return Err(bad());
    }
    Ok((from, to))
}

/// `sample --walks`: at least one walk a shard.
pub fn parse_walks(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("a shard runs at least 1 walk".to_string()),
        Err(_) => Err(format!("`{text}` is not a number of walks")),
    }
}

/// `--ibpb-cycles`: `N` or `LOW-HIGH` cycles per IBPB.
pub fn parse_cycles(text: &str) -> Result<[u64; 2], String> {
    let bad = || format!("`{text}` is not a number of cycles (N or LOW-HIGH, 1 to 10000000)");
    let one = |t: &str| match t.trim().parse::<u64>() {
        Ok(n) if (1..=10_000_000).contains(&n) => Ok(n),
        _ => Err(bad()),
    };
    let (lo, hi) = match text.split_once('-') {
        Some((a, b)) => (one(a)?, one(b)?),
        None => (one(text)?, one(text)?),
    };
    if lo > hi {
        return Err(format!("`{text}`: the low price is above the high one"));
    }
    Ok([lo, hi])
}

/// `--ghz`: a clock frequency in GHz.
pub fn parse_ghz(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(g) if (0.01..=100.0).contains(&g) => Ok(g),
        _ => Err(format!("`{text}` is not a clock in GHz (0.01 to 100)")),
    }
}

/// Parses a seeded bug of the kernel code by name (`progress --bug`).
pub fn parse_kernel_bug(text: &str) -> Result<switchpath_model::seeded::Bug, String> {
    switchpath_model::seeded::Bug::parse(text)
}
