//! The kernel layer: the machine and one file per kernel mechanism, each opening
//! with the kernel function it abstracts and its invariants.
//!
//! | file | kernel |
//! |---|---|
//! | `machine.rs` | the model's one dispatch page: actions, moves, each mechanism's entry |
//! | `runqueue.rs` | `__schedule`, `context_switch`, `rq->lock` |
//! | `switch_mm.rs` | `switch_mm`: where the IBPB policy decides, and whether it asks the AVC |
//! | `wakeup.rs` | `try_to_wake_up`, `ttwu_remote`, `ttwu_queue`, `scheduler_ipi` |
//! | `rcu_nocb.rs` | `call_rcu`, `__call_rcu_nocb_enqueue`, `rcuo`, deferred wake-up |
//! | `audit.rs` | a denied `capable()`: `avc_audit` → `audit_log_end` → `kauditd` |
//! | `avc.rs` | `avc_has_perm_noaudit`, `avc_alloc_node`, `avc_reclaim_node`, `avc_insert` |
//! | `reclaim.rs` | memory pressure: `kmem_cache_zalloc`'s slow path, `wakeup_kswapd`, `kswapd` |
//! | `console.rs` | a failed allocation's `printk`, `console_sem`: `down_trylock`, `up`, a `console_lock()` waiter |
//! | `workqueue.rs` | memcg kmem accounting: `__memcg_kmem_get_cache`, `__queue_work`, `insert_work`, `worker_thread` |
//! | `balance.rs` | `load_balance`, `double_rq_lock` |
//! | `waits.rs` | the wait-for graph: who a spinning CPU waits for, and its cycles |
//! | `effects.rs` | what a call under `rq->lock` may do, and each effect's roads to a wake-up |
//! | `seeded.rs` | the seeded bugs, switched on per model instance |
//! | `frames.rs` | the kernel functions each resume point stands for (backtraces) |
//! | `describe.rs` | locks, resources, actions and what they did, named in kernel terms |

pub mod audit;
pub mod avc;
pub mod balance;
pub mod console;
pub mod describe;
pub mod effects;
pub mod frames;
pub mod machine;
pub mod rcu_nocb;
pub mod reclaim;
pub mod runqueue;
pub mod seeded;
pub mod switch_mm;
pub mod waits;
pub mod wakeup;
pub mod workqueue;
