//! `switchpath explore`: stateright's Explorer for one configuration.

use crate::cli::knobs::KnobsFor;
use crate::cli::ExploreArgs;
use stateright::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use switchpath::exit::{Error, Exit};
use switchpath_model::{frames, trace, SwitchModel};

/// Serves the Explorer on 127.0.0.1 until Ctrl-C; with `--trace`, for the trace's
/// configuration, and prints the link that opens at its last state.
pub fn run(args: ExploreArgs, given: &[String], interrupt: &AtomicBool) -> Result<Exit, Error> {
    use stateright::Model;
    let (config, path) = match &args.trace {
        Some(file) => {
            if !given.is_empty() {
                return Err(Error::bad_input(format!(
                    "explore --trace takes the configuration from the trace: drop {}",
                    given.join(", ")
                )));
            }
            let t = trace::load_verified(file).map_err(Error::bad_input)?;
            let actions: Vec<_> = t.steps.iter().map(|s| s.action).collect();
            (t.config, Some(actions))
        }
        None => (args.knobs.config(KnobsFor::Explore)?, None),
    };
    let model = SwitchModel::new(config.clone()).map_err(Error::bad_input)?;
    frames::register_task_names(model.task_ids().map(|t| model.task_name(t)).collect());
    let asked = format!("127.0.0.1:{}", args.port);
    // `--port 0` asks the system for a free port: the one it gives is the one
    // served and printed (stateright binds again, to that port).
    let addr = std::net::TcpListener::bind(&asked)
        .and_then(|l| l.local_addr())
        .map_err(|e| Error::bad_input(format!("cannot listen on {asked}: {e}")))?
        .to_string();
    println!("switchpath explore: {}", config.describe());
    println!("Explorer on http://{addr}/ (Ctrl-C to stop)");
    if let Some(actions) = path {
        let p = Path::from_actions(&model, model.initial_state(), actions.iter())
            .expect("a replayed trace is a path of its model");
        println!(
            "the counterexample, at its last state: http://{addr}/#/steps/{}",
            p.encode(&model)
        );
    }
    // stateright serves until the process ends: serve from a thread, and end when
    // Ctrl-C sets the flag (the handler keeps SIGINT from killing the process).
    std::thread::spawn(move || {
        model.checker().serve(addr.as_str());
    });
    while !interrupt.load(Ordering::Relaxed) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    println!("stopped serving (Ctrl-C)");
    Ok(Exit::Success)
}
