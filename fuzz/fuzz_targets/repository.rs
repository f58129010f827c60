//! Structure-aware: the input is a list of mutations (byte flips, line deletions and
//! duplications, indentation changes, value swaps, copied lines, insertions, new files)
//! applied to the conformant repository, which is then run through the whole pipeline.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pglint_fuzz::mutate::{Mutation, apply_all};

fuzz_target!(|mutations: Vec<Mutation>| {
    let mut files = pglint_fuzz::conformant().to_vec();
    apply_all(&mut files, &mutations);
    pglint_fuzz::run(files);
});
