//! The error a plugin's command, step, handler or host call ends with: a message and an exit
//! code.

use std::fmt;

/// A handled failure: a one-line message and an exit code.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// The message printed on stderr.
    pub message: String,
    /// The exit code (1 by default, 2 for usage errors).
    pub code: i32,
}

impl Error {
    /// A failure with exit code 1.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }
    /// A usage error (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 2,
        }
    }
    /// A failure with a specific exit code.
    pub fn with_code(message: impl Into<String>, code: i32) -> Self {
        Self {
            message: message.into(),
            code,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::new(format!("invalid data: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(e.to_string())
    }
}

/// What a command returns: its exit code, or an error.
pub type CmdResult = Result<i32, Error>;
