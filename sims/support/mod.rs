//! What the test targets share: hand-made histories for the checker tests (`history`) and
//! running the `ftsim` binary (`process`). A target includes it with
//! `#[path = "support/mod.rs"] mod support;` and uses what it needs.

pub mod history;
pub mod process;
