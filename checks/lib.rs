//! Case files live in `cases/`; `tests/` runs them.
