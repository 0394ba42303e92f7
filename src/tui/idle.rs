//! The idle clock: the runtime is the only part of the app that reads the time. It tells
//! `update` when the two-minute warning starts, each second of the countdown, and when
//! to lock. It counts wall-clock time as well as monotonic time: the monotonic clock stops
//! while a laptop is suspended, and a suspended session must be locked on resume.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// How long before the lock the countdown appears.
pub const WARNING: Duration = Duration::from_secs(120);

/// The longest the clock sleeps between looks at the wall clock, so a resumed laptop is
/// locked within this time of waking (the monotonic timer does not count the suspend).
const WALL_CHECK: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
pub struct IdleClock {
    timeout: Duration,
    last_activity: Instant,
    last_activity_wall: SystemTime,
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
            last_activity_wall: SystemTime::now(),
        }
    }

    pub fn touch(&mut self, now: Instant) {
        self.last_activity = now;
        self.last_activity_wall = SystemTime::now();
    }

    pub fn state(&self, now: Instant) -> IdleState {
        self.state_at(now, SystemTime::now())
    }

    fn state_at(&self, now: Instant, wall_now: SystemTime) -> IdleState {
        let lock_at = self.last_activity + self.timeout;
        // A wall clock that went backwards counts as no time passed.
        let wall_idle = wall_now
            .duration_since(self.last_activity_wall)
            .unwrap_or_default();
        if now >= lock_at || wall_idle >= self.timeout {
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

    #[test]
    fn quiet_then_countdown_then_lock() {
        let start = Instant::now();
        let clock = IdleClock::new(Duration::from_secs(900), start);
        // Quiet, looking at the wall clock every few seconds.
        assert_eq!(
            clock.state(start),
            IdleState::Quiet {
                wake_at: start + WALL_CHECK
            }
        );
        assert_eq!(
            clock.state(start + Duration::from_secs(778)),
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
    fn a_suspend_counts_although_the_monotonic_clock_stood_still() {
        let start = Instant::now();
        let clock = IdleClock::new(Duration::from_secs(900), start);
        // Resumed after an hour of suspend: one second passed on the monotonic clock.
        let resumed = clock.last_activity_wall + Duration::from_secs(3600);
        assert_eq!(
            clock.state_at(start + Duration::from_secs(1), resumed),
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
