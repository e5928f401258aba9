//! `callcenter/extension`: create, delete, list, get.

use std::sync::Arc;

use axum::response::Response;

use super::call::Call;
use super::fields::bad;
use super::rules;
use crate::operation::{NewExtension, Operation, Refusal};

/// `POST extension`: `{type, user?, password?, ipaddr?, telnum?}`.
pub(super) async fn create(call: Call) -> Response {
    call.run(|call| {
        let mut body = call.body(&["type", "user", "password", "ipaddr", "telnum"])?;
        let kind = u8::try_from(body.int("type", 1..=3)?).unwrap_or(1);
        // Documented as 6 to 12 digits, but the docs' own example creates "78541": up to
        // 12 digits are accepted.
        let user = body.opt_text("user")?;
        if let Some(user) = &user
            && (user.chars().count() > 12 || !user.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(bad(format!("user: \"{user}\" is not 1 to 12 digits")));
        }
        let password = body.opt_text("password")?;
        if let Some(password) = &password {
            let n = password.chars().count();
            if !(6..=12).contains(&n) || !password.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(bad("password: not 6 to 12 letters or digits"));
            }
        }
        let ipaddr = body.opt_text("ipaddr")?;
        if let Some(ipaddr) = &ipaddr {
            ip_and_port(ipaddr)?;
        }
        let telnum = body
            .opt_text("telnum")?
            .map(|t| rules::number("telnum", &t))
            .transpose()?;
        Ok(Operation::CreateExtension(NewExtension {
            kind,
            user: user.map(Arc::from),
            password: password.map(Arc::from),
            ipaddr: ipaddr.map(Arc::from),
            telnum,
        }))
    })
    .await
}

/// `<ip>[:port]`.
fn ip_and_port(text: &str) -> Result<(), Refusal> {
    let (ip, port) = match text.rsplit_once(':') {
        Some((ip, port)) => (ip, Some(port)),
        None => (text, None),
    };
    let ip_ok = ip.parse::<std::net::Ipv4Addr>().is_ok();
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    if ip_ok && port_ok {
        Ok(())
    } else {
        Err(bad(format!("ipaddr: \"{text}\" is not <ip>[:port]")))
    }
}

/// `DELETE extension/{id}`.
pub(super) async fn delete(call: Call) -> Response {
    call.run(|call| {
        call.query(&[])?;
        Ok(Operation::DeleteExtension {
            id: call.id("extension id in the path")?,
        })
    })
    .await
}

/// `GET extension/{id}`.
pub(super) async fn get_one(call: Call) -> Response {
    call.run(|call| {
        call.query(&[])?;
        Ok(Operation::GetExtension {
            id: call.id("extension id in the path")?,
        })
    })
    .await
}

/// `GET extension?pageNo=&pageSize=`.
pub(super) async fn list(call: Call) -> Response {
    call.run(|call| {
        let query = call.query(&["pageNo", "pageSize"])?;
        Ok(Operation::ListExtensions(rules::page(&query)?))
    })
    .await
}
