//! The idle clock: the runtime is the only part of the app that reads the time. It tells
//! `update` when the two-minute warning starts, each second of the countdown, and when
//! to lock.

use std::time::Duration;

use tokio::time::Instant;

/// How long before the lock the countdown appears.
pub const WARNING: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy)]
pub struct IdleClock {
    timeout: Duration,
    last_activity: Instant,
}

/// What the clock says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleState {
    /// Nothing to show; wake again at this instant.
    Quiet {
        wake_at: Instant,
    },
    /// The countdown is on: seconds left; wake again in at most a second.
    Warning {
        seconds_left: u64,
        wake_at: Instant,
    },
    Lock,
}

impl IdleClock {
    pub fn new(timeout: Duration, now: Instant) -> IdleClock {
        IdleClock {
            timeout,
            last_activity: now,
        }
    }

    pub fn touch(&mut self, now: Instant) {
        self.last_activity = now;
    }

    pub fn state(&self, now: Instant) -> IdleState {
        let lock_at = self.last_activity + self.timeout;
        if now >= lock_at {
            return IdleState::Lock;
        }
        let left = lock_at - now;
        if left > WARNING {
            return IdleState::Quiet {
                wake_at: lock_at - WARNING,
            };
        }
        // Round up so the countdown never shows 0:00 before the lock.
        let seconds_left = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        let to_next_second = left - Duration::from_secs(seconds_left.saturating_sub(1));
        IdleState::Warning {
            seconds_left,
            wake_at: now + to_next_second.max(Duration::from_millis(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_then_countdown_then_lock() {
        let start = Instant::now();
        let clock = IdleClock::new(Duration::from_secs(900), start);
        assert_eq!(
            clock.state(start),
            IdleState::Quiet {
                wake_at: start + Duration::from_secs(780)
            }
        );
        match clock.state(start + Duration::from_millis(780_500)) {
            IdleState::Warning { seconds_left, .. } => assert_eq!(seconds_left, 120),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            clock.state(start + Duration::from_secs(900)),
            IdleState::Lock
        );
    }

    #[test]
    fn activity_restarts_the_clock() {
        let start = Instant::now();
        let mut clock = IdleClock::new(Duration::from_secs(900), start);
        clock.touch(start + Duration::from_secs(850));
        assert!(matches!(
            clock.state(start + Duration::from_secs(900)),
            IdleState::Quiet { .. }
        ));
    }
}
