//! Policy files: an IBPB rule written in TOML, as `policies/*.toml` ships them and
//! as a user writes their own (`--policy-file FILE.toml`).
//!
//! ```toml
//! name = "my-rule"                  # a name of its own: [a-z0-9.-]
//! origin = "where the rule comes from"
//! summary = "the decision in one line"
//! decided_by = "what switch_mm calls, in kernel terms"   # optional
//! when = "mm-change"                # or "switch-mm"
//! ibpb = "___ptrace_may_access(next, NULL, prev, PTRACE_MODE_IBPB)"
//!
//! [promise]
//! says = "the policy's own promise in one sentence"
//! allows = "next.cap_sys_ptrace || (next.uid == trainer.uid && trainer.dumpable)"
//! ```
//!
//! The expressions are `rule.rs`'s language. A file is checked when it is read:
//! every expression is typed, and evaluated on every combination of task views
//! (so a NULL dereference or a NULL `last_user` is found at load, not during a
//! search). Every error is one line, `file:line:col: message`.

use super::rule::{Context, Env, Node, Outcome, RuleError};
use super::{Switch, TaskView};
use serde::Deserialize;
use std::hash::{Hash, Hasher};

/// When `switch_mm` consults the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum When {
    /// Only when the user mm changes (every upstream and RHEL rule: the test sits
    /// inside `if (prev != next)` or compares the last user mm).
    MmChange,
    /// On every `switch_mm` call, the same mm included (a switch back to the task
    /// whose mm a kernel thread borrowed): UEK4's order.
    SwitchMm,
}

impl When {
    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            When::MmChange => "mm-change",
            When::SwitchMm => "switch-mm",
        }
    }
}

/// A policy read from a file.
#[derive(Clone, Debug)]
pub struct PolicyFile {
    /// The policy's name.
    pub name: String,
    /// Where the rule comes from.
    pub origin: String,
    /// The decision, in one line of prose.
    pub summary: String,
    /// What `switch_mm` evaluates, in kernel terms.
    pub decided_by: String,
    /// When the rule is consulted.
    pub when: When,
    /// The decision's expression, as written.
    pub ibpb_text: String,
    /// The promise, in one sentence.
    pub promise_says: String,
    /// The promise's expression, as written.
    pub promise_text: String,
    /// The path it was read from.
    pub path: String,
    /// The whole file.
    pub text: String,
    /// `line:col` of the name, for errors about it.
    pub name_at: (usize, usize),
    /// The decision calls a predicate that runs the capability check (computed
    /// once: the search asks on its hot path).
    may_ask: bool,
    ibpb: Node,
    promise: Node,
}

impl PartialEq for PolicyFile {
    fn eq(&self, other: &PolicyFile) -> bool {
        (&self.name, &self.text) == (&other.name, &other.text)
    }
}

impl Eq for PolicyFile {}

impl Hash for PolicyFile {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (&self.name, &self.text).hash(h)
    }
}

impl PartialOrd for PolicyFile {
    fn partial_cmp(&self, other: &PolicyFile) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PolicyFile {
    fn cmp(&self, other: &PolicyFile) -> std::cmp::Ordering {
        (&self.name, &self.text).cmp(&(&other.name, &other.text))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: toml::Spanned<String>,
    origin: String,
    summary: String,
    decided_by: Option<String>,
    when: toml::Spanned<String>,
    ibpb: toml::Spanned<String>,
    promise: RawPromise,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPromise {
    says: String,
    allows: toml::Spanned<String>,
}

/// `line:col` (1-based, columns in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// Where, in the file, byte `at` of a string value whose TOML span is `span`
/// lies: exact when the string is written without escapes, else the string's
/// start.
fn file_offset(text: &str, span: std::ops::Range<usize>, value: &str, at: usize) -> usize {
    let raw = &text[span.clone()];
    let delim = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else {
        1
    };
    if raw.len() < 2 * delim {
        return span.start;
    }
    let mut body = &raw[delim..raw.len() - delim];
    let mut skip = delim;
    if delim == 3 {
        for nl in ["\r\n", "\n"] {
            if let Some(rest) = body.strip_prefix(nl) {
                body = rest;
                skip += nl.len();
                break;
            }
        }
    }
    if body == value {
        span.start + skip + at
    } else {
        span.start
    }
}

impl PolicyFile {
    /// Reads a policy from `text`; `path` names it in errors (`path:line:col: ...`).
    pub fn parse(path: &str, text: &str) -> Result<PolicyFile, String> {
        let at = |offset: usize, message: &str| {
            let (line, col) = line_col(text, offset);
            format!("{path}:{line}:{col}: {message}")
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            at(
                offset,
                e.message().trim().lines().next().unwrap_or("invalid TOML"),
            )
        })?;
        let name = raw.name.get_ref().clone();
        let valid = !name.is_empty()
            && name.len() <= 40
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !valid {
            return Err(at(
                raw.name.span().start,
                "a policy name is 1-40 characters of a-z, 0-9, `-` and `.`",
            ));
        }
        let when = match raw.when.get_ref().as_str() {
            "mm-change" => When::MmChange,
            "switch-mm" => When::SwitchMm,
            other => {
                return Err(at(
                    raw.when.span().start,
                    &format!(
                        "unknown `when` \"{other}\" (expected \"mm-change\" or \"switch-mm\")"
                    ),
                ))
            }
        };
        let expr = |s: &toml::Spanned<String>, ctx: Context| {
            Node::parse(s.get_ref(), ctx).map_err(|e| {
                at(
                    file_offset(text, s.span(), s.get_ref(), e.span.0),
                    &e.message,
                )
            })
        };
        let ibpb = expr(&raw.ibpb, Context::Switch)?;
        let promise = expr(&raw.promise.allows, Context::Promise)?;
        let file = PolicyFile {
            name,
            origin: raw.origin,
            summary: raw.summary,
            decided_by: raw.decided_by.unwrap_or_else(|| raw.ibpb.get_ref().clone()),
            when,
            ibpb_text: raw.ibpb.get_ref().clone(),
            promise_says: raw.promise.says,
            promise_text: raw.promise.allows.get_ref().clone(),
            path: path.to_string(),
            text: text.to_string(),
            name_at: line_col(text, raw.name.span().start),
            may_ask: ibpb.may_ask_capability(),
            ibpb,
            promise,
        };
        // Every combination of task views, so that no evaluation fails later.
        let located = |s: &toml::Spanned<String>, e: RuleError| {
            at(
                file_offset(text, s.span(), s.get_ref(), e.span.0),
                &e.message,
            )
        };
        for sw in every_switch() {
            file.decide(&sw).map_err(|e| located(&raw.ibpb, e))?;
        }
        for t in user_views() {
            for n in user_views() {
                file.promise
                    .eval(&Env::promise(&t, &n))
                    .map_err(|e| located(&raw.promise.allows, e))?;
            }
        }
        Ok(file)
    }

    /// The decision on `sw`: the IBPB, and whether deciding ran the capability
    /// check. Never fails on a file that loaded.
    pub fn decide(&self, sw: &Switch) -> Result<Outcome, RuleError> {
        self.ibpb.eval(&Env::switch(sw))
    }

    /// The decision on `sw` (the file was checked on every combination of task
    /// views when it loaded).
    pub fn outcome(&self, sw: &Switch) -> Outcome {
        self.decide(sw)
            .expect("checked on every task-view combination at load")
    }

    /// The promise: may `next` start on a predictor `trainer` trained?
    pub fn promise_kept(&self, trainer: &TaskView, next: &TaskView) -> bool {
        self.promise
            .eval(&Env::promise(trainer, next))
            .expect("checked on every pair of task views at load")
            .value
    }

    /// Whether the capability check is `capable()` (`ns_capable` →
    /// `security_capable`) rather than the ptrace check's `ptrace_has_cap`: the
    /// frames a trace draws down to `selinux_capable`.
    pub fn checks_capable(&self) -> bool {
        matches!(
            self.ibpb.asking_predicate(),
            Some(super::rule::Predicate::Capable)
        )
    }

    /// Whether the decision contains a call that runs the capability check.
    pub fn may_ask_capability(&self) -> bool {
        self.may_ask
    }
}

/// Every user task view: three uids (root, two users), with and without
/// `CAP_SYS_PTRACE`, dumpable or not, `TIF_SPEC_IB` or not.
pub fn user_views() -> Vec<TaskView> {
    let mut out = Vec::new();
    for uid in [0, 1000, 1001] {
        for bits in 0..8u8 {
            out.push(TaskView {
                uid,
                cap_sys_ptrace: bits & 1 != 0,
                has_mm: true,
                dumpable: bits & 2 != 0,
                spec_ib: bits & 4 != 0,
            });
        }
    }
    out
}

/// Every combination of task views a switch can have: prev a user task or a
/// kernel thread, next a user task, every last user or none, and (when next's mm
/// is the loaded one) the same-mm switch a `switch-mm` rule also sees.
pub fn every_switch() -> Vec<Switch> {
    let users = user_views();
    let prevs: Vec<TaskView> = users.iter().copied().chain([TaskView::KTHREAD]).collect();
    let lasts: Vec<Option<TaskView>> = users.iter().copied().map(Some).chain([None]).collect();
    let mut out = Vec::new();
    for &prev in &prevs {
        for &next in &users {
            for &last_user in &lasts {
                out.push(Switch {
                    prev,
                    next,
                    last_user,
                    same_mm: false,
                });
            }
            // The same mm: a kernel thread borrowed next's mm and hands it back.
            if !prev.has_mm {
                out.push(Switch {
                    prev,
                    next,
                    last_user: Some(next),
                    same_mm: true,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn renamed(p: Policy, name: &str) -> PolicyFile {
        let text = p.file().text.replace(
            &format!("name = \"{}\"", p.name()),
            &format!("name = \"{name}\""),
        );
        PolicyFile::parse(&format!("{name}.toml"), &text).unwrap()
    }

    /// A user's file that asks RHEL 7.2's ptrace check reaches the capability
    /// check (and so, under SELinux, the AVC) on exactly the switches the
    /// built-in RHEL rule does, and decides exactly as it does; written with a
    /// plain read of the capability instead, it never asks.
    #[test]
    fn a_file_asking_the_rhel_check_reaches_the_avc_exactly_where_the_builtin_rule_does() {
        let mine = renamed(Policy::RhelPtraceCreds, "mine");
        let plain = PolicyFile::parse(
            "plain.toml",
            &Policy::RhelPtraceCreds.file().text.replace(
                "ibpb = \"___ptrace_may_access(next, NULL, prev, PTRACE_MODE_IBPB)\"",
                "ibpb = \"!(prev.cap_sys_ptrace || (next.uid == prev.uid && prev->mm && prev.dumpable))\"",
            ).replace("name = \"rhel-ptrace-creds\"", "name = \"plain\""),
        )
        .unwrap();
        let mut asked = 0;
        for sw in every_switch() {
            let (a, b) = (mine.outcome(&sw), plain.outcome(&sw));
            assert_eq!(a.value, Policy::RhelPtraceCreds.ibpb(&sw), "{sw:?}");
            assert_eq!(
                a.asks_capability,
                Policy::RhelPtraceCreds.asks_capability(&sw),
                "{sw:?}"
            );
            assert_eq!(b.value, a.value, "the same decision, {sw:?}");
            assert!(!b.asks_capability, "a plain read asks nothing");
            asked += a.asks_capability as usize;
        }
        assert!(asked > 1000, "{asked}");
        assert!(mine.may_ask_capability() && !plain.may_ask_capability());
    }

    /// C's short-circuit decides which predicates run: a capability check on the
    /// right of a `&&` whose left is false never runs.
    #[test]
    fn the_capability_check_runs_only_where_the_evaluation_reaches_it() {
        let text = |ibpb: &str| {
            format!(
                "name = \"t\"\norigin = \"o\"\nsummary = \"s\"\nwhen = \"mm-change\"\nibpb = \"{ibpb}\"\n[promise]\nsays = \"s\"\nallows = \"true\"\n"
            )
        };
        let f =
            PolicyFile::parse("t.toml", &text("next.spec_ib && !capable(CAP_SYS_PTRACE)")).unwrap();
        for sw in every_switch() {
            let o = f.outcome(&sw);
            assert_eq!(o.asks_capability, sw.next.spec_ib, "{sw:?}");
            assert_eq!(o.value, sw.next.spec_ib && !sw.prev.cap_sys_ptrace);
        }
        let g =
            PolicyFile::parse("t.toml", &text("next.spec_ib || capable(CAP_SYS_PTRACE)")).unwrap();
        for sw in every_switch() {
            assert_eq!(g.outcome(&sw).asks_capability, !sw.next.spec_ib);
        }
    }

    /// A place inside a multi-byte character still names a line and a column.
    #[test]
    fn a_long_expression_of_multibyte_characters_is_refused_in_one_line() {
        let long = "é".repeat(5000);
        let text = format!(
            "name = \"t\"\norigin = \"o\"\nsummary = \"s\"\nwhen = \"mm-change\"\nibpb = \"{long}\"\n[promise]\nsays = \"s\"\nallows = \"true\"\n"
        );
        let e = PolicyFile::parse("t.toml", &text).unwrap_err();
        assert!(e.starts_with("t.toml:5:"), "{e}");
    }

    /// Damaged expressions (each character deleted, each of a set of tokens
    /// inserted at each place) are read or refused with `file:line:col:`, never a
    /// panic. Deterministic: every damage is tried.
    #[test]
    fn no_damaged_expression_panics_the_reader() {
        let tokens = [
            "(",
            ")",
            "!",
            "&&",
            "||",
            "==",
            "!=",
            "->",
            ".",
            ",",
            "x",
            "0",
            "NULL",
            "prev",
            "last_user",
            "trainer",
            "mm",
            "\\\"",
            "capable(",
            "get_dumpable(",
            "SUID_DUMP_USER",
        ];
        let mut tried = 0;
        for p in Policy::ALL {
            let f = p.file();
            for expr in [&f.ibpb_text, &f.promise_text] {
                let mut variants = Vec::new();
                for (i, _) in expr.char_indices() {
                    let mut d = expr.clone();
                    d.remove(i);
                    variants.push(d);
                    for t in tokens {
                        let mut d = expr.clone();
                        d.insert_str(i, t);
                        variants.push(d);
                    }
                }
                for v in variants {
                    let text = f.text.replacen(expr.as_str(), &v, 1);
                    if let Err(e) = PolicyFile::parse("damaged.toml", &text) {
                        assert!(e.starts_with("damaged.toml:"), "{e}");
                        assert_eq!(e.lines().count(), 1, "{e}");
                    }
                    tried += 1;
                }
            }
        }
        assert!(tried > 10_000, "{tried}");
    }
}
