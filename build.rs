//! Empty on purpose: it exists so that `[build-dependencies]` in `Cargo.toml` apply.
//! They turn on, for the crates built for the host (proc-macros and their
//! dependencies), the features the tests' dependencies turn on, so that
//! `cargo build --release` and `cargo test --release` build every dependency once
//! (cargo-hakari's "workspace hack" does the same with a build script of its own).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
