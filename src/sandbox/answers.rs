//! Answers already written, kept for the next identical request. Building an answer's
//! object tree and writing it (a `String` per member, escaping every value) was most of the
//! sandbox's time under load; an answer is a pure function of the request's path and query
//! (which also seed the member order) and of which prescriptions it shows, so the same
//! request gets the same bytes from the cache as it would from a fresh rendering, rotating
//! member order and quirks included.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// Answers kept at most; beyond either bound the cache starts over, so a client sending
/// endless distinct queries costs at most this much memory.
const MAX_ANSWERS: usize = 4096;
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// One kept answer with the full key it was written for (the map is keyed by a hash of it,
/// so a look-up allocates nothing; the key is compared in full on a hit).
struct Kept {
    path_and_query: Box<str>,
    selection: Box<[u32]>,
    body: Bytes,
}

#[derive(Default)]
struct Inner {
    answers: HashMap<u64, Kept>,
    bytes: usize,
}

/// The written answers, shared by every connection.
#[derive(Default)]
pub(super) struct Answers(Mutex<Inner>);

impl Answers {
    /// The answer to `path_and_query` showing `selection` (positions of the prescriptions
    /// shown, for a search whose result depends on the date; empty when the path and query
    /// decide it alone), written by `render` on a miss.
    pub(super) fn get_or_render(
        &self,
        path_and_query: &str,
        selection: &[u32],
        render: impl FnOnce() -> String,
    ) -> Bytes {
        let hash = key_hash(path_and_query, selection);
        if let Some(kept) = self.lock().answers.get(&hash)
            && *kept.path_and_query == *path_and_query
            && *kept.selection == *selection
        {
            return kept.body.clone();
        }
        // Written outside the lock: two connections missing at once both write, and the
        // second insert replaces an identical answer.
        let body = Bytes::from(render());
        let mut inner = self.lock();
        if inner.answers.len() >= MAX_ANSWERS || inner.bytes + body.len() > MAX_BYTES {
            inner.answers.clear();
            inner.bytes = 0;
        }
        let kept = Kept {
            path_and_query: path_and_query.into(),
            selection: selection.into(),
            body: body.clone(),
        };
        inner.bytes += body.len();
        if let Some(old) = inner.answers.insert(hash, kept) {
            inner.bytes -= old.body.len();
        }
        body
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Nothing panics while holding the lock; a poisoned map is still consistent.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().answers.len()
    }
}

/// FNV-1a over the path, query and selection: collisions only cost a rendering, since a hit
/// is checked against the full key.
fn key_hash(path_and_query: &str, selection: &[u32]) -> u64 {
    let bytes = path_and_query
        .bytes()
        .chain(selection.iter().flat_map(|n| n.to_le_bytes()));
    bytes.fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_is_rendered_once_and_another_selection_again() {
        let answers = Answers::default();
        let mut renders = 0;
        let mut get = |selection: &[u32]| {
            answers.get_or_render("/mm/prescriptions?nhsNumber=1", selection, || {
                renders += 1;
                format!("{selection:?}")
            })
        };
        assert_eq!(get(&[0, 1]), "[0, 1]");
        assert_eq!(get(&[0, 1]), "[0, 1]");
        assert_eq!(get(&[1]), "[1]");
        assert_eq!(renders, 2);
    }

    #[test]
    fn endless_distinct_queries_keep_the_cache_bounded() {
        let answers = Answers::default();
        for n in 0..(MAX_ANSWERS * 2 + 7) {
            let body = answers.get_or_render(&format!("/mm/x?n={n}"), &[], || n.to_string());
            assert_eq!(body, n.to_string());
        }
        assert!(answers.len() <= MAX_ANSWERS);
        assert!(answers.lock().bytes <= MAX_BYTES);
    }
}
