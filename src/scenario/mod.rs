//! The scenario: everything a run takes as input, read from TOML and validated.

mod load;
mod toml_walk;
pub mod types;

pub use load::{Diagnostic, ScenarioError, load_path, load_str};
pub use types::*;
