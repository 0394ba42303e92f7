//! A local Spine Tracker simulator: same endpoints, validation, error codes and quirks,
//! served over mutual TLS on synthetic patients.
