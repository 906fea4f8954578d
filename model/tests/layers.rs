//! The model crate's imports point down only: every module imports from its own
//! layer or a lower one. The layer order is read from the one place it is written,
//! the top doc of `model/src/lib.rs` (lines `//! N. **name** — `a`, `b`: ...`);
//! every `crate::X` and `super::` path in the code under `model/src` is resolved to
//! the top-level module it names and so to its layer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers of `lib.rs`'s top doc, lowest first: (name, top-level modules).
fn layers(lib: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for line in lib.lines() {
        let Some(rest) = line.strip_prefix("//! ") else {
            continue;
        };
        let Some((number, rest)) = rest.split_once(". **") else {
            continue;
        };
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        assert_eq!(
            number.parse::<usize>().unwrap(),
            out.len() + 1,
            "layers are numbered 1, 2, ... in lib.rs: {line}"
        );
        let (name, rest) = rest
            .split_once("** — ")
            .expect("`**name** — ` opens a layer");
        let (modules, _) = rest.split_once(':').expect("`modules:` follow the name");
        let modules: Vec<String> = modules
            .split(',')
            .map(|m| m.trim().trim_matches('`').to_string())
            .collect();
        assert!(
            modules.iter().all(|m| !m.is_empty()),
            "a layer lists its modules: {line}"
        );
        out.push((name.to_string(), modules));
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src`: `kernel/machine.rs` is `[kernel,
/// machine]`, `kernel/mod.rs` is `[kernel]`, `lib.rs` is `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn identifier_at(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top-level modules a line of code names through `crate::` or `super::`,
/// given the module the line is in. `Err` for a path this test cannot place.
fn references(line: &str, module: &[String]) -> Vec<Result<String, String>> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let boundary = |i: usize| {
        i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':')
    };
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        if rest.starts_with("crate::") && boundary(i) {
            let name = identifier_at(&rest["crate::".len()..]);
            out.push(if name.is_empty() {
                Err(format!(
                    "`{}`: name one module after `crate::`",
                    line.trim()
                ))
            } else {
                Ok(name.to_string())
            });
            i += "crate::".len();
        } else if rest.starts_with("super::") && boundary(i) {
            let mut at = module.to_vec();
            let mut tail = rest;
            while let Some(t) = tail.strip_prefix("super::") {
                at.pop();
                tail = t;
            }
            let name = identifier_at(tail);
            out.push(match at.first() {
                Some(top) => Ok(top.clone()),
                None if !name.is_empty() => Ok(name.to_string()),
                None => Err(format!(
                    "`{}`: a glob or group at the crate root",
                    line.trim()
                )),
            });
            i += rest.len() - tail.len();
        } else {
            i += rest.chars().next().unwrap().len_utf8();
        }
    }
    out
}

/// Every import that points up, as `file:line: message`.
fn violations(src: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let layers = layers(&lib);
    assert!(layers.len() >= 2, "lib.rs's top doc lists the layers");
    let mut layer_of: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (_, modules)) in layers.iter().enumerate() {
        for m in modules {
            assert!(
                layer_of.insert(m.clone(), i).is_none(),
                "`{m}` is in two layers"
            );
        }
    }
    let name = |i: usize| layers[i].0.as_str();
    let mut bad = Vec::new();
    for line in lib.lines() {
        if let Some(m) = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
        {
            let m = m.trim_end_matches(';');
            if !layer_of.contains_key(m) {
                bad.push(format!(
                    "lib.rs: module `{m}` is in no layer of the top doc"
                ));
            }
        }
    }
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    for file in files {
        let path = module_path(src, &file);
        let Some(top) = path.first() else {
            continue; // lib.rs: the root declares and re-exports every layer
        };
        let shown = file.strip_prefix(src).unwrap().display().to_string();
        let Some(&own) = layer_of.get(top) else {
            bad.push(format!("{shown}: module `{top}` is in no layer"));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        // Inline modules (`mod tests {`), by their indentation (the code is
        // rustfmt'ed): `super::` inside one starts from it.
        let mut inline: Vec<(usize, String)> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let indent = line.len() - line.trim_start().len();
            let code = line.trim();
            if inline
                .last()
                .is_some_and(|(i, _)| *i == indent && code == "}")
            {
                inline.pop();
                continue;
            }
            if code.starts_with("//") {
                continue;
            }
            let decl = match code.strip_prefix("pub") {
                Some(rest) if rest.starts_with(' ') => rest.trim_start(),
                Some(rest) if rest.starts_with('(') => {
                    rest.split_once(") ").map_or(code, |(_, d)| d)
                }
                _ => code,
            };
            if let Some(m) = decl.strip_prefix("mod ") {
                if let Some(m) = m.strip_suffix(" {") {
                    inline.push((indent, m.to_string()));
                    continue;
                }
            }
            let mut module = path.clone();
            module.extend(inline.iter().map(|(_, m)| m.clone()));
            for r in references(code, &module) {
                match r {
                    Err(e) => bad.push(format!("{shown}:{}: {e}", n + 1)),
                    Ok(m) => match layer_of.get(&m) {
                        None => bad.push(format!(
                            "{shown}:{}: `crate::{m}` is no layer's module (a re-export at \
                             the root?): name its place in the layers",
                            n + 1
                        )),
                        Some(&l) if l > own => bad.push(format!(
                            "{shown}:{}: layer {} imports `{m}` from layer {}, above it",
                            n + 1,
                            name(own),
                            name(l)
                        )),
                        Some(_) => {}
                    },
                }
            }
        }
    }
    bad
}

#[test]
fn imports_point_down_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src);
    assert!(bad.is_empty(), "imports that point up:\n{}", bad.join("\n"));
}

#[test]
fn an_upward_import_is_caught() {
    let module = vec!["kernel".to_string(), "machine".to_string()];
    let found = |line: &str| references(line, &module);
    assert_eq!(
        found("use crate::check::properties::CHECKED;"),
        [Ok("check".into())]
    );
    assert_eq!(found("use super::seeded::Bug;"), [Ok("kernel".into())]);
    assert_eq!(
        found("use super::super::search::bfs;"),
        [Ok("search".into())]
    );
    assert_eq!(
        found("let x = crate::trace::build(m, p, a, s);"),
        [Ok("trace".into())]
    );
    assert!(found("use crate::{Config, SwitchModel};")[0].is_err());
}

/// The sibling modules a line names: `super::x` from a file directly under `dir`,
/// and `crate::<dir path>::x`, where `x` is one of `siblings`.
fn sibling_references(line: &str, dir: &[String], siblings: &[String]) -> Vec<String> {
    let mut prefixes = vec!["super::".to_string()];
    prefixes.push(format!("crate::{}::", dir.join("::")));
    let mut out = Vec::new();
    for prefix in &prefixes {
        let mut rest = line;
        while let Some(at) = rest.find(prefix.as_str()) {
            let before = &rest[..at];
            let boundary = before
                .chars()
                .last()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
            let tail = &rest[at + prefix.len()..];
            // `super::super::` leaves the directory.
            if boundary && !tail.starts_with("super::") {
                let name = identifier_at(tail);
                if siblings.iter().any(|s| s == name) {
                    out.push(name.to_string());
                }
            }
            rest = tail;
        }
    }
    out
}

/// The import circles among the files of each directory module under `src` (and
/// among the crate's top-level modules when `top` is set): each as `a → b → a`.
fn circles(src: &Path, top: bool) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut dirs: BTreeMap<Vec<String>, Vec<(String, PathBuf)>> = BTreeMap::new();
    for file in &files {
        let path = module_path(src, file);
        let Some((name, dir)) = path.split_last() else {
            continue;
        };
        if dir.is_empty() && !top {
            continue;
        }
        dirs.entry(dir.to_vec())
            .or_default()
            .push((name.clone(), file.clone()));
    }
    let mut found = Vec::new();
    for (dir, members) in dirs {
        let names: Vec<String> = members.iter().map(|(n, _)| n.clone()).collect();
        let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, file) in &members {
            let text = std::fs::read_to_string(file).unwrap();
            let mut to: Vec<String> = Vec::new();
            let mut in_tests = false;
            for line in text.lines() {
                let code = line.trim();
                if code.starts_with("//") {
                    continue;
                }
                // A unit-test module's `use super::*` is its own file.
                if code == "#[cfg(test)]" {
                    in_tests = true;
                }
                if in_tests {
                    continue;
                }
                let refs = if dir.is_empty() {
                    sibling_references(code, &[], &names)
                        .into_iter()
                        .chain(
                            names
                                .iter()
                                .filter(|n| {
                                    code.contains(&format!("crate::{n}::"))
                                        || code.contains(&format!("crate::{n};"))
                                        || code.contains(&format!("crate::{n}::{{"))
                                })
                                .cloned(),
                        )
                        .collect()
                } else {
                    sibling_references(code, &dir, &names)
                };
                for r in refs {
                    if &r != name && !to.contains(&r) {
                        to.push(r);
                    }
                }
            }
            edges.insert(name.clone(), to);
        }
        // A depth-first search for a back edge, from every file.
        fn walk(
            at: &str,
            edges: &BTreeMap<String, Vec<String>>,
            stack: &mut Vec<String>,
            done: &mut Vec<String>,
            found: &mut Vec<Vec<String>>,
        ) {
            if let Some(i) = stack.iter().position(|s| s == at) {
                let mut c = stack[i..].to_vec();
                c.push(at.to_string());
                found.push(c);
                return;
            }
            if done.iter().any(|d| d == at) {
                return;
            }
            stack.push(at.to_string());
            for next in edges.get(at).into_iter().flatten() {
                walk(next, edges, stack, done, found);
            }
            stack.pop();
            done.push(at.to_string());
        }
        let mut cycles = Vec::new();
        let mut done = Vec::new();
        for name in edges.keys() {
            walk(name, &edges, &mut Vec::new(), &mut done, &mut cycles);
        }
        let place = if dir.is_empty() {
            "src".to_string()
        } else {
            format!("src/{}", dir.join("/"))
        };
        for c in cycles {
            found.push(format!("{place}: {}", c.join(" → ")));
        }
    }
    found
}

/// No two files of a directory module import each other, directly or round a
/// circle: the files of `kernel/`, `search/`, `check/`, ... are layered too.
#[test]
fn no_import_circle_among_a_modules_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = circles(&root.join("src"), false);
    // The switchpath crate's own modules, top level included.
    found.extend(circles(&root.join("../src"), true));
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn an_import_circle_is_caught() {
    let dir = tempfile_dir();
    let k = dir.join("kernel");
    std::fs::create_dir_all(&k).unwrap();
    std::fs::write(k.join("mod.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(k.join("a.rs"), "use super::b::B;\npub struct A;\n").unwrap();
    std::fs::write(k.join("b.rs"), "use crate::kernel::a::A;\npub struct B;\n").unwrap();
    let found = circles(&dir, false);
    assert_eq!(found, ["src/kernel: a → b → a"]);
    std::fs::write(k.join("b.rs"), "pub struct B;\n").unwrap();
    assert!(circles(&dir, false).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fresh directory under the target directory's temp space.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchpath-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
