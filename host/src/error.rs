//! The host's one error type: a message, the exit code it ends the command with, and how the
//! console shows it. Everything in the host returns it; `app` prints it in one place.

use std::fmt;

/// How an error is shown on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// One line (each line of a longer message its own error line).
    Lines,
    /// Symfony's error block, optionally followed by the command's synopsis (console errors:
    /// unknown command, bad option).
    Block {
        /// The synopsis printed under the block.
        synopsis: Option<String>,
    },
}

/// A failure: what went wrong, the exit code and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The message (one line, or several for the owner check).
    pub message: String,
    /// The exit code (1 failure, 2 usage).
    pub code: i32,
    /// How the console shows it.
    pub shown: Shown,
}

/// The host's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A failure with exit code 1, shown as a line.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
            shown: Shown::Lines,
        }
    }

    /// A console error (Symfony's block) with its exit code and the command's synopsis.
    pub fn block(message: impl Into<String>, code: i32, synopsis: Option<String>) -> Self {
        Self {
            message: message.into(),
            code,
            shown: Shown::Block { synopsis },
        }
    }

    /// The same error with another exit code.
    pub fn with_code(mut self, code: i32) -> Self {
        self.code = code;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}
