//! The parsed input of one command invocation, as the host hands it to the plugin.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Arguments and options of a command, already validated against its [`crate::CommandSpec`].
///
/// Every declared argument and option is present: given values, else the default, else `null`
/// (flags are `false`, multiple options an array).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Input {
    /// Arguments by name.
    pub arguments: Map<String, Value>,
    /// Options by long name.
    pub options: Map<String, Value>,
}

fn as_str(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn as_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(|x| as_str(Some(x))).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => as_str(Some(other)).into_iter().collect(),
    }
}

impl Input {
    /// An argument as a string, `None` when absent or null.
    pub fn arg_str(&self, name: &str) -> Option<String> {
        as_str(self.arguments.get(name))
    }
    /// A multiple argument as a list.
    pub fn arg_list(&self, name: &str) -> Vec<String> {
        as_list(self.arguments.get(name))
    }
    /// An option's value as a string, `None` when not given and without default.
    pub fn opt_str(&self, name: &str) -> Option<String> {
        as_str(self.options.get(name))
    }
    /// A multiple option's values.
    pub fn opt_list(&self, name: &str) -> Vec<String> {
        as_list(self.options.get(name))
    }
    /// Whether a flag was given.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.options.get(name), Some(Value::Bool(true)))
    }
}
