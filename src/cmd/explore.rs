//! `switchpath explore`: stateright's Explorer for one configuration.

use crate::cli::knobs::KnobsFor;
use crate::cli::ExploreArgs;
use switchpath::exit::{Error, Exit};

/// Serves the Explorer on 127.0.0.1 until Ctrl-C.
pub fn run(args: ExploreArgs) -> Result<Exit, Error> {
    use stateright::Model;
    let config = args.knobs.config(KnobsFor::Explore)?;
    let model = switchpath_model::SwitchModel::new(config.clone()).map_err(Error::bad_input)?;
    let addr = format!("127.0.0.1:{}", args.port);
    std::net::TcpListener::bind(&addr)
        .map_err(|e| Error::bad_input(format!("cannot listen on {addr}: {e}")))?;
    println!("switchpath explore: {}", config.describe());
    println!("Explorer on http://{addr}/ (Ctrl-C to stop)");
    model.checker().serve(addr.as_str());
    Ok(Exit::Success)
}
