//! Test fixtures of the record store and its staging: conversations, happenings and
//! members made up deterministically.

use std::sync::Arc;

use crate::conversation::{ConvInfo, ConvType, Happening, HappeningKind, MemberInfo};
use crate::ids::{CallId, ConversationId, Hex32, RecordFileId};
use crate::time::SimTime;

/// A queue conversation whose ids are drawn from seed `n`.
pub(super) fn conversation(n: u8) -> Arc<ConvInfo> {
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(u64::from(n));
    Arc::new(ConvInfo {
        key: u64::from(n),
        id: ConversationId(Hex32::random(&mut rng)),
        kind: ConvType::Queue,
        subaccount_id: None,
        queue_id: None,
        condition_id: None,
        user_data: None,
        record_file: RecordFileId(Hex32::random(&mut rng)),
        initiator_call: CallId(Hex32::random(&mut rng)),
        created_at: SimTime::from_millis(0),
    })
}

/// `kind` happening to `conv` at `ms` epoch milliseconds.
pub(super) fn happening(conv: &Arc<ConvInfo>, ms: i64, kind: HappeningKind) -> Happening {
    Happening {
        at: SimTime::from_millis(ms),
        conv: conv.clone(),
        kind,
    }
}

/// An outside member on call `call`.
pub(super) fn member(call: CallId) -> MemberInfo {
    MemberInfo {
        call_id: call,
        agent_name: None,
        extension_id: None,
        telnumber: "13800138000".into(),
        mode: 1,
    }
}
