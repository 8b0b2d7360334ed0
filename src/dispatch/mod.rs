//! Commands as data: the registry loaded from `commands/` (each file's `handler` deserialized
//! into the caller's key type) and the matcher over it.

mod registry;

pub use registry::{Access, Command, CommandFileError, Dispatch, Kind, Registry};
