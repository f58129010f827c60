//! Arbitrary bytes as one more file of the conformant repository's SOP folder, through the
//! whole pipeline. Seeded (`seeds/pipeline/`) with the conformant SOP files themselves.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut files = pglint_fuzz::conformant().to_vec();
    files.push((
        "infra/databases/postgres/fuzzed.yaml".to_string(),
        data.to_vec(),
    ));
    pglint_fuzz::run(files);
});
