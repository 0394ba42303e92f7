//! Pure drawing: a function of the app state onto a ratatui frame.
