//! "Did you mean" over many candidates: exactly [`closest`]'s answer, without comparing the
//! name with every candidate for the usual typo.
//!
//! A Cluster may declare thousands of roles, and a repository may hold thousands of owner typos:
//! comparing each with every role is quadratic. [`Suggester`] answers the common cases from
//! hash lookups (a candidate equal but for ASCII case; one edit away, found through the
//! single-deletion neighbourhoods both share), and only scans the candidates when nothing is one
//! edit away, skipping those whose length or characters rule them out.
//!
//! [`closest`]: super::closest

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use crate::hash::HashMap;

pub struct Suggester<'c> {
    /// Sorted, without duplicates.
    names: Vec<&'c str>,
    /// Per name: its length in chars and a mask of its characters (a character sets bit
    /// `c % 64`).
    shapes: Vec<(usize, u64)>,
    /// Per name: how many of its characters fall in each of 32 buckets (`c % 32`).
    counts: Vec<[u8; 32]>,
    /// ASCII-lowercased name → the names that lowercase to it.
    by_lower: HashMap<String, Vec<u32>>,
    /// Hash of a name with one character deleted (or none) → the names, built on first use.
    deletions: OnceLock<HashMap<u64, Vec<u32>>>,
    state: foldhash::fast::RandomState,
}

fn shape(name: &str) -> (usize, u64) {
    name.chars().fold((0, 0), |(len, mask), c| {
        (len + 1, mask | 1 << (c as u32 % 64))
    })
}

fn counts(name: &str) -> [u8; 32] {
    let mut counts = [0u8; 32];
    for c in name.chars() {
        let bucket = &mut counts[c as usize % 32];
        *bucket = bucket.saturating_add(1);
    }
    counts
}

/// A lower bound of the edit distance from character counts: an edit adds at most one
/// character to a bucket and removes at most one (a swap neither). Counts saturate at 255,
/// which only lowers the bound.
fn count_bound(a: &[u8; 32], b: &[u8; 32]) -> usize {
    let (mut more, mut fewer) = (0usize, 0usize);
    for (x, y) in a.iter().zip(b) {
        more += x.saturating_sub(*y) as usize;
        fewer += y.saturating_sub(*x) as usize;
    }
    more.max(fewer)
}

impl<'c> Suggester<'c> {
    pub fn new(candidates: impl IntoIterator<Item = &'c str>) -> Suggester<'c> {
        let mut names: Vec<&str> = candidates.into_iter().collect();
        names.sort_unstable();
        names.dedup();
        let mut by_lower: HashMap<String, Vec<u32>> = HashMap::default();
        for (i, name) in names.iter().enumerate() {
            by_lower
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(i as u32);
        }
        Suggester {
            shapes: names.iter().map(|n| shape(n)).collect(),
            counts: names.iter().map(|n| counts(n)).collect(),
            names,
            by_lower,
            deletions: OnceLock::new(),
            state: foldhash::fast::RandomState::default(),
        }
    }

    /// The hash of `chars` without the one at `skip` (none when out of range).
    fn hash_without(&self, chars: &[char], skip: usize) -> u64 {
        let mut hasher = self.state.build_hasher();
        for (i, &c) in chars.iter().enumerate() {
            if i != skip {
                hasher.write_u32(c as u32);
            }
        }
        hasher.write_usize(chars.len() - usize::from(skip < chars.len()));
        hasher.finish()
    }

    fn deletions(&self) -> &HashMap<u64, Vec<u32>> {
        self.deletions.get_or_init(|| {
            let mut map: HashMap<u64, Vec<u32>> = HashMap::default();
            for (i, name) in self.names.iter().enumerate() {
                let chars: Vec<char> = name.chars().collect();
                for skip in 0..=chars.len() {
                    let list = map.entry(self.hash_without(&chars, skip)).or_default();
                    if list.last() != Some(&(i as u32)) {
                        list.push(i as u32);
                    }
                }
            }
            map
        })
    }

    /// [`closest`](super::closest)`(name, candidates)`.
    pub fn closest(&self, name: &str) -> Option<&'c str> {
        // Equal but for ASCII case: distance 0, the best there is.
        if let Some(same) = self.by_lower.get(&name.to_ascii_lowercase()) {
            let best = same
                .iter()
                .map(|&i| self.names[i as usize])
                .filter(|&c| c != name)
                .min();
            if best.is_some() {
                return best;
            }
        }
        // One edit away (a deletion, insertion, substitution or swap of neighbours): both
        // names then lose one character (or none) to the same string.
        let chars: Vec<char> = name.chars().collect();
        let deletions = self.deletions();
        let mut best: Option<&str> = None;
        for skip in 0..=chars.len() {
            for &i in deletions
                .get(&self.hash_without(&chars, skip))
                .into_iter()
                .flatten()
            {
                let candidate = self.names[i as usize];
                if candidate != name
                    && best.is_none_or(|b| candidate < b)
                    && strsim::damerau_levenshtein(name, candidate) == 1
                {
                    best = Some(candidate);
                }
            }
        }
        if best.is_some() {
            return best;
        }
        self.scan(name)
    }

    /// Nothing is one edit away: every candidate within the limit, best first, skipping those
    /// whose length difference or characters alone put them further than the best so far. The
    /// neighbours of the name in sorted order come first: sharing its longest prefixes, they
    /// are the likeliest to be close, and a close best so far rules most others out cheaply.
    fn scan(&self, name: &str) -> Option<&'c str> {
        let (len, mask) = shape(name);
        let name_counts = counts(name);
        let limit = (len / 3).max(1) + 1;
        let mut best: Option<(usize, &str)> = None;
        let at = self.names.partition_point(|&n| n < name);
        let near = at.saturating_sub(NEIGHBOURS)..(at + NEIGHBOURS).min(self.names.len());
        for i in near.chain(0..self.names.len()) {
            let candidate = self.names[i];
            let (c_len, c_mask) = self.shapes[i];
            // An edit changes the length by at most one, and adds or removes at most one
            // character that the other name lacks (a swap neither).
            let quick = len
                .abs_diff(c_len)
                .max((mask & !c_mask).count_ones() as usize)
                .max((c_mask & !mask).count_ones() as usize);
            let ceiling = best.map_or(limit, |(d, _)| d);
            let beaten = |bound: usize| {
                bound > ceiling || best.is_some_and(|(d, b)| bound == d && candidate >= b)
            };
            if candidate == name
                || beaten(quick)
                || beaten(count_bound(&name_counts, &self.counts[i]))
            {
                continue;
            }
            let distance = strsim::damerau_levenshtein(name, candidate);
            if distance <= limit && best.is_none_or(|b| (distance, candidate) < b) {
                best = Some((distance, candidate));
            }
        }
        best.map(|(_, c)| c)
    }
}

/// How many names on each side of the name's place in sorted order [`Suggester::scan`] tries
/// first.
const NEIGHBOURS: usize = 8;

#[cfg(test)]
mod tests {
    use super::Suggester;
    use crate::model::closest;
    use proptest::prelude::*;

    #[test]
    fn answers_like_closest() {
        let roles = [
            "gitea_user",
            "nextcloud_user",
            "app",
            "Gitea_User",
            "wikijs_user",
        ];
        let suggester = Suggester::new(roles);
        for name in [
            "gitea_usr",
            "gitea_user",
            "GITEA_USER",
            "wikjs_user",
            "wikijs_usr",
            "wordpress",
            "ap",
            "nextclod_usr",
            "",
        ] {
            assert_eq!(suggester.closest(name), closest(name, roles), "{name:?}");
        }
    }

    proptest! {
        #[test]
        fn the_same_answer_as_closest(
            names in proptest::collection::vec("[abAB_]{0,7}", 0..30),
            query in "[abcAB_]{0,8}",
        ) {
            let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
            let suggester = Suggester::new(candidates.iter().copied());
            prop_assert_eq!(suggester.closest(&query), closest(&query, candidates.iter().copied()));
        }
    }
}
