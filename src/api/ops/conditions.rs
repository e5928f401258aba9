//! `callcenter/condition`: create, update, delete, list, get. `where` must parse as a
//! boolean ACD expression and `sort` as a numeric one (`crate::acd::expr`).

use axum::response::Response;

use super::call::Call;
use super::fields::Fields;
use super::rules;
use crate::acd::expr::Type;
use crate::operation::{ConditionSpec, Operation, Refusal};

/// The path's `{id}`, named in messages.
const ID: &str = "condition id in the path";

/// The body of a create or an update: `{where, sort?, priority?, queue_timeout,
/// fetch_timeout?, remark?}`.
fn spec(mut body: Fields) -> Result<ConditionSpec, Refusal> {
    let where_ = rules::expression("where", &body.text("where")?, Type::Boolean)?;
    let sort = body
        .opt_text("sort")?
        .map(|s| rules::expression("sort", &s, Type::Number))
        .transpose()?;
    let priority = u8::try_from(body.opt_int("priority", 0..=99)?.unwrap_or(0)).unwrap_or(0);
    let queue_timeout = rules::u32_of(body.int("queue_timeout", 1..=1000)?);
    let fetch_timeout = rules::u32_of(body.opt_int("fetch_timeout", 1..=60)?.unwrap_or(45));
    let remark = body.opt_any_arc("remark")?;
    Ok(ConditionSpec {
        where_,
        sort,
        priority,
        queue_timeout,
        fetch_timeout,
        remark,
    })
}

const FIELDS: [&str; 6] = [
    "where",
    "sort",
    "priority",
    "queue_timeout",
    "fetch_timeout",
    "remark",
];

/// `POST condition`.
pub(super) async fn create(call: Call) -> Response {
    call.run(|call| Ok(Operation::CreateCondition(spec(call.body(&FIELDS)?)?)))
        .await
}

/// `POST condition/{id}`.
pub(super) async fn update(call: Call) -> Response {
    call.run(|call| {
        let id = call.id(ID)?;
        Ok(Operation::UpdateCondition {
            id,
            spec: spec(call.body(&FIELDS)?)?,
        })
    })
    .await
}

/// `DELETE condition/{id}`.
pub(super) async fn delete(call: Call) -> Response {
    call.run(|call| {
        call.query(&[])?;
        Ok(Operation::DeleteCondition { id: call.id(ID)? })
    })
    .await
}

/// `GET condition/{id}`.
pub(super) async fn get_one(call: Call) -> Response {
    call.run(|call| {
        call.query(&[])?;
        Ok(Operation::GetCondition { id: call.id(ID)? })
    })
    .await
}

/// `GET condition`.
pub(super) async fn list(call: Call) -> Response {
    call.run(|call| {
        call.query(&[])?;
        Ok(Operation::ListConditions)
    })
    .await
}
