//! Commands as data: the registry loaded from `commands/` and the matcher over it.

mod registry;

pub use registry::{Access, Command, CommandFileError, Dispatch, HandlerKey, Kind, Registry};
