//! `switchpath man`: the man pages, one for the tool and one for each command, each
//! with the EXIT STATUS section the exit codes ([`Exit::meaning`]) make.

use super::write_output;
use crate::cli::Cli;
use clap::CommandFactory;
use switchpath::exit::{Error, Exit};

/// The page of `cmd`, named `name` (`switchpath-check`).
fn page(cmd: clap::Command, name: &str) -> Result<String, Error> {
    // clap names are `'static` (without its `string` feature): a few short names,
    // leaked by a command that prints and exits.
    let cmd = cmd.name(&*Box::leak(name.to_string().into_boxed_str()));
    let has_subcommands = cmd.has_subcommands();
    let man = clap_mangen::Man::new(cmd);
    let mut out: Vec<u8> = Vec::new();
    let fail = |e: std::io::Error| Error::bad_input(format!("cannot write the man page: {e}"));
    man.render_title(&mut out).map_err(fail)?;
    man.render_name_section(&mut out).map_err(fail)?;
    man.render_synopsis_section(&mut out).map_err(fail)?;
    man.render_description_section(&mut out).map_err(fail)?;
    man.render_options_section(&mut out).map_err(fail)?;
    if has_subcommands {
        man.render_subcommands_section(&mut out).map_err(fail)?;
    }
    out.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for e in Exit::ALL {
        out.extend_from_slice(format!(".TP\n\\fB{}\\fR\n{}\n", e.code(), e.meaning()).as_bytes());
    }
    man.render_version_section(&mut out).map_err(fail)?;
    Ok(String::from_utf8(out).expect("roff is text"))
}

/// Every page: (file stem, page), the tool's first, then each command's and each
/// of their commands' (`switchpath-trace-show`).
fn pages() -> Result<Vec<(String, String)>, Error> {
    let mut root = Cli::command();
    root.build();
    let mut out = vec![("switchpath".to_string(), page(root.clone(), "switchpath")?)];
    let mut stack: Vec<(String, clap::Command)> = root
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .map(|s| (format!("switchpath-{}", s.get_name()), s.clone()))
        .collect();
    stack.reverse();
    while let Some((name, cmd)) = stack.pop() {
        let subs: Vec<&clap::Command> = cmd
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .collect();
        for sub in subs.into_iter().rev() {
            stack.push((format!("{name}-{}", sub.get_name()), sub.clone()));
        }
        out.push((name.clone(), page(cmd, &name)?));
    }
    Ok(out)
}

/// Prints the tool's page or one command's, or writes every page into `out_dir`.
pub fn run(command: Option<&str>, out_dir: Option<&std::path::Path>) -> Result<Exit, Error> {
    let pages = pages()?;
    if let Some(dir) = out_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::bad_input(format!("{}: cannot create: {e}", dir.display())))?;
        for (name, text) in &pages {
            write_output(&dir.join(format!("{name}.1")), text)?;
        }
        println!("wrote {} man pages into {}", pages.len(), dir.display());
        return Ok(Exit::Success);
    }
    let wanted = command.map_or("switchpath".to_string(), |c| {
        format!("switchpath-{}", c.replace(' ', "-"))
    });
    match pages.iter().find(|(name, _)| *name == wanted) {
        Some((_, text)) => {
            print!("{text}");
            Ok(Exit::Success)
        }
        None => Err(Error::bad_input(format!(
            "`{}` is not a command (the commands: {})",
            command.unwrap_or_default(),
            pages
                .iter()
                .skip(1)
                .map(|(n, _)| n.trim_start_matches("switchpath-").to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
