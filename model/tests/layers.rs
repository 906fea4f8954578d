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
