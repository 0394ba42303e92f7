//! The idle clock: the runtime is the only part of the app that reads the time. It tells
//! `update` when the two-minute warning starts, each second of the countdown, and when
//! to lock. It counts on two clocks: the monotonic one for the countdown, and the wall
//! clock, because the monotonic clock stands still while a laptop sleeps and a screen
//! woken after an hour must already be locked.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// How long before the lock the countdown appears.
pub const WARNING: Duration = Duration::from_secs(120);

/// How often a quiet clock looks at the wall clock: a laptop resumed after the idle time
/// locks within this, before anyone presses a key, rather than showing the last screen.
const WALL_CHECK: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
pub struct IdleClock {
    timeout: Duration,
    last_activity: Instant,
    last_activity_wall: DateTime<Utc>,
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
    pub fn new(timeout: Duration, now: Instant, wall: DateTime<Utc>) -> IdleClock {
        IdleClock {
            timeout,
            last_activity: now,
            last_activity_wall: wall,
        }
    }

    pub fn touch(&mut self, now: Instant, wall: DateTime<Utc>) {
        self.last_activity = now;
        self.last_activity_wall = wall;
    }

    pub fn state(&self, now: Instant, wall: DateTime<Utc>) -> IdleState {
        let lock_at = self.last_activity + self.timeout;
        let asleep_too_long = (wall - self.last_activity_wall)
            .to_std()
            .is_ok_and(|idle| idle >= self.timeout);
        if now >= lock_at || asleep_too_long {
            return IdleState::Lock;
        }
        let left = lock_at - now;
        if left > WARNING {
            return IdleState::Quiet {
                wake_at: (lock_at - WARNING).min(now + WALL_CHECK),
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

    fn wall() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000, 0).unwrap()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn quiet_then_countdown_then_lock() {
        let start = Instant::now();
        let clock = IdleClock::new(secs(900), start, wall());
        // Quiet, looking at the wall clock every few seconds until the warning is due.
        assert_eq!(
            clock.state(start, wall()),
            IdleState::Quiet {
                wake_at: start + WALL_CHECK
            }
        );
        assert_eq!(
            clock.state(start + secs(778), wall() + secs(778)),
            IdleState::Quiet {
                wake_at: start + secs(780)
            }
        );
        let later = Duration::from_millis(780_500);
        match clock.state(start + later, wall() + later) {
            IdleState::Warning { seconds_left, .. } => assert_eq!(seconds_left, 120),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            clock.state(start + secs(900), wall() + secs(900)),
            IdleState::Lock
        );
    }

    #[test]
    fn activity_restarts_the_clock() {
        let start = Instant::now();
        let mut clock = IdleClock::new(secs(900), start, wall());
        clock.touch(start + secs(850), wall() + secs(850));
        assert!(matches!(
            clock.state(start + secs(900), wall() + secs(900)),
            IdleState::Quiet { .. }
        ));
    }

    #[test]
    fn a_machine_woken_from_sleep_after_the_timeout_is_locked() {
        // Suspended for an hour: the monotonic clock moved a second, the wall clock an hour.
        let start = Instant::now();
        let clock = IdleClock::new(secs(900), start, wall());
        assert_eq!(
            clock.state(start + secs(1), wall() + secs(3600)),
            IdleState::Lock
        );
    }

    #[test]
    fn a_wall_clock_set_back_does_not_lock() {
        let start = Instant::now();
        let clock = IdleClock::new(secs(900), start, wall());
        assert!(matches!(
            clock.state(start + secs(1), wall() - secs(3600)),
            IdleState::Quiet { .. }
        ));
    }
}
