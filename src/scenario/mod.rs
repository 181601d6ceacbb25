//! The scenario: everything a run takes as input, read from TOML and validated.

mod diagnostic;
pub mod edit;
mod load;
mod question;
mod toml_walk;
pub mod types;

pub use diagnostic::{Diagnostic, ScenarioError};
pub(crate) use diagnostic::{NOT_A_REGULAR_FILE, bad_utf8_message, closest, first_bad_utf8};
pub use load::{load_path, load_str};
pub use question::own_text;
pub use types::*;
