//! The domain and the wire: identifiers, the prescription model, Tracker requests and
//! responses. No terminal code lives here.

pub mod codes;
pub mod dates;
pub mod decode;
pub mod error;
pub mod ids;
pub mod model;
pub mod query;
pub mod spine_code;
pub mod spine_id;
pub mod window;
pub mod xml;

pub use decode::decode;
pub use error::{FailureClass, MAX_BODY_BYTES, ResponseError, SpineError};
pub mod guidance;
