//! The expression language of policy files: a C condition over the tasks of one
//! switch, with the kernel predicates `switch_mm` calls built in.
//!
//! An expression is read as C reads it: `!` binds tightest, then `==`/`!=`, then
//! `&&`, then `||`, and `&&`/`||` evaluate their right side only when the left
//! does not decide (short-circuit). That matters: a kernel predicate's side effect
//! (the capability check, which under SELinux consults the AVC) happens exactly
//! when the evaluation reaches the call, as in C. A literal `0` compared with a
//! pointer is NULL, C's null pointer constant. C's other operators (`<`, `>`,
//! `<=`, `>=`, a single `=`, `&`, `|`) and chains of fields (`next->cred->uid`)
//! are refused, each with what the language has instead.
//!
//! The grammar is `rule.pest` (parsed with the `pest` crate); this file types
//! the tree, binds the names, and evaluates.

use super::{Switch, TaskView};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser;
use std::fmt;

/// The parser `pest` derives from `rule.pest` (its `Rule` enum names the
/// grammar's rules; private to this file).
mod grammar {
    #![allow(missing_docs)]
    #[derive(pest_derive::Parser)]
    #[grammar = "policy/rule.pest"]
    pub(super) struct Grammar;
}
use grammar::{Grammar, Rule};

/// The deepest nesting of parentheses and `!` an expression may have.
const MAX_DEPTH: usize = 64;
/// The longest expression, in bytes.
const MAX_LEN: usize = 8192;

/// A byte range in the expression's text.
pub type Span = (usize, usize);

/// An error at a place in an expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// Where, in bytes from the start of the expression.
    pub span: Span,
    /// What, in one line.
    pub message: String,
}

impl RuleError {
    fn new(span: Span, message: impl Into<String>) -> RuleError {
        RuleError {
            span,
            message: message.into(),
        }
    }
}

/// Which expression of a policy file: the decision, or the promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// `ibpb`: evaluated inside `switch_mm`, with `current` = `prev`, `next` and the
    /// CPU's `last_user`.
    Switch,
    /// `promise.allows`: a statement about two user tasks, `trainer` (whose
    /// training the predictor holds) and `next`; no kernel code runs.
    Promise,
}

/// A task an expression names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `prev` (or `current`): the task being switched out; may be a kernel thread.
    Prev,
    /// `next`: the task being switched in; always has a user mm.
    Next,
    /// `last_user`: the owner of the user mm last loaded on this CPU; NULL before
    /// the CPU has loaded one.
    LastUser,
    /// `trainer`: the user task whose branch-predictor training is live.
    Trainer,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Prev => "prev",
            Role::Next => "next",
            Role::LastUser => "last_user",
            Role::Trainer => "trainer",
        }
    }
}

/// A field of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `uid`: the credential triple the model compares, as a number.
    Uid,
    /// `mm`: the user mm, a pointer (NULL for kernel threads); compares by identity.
    Mm,
    /// `dumpable`: `get_dumpable(mm) == SUID_DUMP_USER` (false without an mm).
    Dumpable,
    /// `cap_sys_ptrace`: `CAP_SYS_PTRACE` in the effective set (a plain read, no
    /// capability check, no LSM).
    CapSysPtrace,
    /// `spec_ib`: `TIF_SPEC_IB`.
    SpecIb,
}

const FIELDS: [(&str, Field); 5] = [
    ("uid", Field::Uid),
    ("mm", Field::Mm),
    ("dumpable", Field::Dumpable),
    ("cap_sys_ptrace", Field::CapSysPtrace),
    ("spec_ib", Field::SpecIb),
];

/// A built-in kernel predicate, with its kernel semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Predicate {
    /// RHEL 7.2's `___ptrace_may_access(tracer, NULL, task, PTRACE_MODE_IBPB)`
    /// (UEK4's `___ptrace_may_access(tracer, task, PTRACE_MODE_IBPB)`):
    /// 0 (allowed) or `-EPERM`. The tracer's credentials against the task's
    /// (`cred == NULL` means the tracer's), then the task's dumpability; each
    /// refusal falls back to `ptrace_has_cap`, which tests `CAP_SYS_PTRACE` on
    /// **`current`** (prev) through `cap_capable` and then the AVC.
    PtraceMayAccessRhel72 {
        /// The tracer (whose credentials are compared).
        tracer: Role,
    },
    /// RHEL 7.7's `__ptrace_may_access(task, PTRACE_MODE_IBPB)`: 0 or `-EPERM`;
    /// `current` (prev) is the tracer; `PTRACE_MODE_NOACCESS_CHK` skips both
    /// capability checks and the LSM hook.
    PtraceMayAccessRhel77 {
        /// The task.
        task: Role,
    },
    /// Kosina's `ptrace_may_access_sched(task, PTRACE_MODE_SPEC_IBPB)`: a `bool`
    /// that is **true when access is denied** (it returns `__ptrace_may_access`'s
    /// `-errno`); `PTRACE_MODE_SCHED` skips the capability check and the LSM.
    PtraceMayAccessSched {
        /// The task.
        task: Role,
    },
    /// `capable(CAP_SYS_PTRACE)`: on `current` (prev), through `cap_capable` and
    /// then, under SELinux, the AVC.
    Capable,
    /// `get_dumpable(task->mm)`: the model knows only whether it is
    /// `SUID_DUMP_USER`; a NULL mm is a NULL dereference.
    GetDumpable {
        /// Whose mm.
        task: Role,
    },
    /// `test_tsk_thread_flag(task, TIF_SPEC_IB)`.
    SpecIb {
        /// The task.
        task: Role,
    },
}

impl Predicate {
    /// Whether calling it runs the capability check on `current`.
    pub fn asks_capability(self) -> bool {
        matches!(
            self,
            Predicate::PtraceMayAccessRhel72 { .. } | Predicate::Capable
        )
    }
}

/// The built-in predicates, as a user writes them (for errors and docs).
pub const PREDICATES: [&str; 6] = [
    "___ptrace_may_access(next, NULL, prev, PTRACE_MODE_IBPB)",
    "__ptrace_may_access(next, PTRACE_MODE_IBPB)",
    "ptrace_may_access_sched(next, PTRACE_MODE_SPEC_IBPB)",
    "capable(CAP_SYS_PTRACE)",
    "get_dumpable(next->mm)",
    "test_tsk_thread_flag(next, TIF_SPEC_IB)",
];

/// UEK4's three-argument spelling of RHEL 7.2's check (same semantics).
const UEK4_USAGE: &str = "___ptrace_may_access(next, current, PTRACE_MODE_IBPB)";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Bool,
    Int,
    Ptr,
    Dump,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Bool => "a bool",
            Ty::Int => "an int",
            Ty::Ptr => "a pointer",
            Ty::Dump => "get_dumpable()'s value",
        }
    }
}

#[derive(Clone, Debug)]
enum Kind {
    Num(i64),
    Null,
    DumpUser,
    Task(Role),
    Field(Role, Field),
    Call(Predicate),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cmp(bool, Box<Node>, Box<Node>),
}

/// A typed expression.
#[derive(Clone, Debug)]
pub struct Node {
    kind: Kind,
    ty: Ty,
    span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    Int(i64),
    /// An mm or a task: `None` is NULL; otherwise an identity.
    Ptr(Option<u8>),
    /// `get_dumpable() == SUID_DUMP_USER`.
    Dump(bool),
}

impl Value {
    fn truthy(self) -> bool {
        match self {
            Value::Int(n) => n != 0,
            Value::Ptr(p) => p.is_some(),
            Value::Dump(user) => user,
        }
    }
}

/// The tasks of one evaluation and the identities of their mms.
#[derive(Clone, Copy, Debug)]
pub struct Env {
    prev: Option<TaskView>,
    next: TaskView,
    last_user: Option<TaskView>,
    trainer: Option<TaskView>,
    /// mm identities: prev, next, last_user, trainer (`None`: NULL).
    mm: [Option<u8>; 4],
    /// The LSM denies `current`'s capability check ([`Switch::cap_denied`]).
    cap_denied: bool,
}

impl Env {
    /// `switch_mm`'s view of a switch. `next`'s mm is identity 1; the loaded mm
    /// (`last_user`'s) is `next`'s when `sw.same_mm`, another otherwise; a prev
    /// with an mm is running on that loaded mm.
    pub fn switch(sw: &Switch) -> Env {
        let last = sw.last_user.map(|_| if sw.same_mm { 1 } else { 2 });
        let prev = if !sw.prev.has_mm {
            None
        } else {
            Some(last.unwrap_or(3))
        };
        Env {
            prev: Some(sw.prev),
            next: sw.next,
            last_user: sw.last_user,
            trainer: None,
            mm: [prev, Some(1), last, None],
            cap_denied: sw.cap_denied,
        }
    }

    /// The promise's view: two distinct user tasks.
    pub fn promise(trainer: &TaskView, next: &TaskView) -> Env {
        Env {
            prev: None,
            next: *next,
            last_user: None,
            trainer: Some(*trainer),
            mm: [None, Some(1), None, Some(2)],
            cap_denied: false,
        }
    }

    fn task(&self, r: Role) -> Option<TaskView> {
        match r {
            Role::Prev => self.prev,
            Role::Next => Some(self.next),
            Role::LastUser => self.last_user,
            Role::Trainer => self.trainer,
        }
    }

    fn mm(&self, r: Role) -> Option<u8> {
        self.mm[r as usize]
    }
}

/// What an evaluation gave, and whether it ran the capability check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The condition's truth (C's: non-zero, non-NULL).
    pub value: bool,
    /// The evaluation called a predicate that tests `CAP_SYS_PTRACE` on `current`.
    pub asks_capability: bool,
}

impl Node {
    /// Parses and types `text` as an expression of `ctx`, in a boolean context.
    pub fn parse(text: &str, ctx: Context) -> Result<Node, RuleError> {
        // The parser, the typer and the evaluator recurse: bound the nesting.
        let (mut parens, mut bangs) = (0usize, 0usize);
        for (i, ch) in text.char_indices() {
            match ch {
                '(' => parens += 1,
                ')' => parens = parens.saturating_sub(1),
                '!' => bangs += 1,
                c if c.is_whitespace() => {}
                _ => bangs = 0,
            }
            let depth = parens + bangs;
            if depth > MAX_DEPTH {
                return Err(RuleError::new(
                    (i, i),
                    format!("nested deeper than {MAX_DEPTH} parentheses and `!`s"),
                ));
            }
        }
        if text.len() > MAX_LEN {
            return Err(RuleError::new(
                (MAX_LEN, MAX_LEN),
                format!("an expression of more than {MAX_LEN} bytes"),
            ));
        }
        let mut pairs = Grammar::parse(Rule::expression, text).map_err(|e| {
            let span = match e.location {
                pest::error::InputLocation::Pos(p) => (p, p),
                pest::error::InputLocation::Span(s) => s,
            };
            RuleError::new(span, parse_message(&e.variant))
        })?;
        // C's operators the language has not (`>`, a single `=`, ...) are read by
        // the grammar only to be refused here, at the first one, before any type
        // error to their left is reported.
        if let Some(op) = pairs
            .clone()
            .flatten()
            .find(|p| p.as_rule() == Rule::refused)
        {
            return Err(refused(&op));
        }
        let expr = pairs
            .next()
            .and_then(|p| p.into_inner().next())
            .ok_or_else(|| RuleError::new((0, 0), "an empty expression"))?;
        let node = Typer { ctx }.expr(expr)?;
        node.condition()?;
        Ok(node)
    }

    /// The first predicate, in evaluation order, that runs the capability check:
    /// which kernel path a consulted AVC is reached by.
    pub fn asking_predicate(&self) -> Option<Predicate> {
        match &self.kind {
            Kind::Call(p) => p.asks_capability().then_some(*p),
            Kind::Not(a) => a.asking_predicate(),
            Kind::And(a, b) | Kind::Or(a, b) | Kind::Cmp(_, a, b) => {
                a.asking_predicate().or_else(|| b.asking_predicate())
            }
            _ => None,
        }
    }

    /// Whether the expression contains a call that runs the capability check.
    pub fn may_ask_capability(&self) -> bool {
        match &self.kind {
            Kind::Call(p) => p.asks_capability(),
            Kind::Not(a) => a.may_ask_capability(),
            Kind::And(a, b) | Kind::Or(a, b) | Kind::Cmp(_, a, b) => {
                a.may_ask_capability() || b.may_ask_capability()
            }
            _ => false,
        }
    }

    /// Evaluates the condition in `env`, left to right with C's short-circuit.
    pub fn eval(&self, env: &Env) -> Result<Outcome, RuleError> {
        let mut asked = false;
        let value = self.value(env, &mut asked)?.truthy();
        Ok(Outcome {
            value,
            asks_capability: asked,
        })
    }

    /// A literal `0` is NULL where a pointer is expected (C's null pointer
    /// constant, so `prev->mm != 0` reads as `prev->mm != NULL`); any other node
    /// is itself.
    fn null_pointer_constant(self) -> Node {
        match (&self.kind, self.ty) {
            (Kind::Num(0), Ty::Int) => Node {
                kind: Kind::Null,
                ty: Ty::Ptr,
                span: self.span,
            },
            _ => self,
        }
    }

    fn condition(&self) -> Result<(), RuleError> {
        if self.ty == Ty::Dump {
            return Err(RuleError::new(
                self.span,
                "get_dumpable() is 0, 1 or 2 and the model knows only whether it is SUID_DUMP_USER: compare it with SUID_DUMP_USER",
            ));
        }
        Ok(())
    }

    fn value(&self, env: &Env, asked: &mut bool) -> Result<Value, RuleError> {
        let task = |r: Role| {
            env.task(r).ok_or_else(|| {
                RuleError::new(
                    self.span,
                    format!(
                        "{} is NULL here (no user mm has been loaded on this CPU yet): test `{} &&` first",
                        r.name(),
                        r.name()
                    ),
                )
            })
        };
        let bool = |b: bool| Value::Int(b as i64);
        Ok(match &self.kind {
            Kind::Num(n) => Value::Int(*n),
            Kind::Null => Value::Ptr(None),
            Kind::DumpUser => Value::Dump(true),
            Kind::Task(r) => Value::Ptr(env.task(*r).map(|_| *r as u8)),
            Kind::Field(r, f) => match f {
                // Per-CPU words, readable before any user mm was loaded. The mm
                // is NULL then; cond_ibpb's word starts as LAST_USER_MM_IBPB
                // (initialize_tlbstate_and_flush writes it on every CPU at boot),
                // so its IBPB bit reads set: the first user mm a CPU loads gets
                // a barrier.
                Field::Mm => Value::Ptr(env.mm(*r)),
                Field::SpecIb if *r == Role::LastUser => {
                    bool(env.last_user.is_none_or(|t| t.spec_ib))
                }
                Field::Uid => Value::Int(task(*r)?.uid as i64),
                Field::Dumpable => bool(task(*r)?.dumpable),
                Field::CapSysPtrace => bool(task(*r)?.cap_sys_ptrace),
                Field::SpecIb => bool(task(*r)?.spec_ib),
            },
            Kind::Call(p) => {
                let current = env
                    .prev
                    .ok_or_else(|| RuleError::new(self.span, "no `current` outside switch_mm"))?;
                let mut cap = || {
                    *asked = true;
                    current.cap_sys_ptrace && !env.cap_denied
                };
                let eperm = |denied: bool| Value::Int(if denied { -1 } else { 0 });
                match *p {
                    Predicate::PtraceMayAccessRhel72 { tracer } => {
                        // task == current (checked when typed); tracer != task.
                        let (t, k) = (task(tracer)?, current);
                        let creds = t.uid == k.uid || cap();
                        let denied = !creds || !((k.has_mm && k.dumpable) || cap());
                        eperm(denied)
                    }
                    Predicate::PtraceMayAccessRhel77 { task: r }
                    | Predicate::PtraceMayAccessSched { task: r } => {
                        let k = task(r)?;
                        eperm(!(current.uid == k.uid && k.has_mm && k.dumpable))
                    }
                    Predicate::Capable => bool(cap()),
                    Predicate::GetDumpable { task: r } => {
                        if env.mm(r).is_none() {
                            return Err(RuleError::new(
                                self.span,
                                format!(
                                    "NULL dereference: {} has no mm here; test `{}->mm &&` first",
                                    r.name(),
                                    r.name()
                                ),
                            ));
                        }
                        Value::Dump(task(r)?.dumpable)
                    }
                    Predicate::SpecIb { task: r } => bool(task(r)?.spec_ib),
                }
            }
            Kind::Not(a) => bool(!a.value(env, asked)?.truthy()),
            Kind::And(a, b) => bool(a.value(env, asked)?.truthy() && b.value(env, asked)?.truthy()),
            Kind::Or(a, b) => bool(a.value(env, asked)?.truthy() || b.value(env, asked)?.truthy()),
            Kind::Cmp(ne, a, b) => {
                let (x, y) = (a.value(env, asked)?, b.value(env, asked)?);
                bool((x == y) != *ne)
            }
        })
    }
}

/// The operators of the language, as errors list them.
const OPERATORS: &str = "`!`, `==`, `!=`, `&&`, `||` and parentheses";

/// The error for one of C's operators the language has not (`rule.pest`'s
/// `refused`): a single `=` is taken for `==` mistyped, `&` and `|` for `&&` and
/// `||`; an ordering (`<`, `>`, `<=`, `>=`) has no counterpart.
fn refused(op: &Pair<Rule>) -> RuleError {
    let text = op.as_str();
    let message = match text {
        "=" => "`=` assigns in C: did you mean `==`?".to_string(),
        "&" | "|" => format!(
            "`{text}` is not an operator here (did you mean `{text}{text}`?): the operators are {OPERATORS}"
        ),
        _ => format!("`{text}` is not an operator here: the operators are {OPERATORS}"),
    };
    RuleError::new(span_of(op), message)
}

fn parse_message(v: &pest::error::ErrorVariant<Rule>) -> String {
    match v {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut want: Vec<&str> = positives
                .iter()
                .map(|r| match r {
                    Rule::EOI => "the end of the expression",
                    Rule::or | Rule::and | Rule::eq | Rule::ne | Rule::refused => "an operator",
                    Rule::expr | Rule::call | Rule::field | Rule::ident | Rule::number => {
                        "an operand"
                    }
                    Rule::not => "`!`",
                    _ => "an operand",
                })
                .collect();
            want.dedup();
            if want.is_empty() {
                "cannot read the expression here".into()
            } else {
                format!("expected {}", want.join(" or "))
            }
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    }
}

struct Typer {
    ctx: Context,
}

/// The single operand an argument is (a task, `task->mm`, a constant), if it is one.
fn leaf<'i>(p: &Pair<'i, Rule>) -> Option<Pair<'i, Rule>> {
    let mut inner = p.clone().into_inner();
    let only = inner.next()?;
    inner.next().is_none().then_some(only)
}

fn span_of(p: &Pair<Rule>) -> Span {
    (p.as_span().start(), p.as_span().end())
}

impl Typer {
    fn expr(&self, pair: Pair<Rule>) -> Result<Node, RuleError> {
        let pratt = PrattParser::new()
            .op(Op::infix(Rule::or, Assoc::Left))
            .op(Op::infix(Rule::and, Assoc::Left))
            .op(Op::infix(Rule::eq, Assoc::Left) | Op::infix(Rule::ne, Assoc::Left))
            .op(Op::infix(Rule::refused, Assoc::Left))
            .op(Op::prefix(Rule::not));
        pratt
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, a| {
                let a = a?;
                a.condition()?;
                Ok(Node {
                    span: (span_of(&op).0, a.span.1),
                    kind: Kind::Not(Box::new(a)),
                    ty: Ty::Bool,
                })
            })
            .map_infix(|a, op, b| {
                if op.as_rule() == Rule::refused {
                    // Refused before typing (`Node::parse`); never reached.
                    return Err(refused(&op));
                }
                let (a, b) = (a?, b?);
                let span = (a.span.0, b.span.1);
                let kind = match op.as_rule() {
                    Rule::and | Rule::or => {
                        a.condition()?;
                        b.condition()?;
                        if op.as_rule() == Rule::and {
                            Kind::And(Box::new(a), Box::new(b))
                        } else {
                            Kind::Or(Box::new(a), Box::new(b))
                        }
                    }
                    _ => {
                        // C's null pointer constant: a literal 0 compared with a
                        // pointer is NULL.
                        let (a, b) = match (a.ty, b.ty) {
                            (Ty::Ptr, _) => (a, b.null_pointer_constant()),
                            (_, Ty::Ptr) => (a.null_pointer_constant(), b),
                            _ => (a, b),
                        };
                        let (ta, tb) = (a.ty, b.ty);
                        let ints = |t: Ty| matches!(t, Ty::Int | Ty::Bool);
                        if !(ta == tb || ints(ta) && ints(tb)) {
                            let hint = if ta == Ty::Ptr || tb == Ty::Ptr {
                                ": a pointer compares with a pointer, or with NULL (or 0)"
                            } else {
                                ""
                            };
                            return Err(RuleError::new(
                                span,
                                format!("cannot compare {} with {}{hint}", ta.name(), tb.name()),
                            ));
                        }
                        // A task compares with NULL (is there one?), not with
                        // another task: the model knows tasks by their mm.
                        let null = |n: &Node| matches!(n.kind, Kind::Null);
                        if let Some(t) = [(&a, &b), (&b, &a)]
                            .into_iter()
                            .find(|(n, other)| matches!(n.kind, Kind::Task(_)) && !null(other))
                            .map(|(n, _)| n)
                        {
                            return Err(RuleError::new(
                                t.span,
                                "tasks compare by their mm here: write `next->mm == last_user->mm`",
                            ));
                        }
                        Kind::Cmp(op.as_rule() == Rule::ne, Box::new(a), Box::new(b))
                    }
                };
                Ok(Node {
                    kind,
                    ty: Ty::Bool,
                    span,
                })
            })
            .parse(pair.into_inner())
    }

    fn role(&self, name: &str, span: Span) -> Result<Role, RuleError> {
        let role = match (name, self.ctx) {
            ("prev" | "current", Context::Switch) => Role::Prev,
            ("next", _) => Role::Next,
            ("last_user", Context::Switch) => Role::LastUser,
            ("trainer", Context::Promise) => Role::Trainer,
            ("prev" | "current" | "last_user", Context::Promise) => {
                return Err(RuleError::new(
                    span,
                    format!(
                        "`{name}` belongs to switch_mm; the promise is over `trainer` and `next`"
                    ),
                ))
            }
            ("trainer", Context::Switch) => return Err(RuleError::new(
                span,
                "`trainer` belongs to the promise; switch_mm reads `prev`, `next` and `last_user`",
            )),
            _ => {
                let names = match self.ctx {
                    Context::Switch => "prev (or current), next, last_user",
                    Context::Promise => "trainer, next",
                };
                return Err(RuleError::new(
                    span,
                    format!("unknown task `{name}` (expected one of: {names})"),
                ));
            }
        };
        Ok(role)
    }

    /// `task.field` or `task->field`. A chain (`next->cred->uid`) is read by the
    /// grammar only to be refused here: every field is a task's own.
    fn field(&self, pair: Pair<Rule>) -> Result<(Role, Field, Span), RuleError> {
        let span = span_of(&pair);
        let mut parts = pair.clone().into_inner();
        let (task, field) = (parts.next().expect("task"), parts.next().expect("field"));
        let role = self.role(task.as_str(), span_of(&task))?;
        let name = field.as_str();
        let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
        let found = FIELDS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f);
        let Some(f) = found else {
            // The model's uid stands for the task's credentials.
            let creds = if matches!(name, "cred" | "real_cred") {
                format!("; the credentials are read as `{}->uid`", task.as_str())
            } else {
                super::did_you_mean(name, &names)
            };
            return Err(RuleError::new(
                span_of(&field),
                format!(
                    "`{name}` is not a field; the fields are {}{creds}",
                    names.join(", ")
                ),
            ));
        };
        if let Some(more) = parts.next() {
            // What the user wrote up to the field: `next->mm` or `next.mm`.
            let read = &pair.as_str()[..field.as_span().end() - span.0];
            return Err(RuleError::new(
                span_of(&more),
                format!(
                    "`{read}` has no fields of its own: the fields are a task's, {}",
                    names.join(", ")
                ),
            ));
        }
        Ok((role, f, span))
    }

    fn primary(&self, pair: Pair<Rule>) -> Result<Node, RuleError> {
        let span = span_of(&pair);
        let node = |kind, ty| Ok(Node { kind, ty, span });
        match pair.as_rule() {
            Rule::expr => self.expr(pair),
            Rule::number => match pair.as_str().parse::<i64>() {
                Ok(n) => node(Kind::Num(n), Ty::Int),
                Err(_) => Err(RuleError::new(span, "number out of range")),
            },
            Rule::field => {
                let (role, f, span) = self.field(pair)?;
                let ty = match f {
                    Field::Uid => Ty::Int,
                    Field::Mm => Ty::Ptr,
                    _ => Ty::Bool,
                };
                Ok(Node {
                    kind: Kind::Field(role, f),
                    ty,
                    span,
                })
            }
            Rule::ident => match pair.as_str() {
                "true" => node(Kind::Num(1), Ty::Bool),
                "false" => node(Kind::Num(0), Ty::Bool),
                "NULL" => node(Kind::Null, Ty::Ptr),
                "SUID_DUMP_USER" => node(Kind::DumpUser, Ty::Dump),
                "SUID_DUMP_DISABLE" | "SUID_DUMP_ROOT" => Err(RuleError::new(
                    span,
                    "the model knows only whether an mm is SUID_DUMP_USER: compare with SUID_DUMP_USER",
                )),
                name => {
                    let role = self.role(name, span)?;
                    node(Kind::Task(role), Ty::Ptr)
                }
            },
            Rule::call => self.call(pair),
            r => Err(RuleError::new(span, format!("unexpected {r:?}"))),
        }
    }

    fn call(&self, pair: Pair<Rule>) -> Result<Node, RuleError> {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let name_pair = inner.next().expect("a name");
        let name = name_pair.as_str();
        let args: Vec<Pair<Rule>> = inner.collect();
        let known: Vec<&str> = PREDICATES
            .iter()
            .map(|p| p.split('(').next().unwrap_or(p))
            .collect();
        let Some(idx) = known.iter().position(|k| *k == name) else {
            return Err(RuleError::new(
                span_of(&name_pair),
                format!(
                    "unknown predicate `{name}`{} (expected one of: {})",
                    super::did_you_mean(name, &known),
                    PREDICATES.join(", ")
                ),
            ));
        };
        if self.ctx == Context::Promise {
            return Err(RuleError::new(
                span,
                format!("`{name}` runs in switch_mm (it reads `current`); the promise is a statement over `trainer` and `next` and calls no kernel code"),
            ));
        }
        let usage = PREDICATES[idx];
        let arity = usage.matches(',').count() + 1;
        // UEK4 spells RHEL 7.2's check with three arguments: (cur, task, mode).
        let uek4 = name == "___ptrace_may_access" && args.len() == 3;
        let usage = if uek4 { UEK4_USAGE } else { usage };
        if args.len() != arity && !uek4 {
            return Err(RuleError::new(
                span,
                format!("`{name}` takes {arity} argument(s): {usage}"),
            ));
        }
        // Each argument is a single operand: a task, `task->mm`, or a constant.
        let ident = |i: usize, want: &str| -> Result<(), RuleError> {
            match leaf(&args[i]) {
                Some(p) if p.as_rule() == Rule::ident && p.as_str() == want => Ok(()),
                _ => Err(RuleError::new(
                    span_of(&args[i]),
                    format!("argument {} of `{name}` must be {want}: {usage}", i + 1),
                )),
            }
        };
        let task = |i: usize| -> Result<Role, RuleError> {
            match leaf(&args[i]) {
                Some(p) if p.as_rule() == Rule::ident => self.role(p.as_str(), span_of(&p)),
                _ => Err(RuleError::new(
                    span_of(&args[i]),
                    format!("argument {} of `{name}` must be a task: {usage}", i + 1),
                )),
            }
        };
        let (pred, ty) = match name {
            "___ptrace_may_access" => {
                let tracer = task(0)?;
                let (task_arg, mode_arg) = if uek4 { (1, 2) } else { (2, 3) };
                if !uek4 {
                    ident(1, "NULL")?;
                }
                if task(task_arg)? != Role::Prev {
                    return Err(RuleError::new(
                        span_of(&args[task_arg]),
                        "the task must be current (prev): the capability check falls back on current (RHEL 7.2 WARN_ON_ONCE(task != current))",
                    ));
                }
                if tracer == Role::Prev {
                    return Err(RuleError::new(
                        span_of(&args[0]),
                        "the tracer must not be current: ptrace_may_access(task == tracer) returns 0 at once (RHEL 7.2 WARN_ON_ONCE(tracer == current))",
                    ));
                }
                ident(mode_arg, "PTRACE_MODE_IBPB")?;
                (Predicate::PtraceMayAccessRhel72 { tracer }, Ty::Int)
            }
            "__ptrace_may_access" => {
                ident(1, "PTRACE_MODE_IBPB")?;
                (Predicate::PtraceMayAccessRhel77 { task: task(0)? }, Ty::Int)
            }
            "ptrace_may_access_sched" => {
                ident(1, "PTRACE_MODE_SPEC_IBPB")?;
                (Predicate::PtraceMayAccessSched { task: task(0)? }, Ty::Bool)
            }
            "capable" => {
                ident(0, "CAP_SYS_PTRACE")?;
                (Predicate::Capable, Ty::Bool)
            }
            "get_dumpable" => {
                let role = match leaf(&args[0]) {
                    Some(p) if p.as_rule() == Rule::field => {
                        let (role, f, s) = self.field(p)?;
                        if f != Field::Mm {
                            return Err(RuleError::new(
                                s,
                                format!("get_dumpable takes an mm: {usage}"),
                            ));
                        }
                        role
                    }
                    _ => {
                        return Err(RuleError::new(
                            span_of(&args[0]),
                            format!("get_dumpable takes an mm: {usage}"),
                        ))
                    }
                };
                (Predicate::GetDumpable { task: role }, Ty::Dump)
            }
            _ => {
                ident(1, "TIF_SPEC_IB")?;
                (Predicate::SpecIb { task: task(0)? }, Ty::Bool)
            }
        };
        Ok(Node {
            kind: Kind::Call(pred),
            ty,
            span,
        })
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
