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
                    cap_denied: false,
                });
            }
            // The same mm: a kernel thread borrowed next's mm and hands it back.
            if !prev.has_mm {
                out.push(Switch {
                    prev,
                    next,
                    last_user: Some(next),
                    same_mm: true,
                    cap_denied: false,
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

    /// A file whose decision is `ibpb` and whose promise is `allows`.
    fn with(ibpb: &str, allows: &str) -> Result<PolicyFile, String> {
        PolicyFile::parse(
            "t.toml",
            &format!(
                "name = \"t\"\norigin = \"o\"\nsummary = \"s\"\nwhen = \"mm-change\"\nibpb = \"{ibpb}\"\n[promise]\nsays = \"s\"\nallows = \"{allows}\"\n"
            ),
        )
    }

    /// The error of a decision `ibpb` (line 5, whose expression starts at column 9).
    fn refusal(ibpb: &str) -> String {
        with(ibpb, "true").unwrap_err()
    }

    /// C's ordering operators, `&` and `|` are refused at the operator, naming the
    /// operators there are; in the promise too, and before a type error to their
    /// left.
    #[test]
    fn an_operator_the_language_has_not_is_refused_naming_the_ones_it_has() {
        let ops = "the operators are `!`, `==`, `!=`, `&&`, `||` and parentheses";
        for op in [">", "<", ">=", "<="] {
            let e = refusal(&format!("next.spec_ib || next.uid {op} 1000"));
            assert_eq!(
                e,
                format!("t.toml:5:34: `{op}` is not an operator here: {ops}"),
            );
            let e = with("true", &format!("trainer.uid {op} next.uid")).unwrap_err();
            assert_eq!(
                e,
                format!("t.toml:8:23: `{op}` is not an operator here: {ops}")
            );
        }
        for (op, meant) in [("&", "&&"), ("|", "||")] {
            let e = refusal(&format!("next.spec_ib {op} prev.spec_ib"));
            assert_eq!(
                e,
                format!(
                    "t.toml:5:22: `{op}` is not an operator here (did you mean `{meant}`?): {ops}"
                ),
            );
        }
        // Inside a call's argument, and after a type error.
        assert!(refusal("capable(CAP_SYS_PTRACE > 0)").starts_with("t.toml:5:32: `>` is not"));
        assert!(refusal("next->mm == next.uid || next.uid > 0").starts_with("t.toml:5:42: `>` is"));
        // `->` is no `>`, and `!=`, `==`, `&&`, `||` are read as before.
        assert!(with(
            "next->uid != prev->uid && !(prev->mm == NULL || next.spec_ib)",
            "true"
        )
        .is_ok());
    }

    /// A single `=` is taken for a mistyped `==`.
    #[test]
    fn a_single_equals_sign_asks_for_two() {
        let e = refusal("!(prev->uid = next->uid)");
        assert_eq!(e, "t.toml:5:21: `=` assigns in C: did you mean `==`?");
        let e = with("true", "trainer.uid = next.uid && next.dumpable").unwrap_err();
        assert_eq!(e, "t.toml:8:23: `=` assigns in C: did you mean `==`?");
        assert_eq!(
            refusal("prev->mm = NULL"),
            "t.toml:5:18: `=` assigns in C: did you mean `==`?"
        );
    }

    /// A field is a task's own: `next->cred->uid` is refused at `cred`, naming the
    /// fields, which are exactly the ones a task has (each one reads); a field of
    /// a field is refused too.
    #[test]
    fn a_field_of_a_field_is_refused_naming_the_fields() {
        let e = refusal("prev->cred->uid != next->cred->uid");
        let fields = "uid, mm, dumpable, cap_sys_ptrace, spec_ib";
        assert_eq!(
            e,
            format!("t.toml:5:15: `cred` is not a field; the fields are {fields}; the credentials are read as `prev->uid`")
        );
        let e = refusal("next.spec_ib || prev->cred->euid != 0");
        assert!(
            e.starts_with("t.toml:5:31: `cred` is not a field; the fields are "),
            "{e}"
        );
        let e = with("true", "trainer->real_cred->uid == next->uid").unwrap_err();
        assert!(
            e.starts_with("t.toml:8:20: `real_cred` is not a field;"),
            "{e}"
        );
        assert!(e.ends_with("read as `trainer->uid`"), "{e}");
        // A misspelt field gets the same list, and the closest name.
        assert_eq!(
            refusal("next.uidd == 0"),
            format!(
                "t.toml:5:14: `uidd` is not a field; the fields are {fields}; did you mean `uid`?"
            )
        );
        // The list is the fields there are: each one reads, nothing else does.
        for f in fields.split(", ") {
            assert!(
                with(&format!("next->{f} == next->{f}"), "true").is_ok(),
                "{f}"
            );
        }
        assert!(refusal("next->euid == 0").contains(&format!("the fields are {fields}")));
        for (expr, col, read) in [
            ("next->mm->dumpable", 19, "next->mm"),
            ("next.uid.x == 0", 18, "next.uid"),
            (
                "get_dumpable(last_user->mm->owner) == SUID_DUMP_USER",
                37,
                "last_user->mm",
            ),
        ] {
            assert_eq!(
                refusal(expr),
                format!("t.toml:5:{col}: `{read}` has no fields of its own: the fields are a task's, {fields}")
            );
        }
    }

    /// C's null pointer constant: a literal `0` compared with a pointer (an mm, a
    /// task) is NULL, and decides exactly as `NULL` does; no other number or bool
    /// compares with a pointer, and the refusal names NULL.
    #[test]
    fn zero_compared_with_a_pointer_is_null() {
        let same = |zero: &str, null: &str| {
            let (a, b) = (with(zero, "true").unwrap(), with(null, "true").unwrap());
            for sw in every_switch() {
                assert_eq!(a.outcome(&sw), b.outcome(&sw), "{zero}: {sw:?}");
            }
        };
        same(
            "prev->mm != 0 && prev.uid == next.uid",
            "prev->mm != NULL && prev.uid == next.uid",
        );
        same("0 == prev->mm", "prev->mm == NULL");
        same("prev.mm == (0)", "!prev.mm");
        same(
            "last_user->mm != 0 && next->mm != last_user->mm",
            "last_user->mm && next->mm != last_user->mm",
        );
        same(
            "last_user != 0 && last_user.uid != next.uid",
            "last_user && last_user.uid != next.uid",
        );
        same(
            "NULL == last_user || last_user.spec_ib",
            "!last_user || last_user.spec_ib",
        );
        // Some switch has a NULL prev->mm and some not: the test above means something.
        let f = with("prev->mm != 0", "trainer->mm != 0").unwrap();
        let values: std::collections::BTreeSet<bool> = every_switch()
            .iter()
            .map(|sw| f.outcome(sw).value)
            .collect();
        assert_eq!(values.len(), 2);
        assert!(f.promise_kept(&user_views()[0], &user_views()[1]));
        let hint = "a pointer compares with a pointer, or with NULL (or 0)";
        for (expr, other) in [("prev->mm != 1", "an int"), ("prev->mm == false", "a bool")] {
            assert_eq!(
                refusal(expr),
                format!("t.toml:5:9: cannot compare a pointer with {other}: {hint}")
            );
        }
        // Tasks still compare by their mm, and a number is no bool's NULL.
        assert!(refusal("prev == next").contains("tasks compare by their mm"));
        assert!(with("next.uid == 0 && next.spec_ib == 0", "true").is_ok());
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
            ">",
            "<=",
            "=",
            "|",
            "->cred",
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
