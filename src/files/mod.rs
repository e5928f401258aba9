//! Files as ccsim reads and writes them, safely: outputs that would overwrite an input or
//! each other are refused ([`clash`]), reports are replaced whole, never truncated in
//! place ([`replace`](mod@replace)), files read whole are capped in size ([`whole`]), and
//! a second interrupt exits between two writes, never inside one ([`quiesce`]), and an
//! output that is a FIFO nobody reads is an error, not a hang ([`open`](mod@open)).

pub mod clash;
pub mod open;
pub mod quiesce;
pub mod replace;
pub mod whole;

pub use clash::refuse_clashes;
pub use open::{FIFO_READER_WAIT, open_for_writing};
pub use quiesce::{stop_writes, writing};
pub use replace::{probe_replaceable, replace};
pub use whole::{MAX_WHOLE_FILE, read_whole, read_whole_text};
