//! The domain and the wire: identifiers, the prescription model, Tracker requests and
//! responses. No terminal code lives here.

pub mod ids;
