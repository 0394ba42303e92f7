//! Password hashing with argon2id. The cost parameters travel inside each PHC hash string,
//! so a store can raise them later: a user's hash is redone with the new cost at their next
//! successful sign-in.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::password::Password;

/// argon2id cost: memory in KiB, passes over memory, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// Hashing failed: a store or parameter problem, never the user's fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HashError {
    #[error("the password hashing parameters are not usable: {0}")]
    Params(String),
    #[error("a stored password hash is damaged: {0}")]
    BadHash(String),
}

impl HashParams {
    /// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
    pub const OWASP: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// A deliberately cheap cost for test suites that create many users. Production refuses
    /// it: `check_production_strength` rejects anything below OWASP.
    pub const FAST_INSECURE_FOR_TESTS: Self = Self {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    /// Refuses a cost below OWASP's recommended configurations (which trade memory against
    /// iterations: 46 MiB × 1 … 7 MiB × 5).
    pub fn check_production_strength(&self) -> Result<(), String> {
        let work = u64::from(self.memory_kib) * u64::from(self.iterations);
        if self.memory_kib < 7 * 1024 || work < 35_840 || self.parallelism == 0 {
            return Err(format!(
                "(memory_kib {}, iterations {}, parallelism {}) is weaker than the OWASP \
                 recommendation: use at least memory_kib = 19456 with iterations = 2",
                self.memory_kib, self.iterations, self.parallelism
            ));
        }
        self.argon2().map(|_| ())
    }

    /// The stronger of two costs, component by component.
    pub fn max(self, other: Self) -> Self {
        Self {
            memory_kib: self.memory_kib.max(other.memory_kib),
            iterations: self.iterations.max(other.iterations),
            parallelism: self.parallelism.max(other.parallelism),
        }
    }

    /// Whether a hash made with `self` is weaker than `target` asks for.
    pub fn is_weaker_than(&self, target: &Self) -> bool {
        self.memory_kib < target.memory_kib
            || self.iterations < target.iterations
            || self.parallelism < target.parallelism
    }

    fn argon2(&self) -> Result<Argon2<'static>, String> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| e.to_string())?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Hashes a password into a PHC string with a fresh random salt.
pub fn hash_password(password: &Password, params: HashParams) -> Result<String, HashError> {
    let argon2 = params.argon2().map_err(HashError::Params)?;
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|e| HashError::Params(e.to_string()))?;
    argon2
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError::Params(e.to_string()))
}

/// Checks a password against a stored PHC string, at the cost recorded in it.
pub fn verify_password(password: &Password, phc: &str) -> Result<bool, HashError> {
    let hash = PasswordHash::new(phc).map_err(|e| HashError::BadHash(e.to_string()))?;
    match Argon2::default().verify_password(password.expose().as_bytes(), &hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(HashError::BadHash(e.to_string())),
    }
}

/// Does the work of one verification at `params` and throws it away, so a sign-in for an
/// unknown user takes as long as one for a known user with a wrong password.
pub fn burn_equal_time(password: &Password, params: HashParams) {
    if let Ok(argon2) = params.argon2() {
        let mut out = [0u8; 32];
        let _ = argon2.hash_password_into(
            password.expose().as_bytes(),
            b"eps-tracker-dummy-salt",
            &mut out,
        );
    }
}

/// The cost a PHC string was made with.
pub fn params_of(phc: &str) -> Option<HashParams> {
    let hash = PasswordHash::new(phc).ok()?;
    let params = Params::try_from(&hash).ok()?;
    Some(HashParams {
        memory_kib: params.m_cost(),
        iterations: params.t_cost(),
        parallelism: params.p_cost(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_records_its_cost() {
        let params = HashParams::FAST_INSECURE_FOR_TESTS;
        let right = Password::new("correct horse battery".into());
        let wrong = Password::new("correct horse battery!".into());
        let phc = hash_password(&right, params).unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password(&right, &phc).unwrap());
        assert!(!verify_password(&wrong, &phc).unwrap());
        assert_eq!(params_of(&phc), Some(params));
        assert_ne!(phc, hash_password(&right, params).unwrap(), "salts differ");
    }

    #[test]
    fn a_damaged_hash_is_an_error_not_a_match() {
        let pw = Password::new("x".into());
        assert!(verify_password(&pw, "not a hash").is_err());
    }

    #[test]
    fn production_strength_is_owasp_or_more() {
        assert!(HashParams::OWASP.check_production_strength().is_ok());
        assert!(
            HashParams::FAST_INSECURE_FOR_TESTS
                .check_production_strength()
                .is_err()
        );
        assert!(HashParams::FAST_INSECURE_FOR_TESTS.is_weaker_than(&HashParams::OWASP));
        assert!(!HashParams::OWASP.is_weaker_than(&HashParams::OWASP));
    }
}
