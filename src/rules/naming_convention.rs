use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct NamingConvention {
        id: "naming-convention",
        group: "names",
        level: Warning,
        summary: "SOP names disagree: secret <app>-db-creds, Database metadata.name <app>-db, files <app>-secrets-sealed.yaml and <app>-db.yaml, one <app> along each secret → role → database chain",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
