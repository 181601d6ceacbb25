//! The scenario: everything a run takes as input, read from TOML and validated.

mod diagnostic;
pub mod edit;
mod load;
mod question;
mod toml_walk;
pub mod types;

pub(crate) use diagnostic::closest;
pub use diagnostic::{Diagnostic, ScenarioError};
pub use load::{load_path, load_str};
pub use question::own_text;
pub use types::*;
