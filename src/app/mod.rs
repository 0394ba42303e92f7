//! The terminal app's brain: state, messages and the pure `update` function. No I/O.
