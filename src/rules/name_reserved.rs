use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct NameReserved {
        id: "name-reserved",
        group: "names",
        level: Error,
        summary: "a role is postgres, streaming_replica, pg_* or cnpg_*; a database is postgres, template0 or template1",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
