//! The directory the agents are bound to and selected by: extensions (分机), each with a
//! Hibernate-style 32-hex id, and ACD conditions (排队条件), each with its parsed `where`
//! and `sort` expressions. Both listed in creation order. New ids come from the
//! directory's own generator, so creating one changes no other id of the run.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::Rng;
use rustc_hash::FxHashMap as HashMap;

use crate::acd::expr::{Expr, Type};
use crate::ids::{ExtensionId, Hex32};
use crate::operation::{
    Code, ConditionSpec, ConditionView, ExtensionView, NewExtension, Page, Paged, Refusal,
};
use crate::time::SimTime;

/// The application's number, which the platform puts before the SIP user an extension is
/// created with (`78541` becomes `1000178541`, as the platform's docs show).
pub(in crate::sim) const APP_NUMBER: &str = "10001";

/// An ACD condition: what the API shows of it, and its expressions, parsed.
#[derive(Debug)]
pub(in crate::sim) struct Condition {
    /// What the API shows.
    pub(in crate::sim) view: ConditionView,
    /// `where`: which agents it selects.
    pub(in crate::sim) filter: Expr,
    /// `sort`: their order, higher first (`None`: all equal).
    pub(in crate::sim) sort: Option<Expr>,
}

/// Extensions and ACD conditions, in creation order.
#[derive(Debug)]
pub(in crate::sim) struct Directory {
    /// Extensions by creation number.
    extensions: BTreeMap<u64, ExtensionView>,
    /// Each extension's creation number.
    extension_at: HashMap<ExtensionId, u64>,
    /// Conditions by creation number.
    conditions: BTreeMap<u64, Condition>,
    /// Each condition's creation number.
    condition_at: HashMap<Arc<str>, u64>,
    /// The next creation number.
    next: u64,
    /// The Hibernate id generator's address and start time, drawn once.
    ip: u32,
    jvm: u32,
    /// Its counter.
    counter: u16,
}

/// The page `page` of `items` (`total` of them), in the platform's paging shape:
/// `startIndex` from 1, as many pages as it takes (none when there are no items).
pub(in crate::sim) fn page_of<T>(
    items: impl Iterator<Item = T>,
    total: usize,
    page: Page,
) -> Paged<T> {
    let size = page.size.max(1);
    let number = page.number.max(1);
    let skip = (number - 1).saturating_mul(size);
    let total = total as u64;
    Paged {
        page_size: size,
        start_index: skip.saturating_add(1),
        total_count: total,
        total_page_count: total.div_ceil(size),
        current_page_no: number,
        result: items
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(usize::try_from(size).unwrap_or(usize::MAX))
            .collect(),
    }
}

/// `src`, parsed as an expression of type `ty`, or `000001` naming `field`.
fn parse(field: &str, src: &str, ty: Type) -> Result<Expr, Refusal> {
    let expr =
        Expr::parse(src).map_err(|e| Refusal::new(Code::BadParameter, format!("{field}: {e}")))?;
    if expr.ty() != ty {
        return Err(Refusal::new(
            Code::BadParameter,
            format!("{field}: {src:?} is {}, not {ty}", expr.ty()),
        ));
    }
    Ok(expr)
}

/// The unknown-condition refusal.
pub(in crate::sim) fn no_such_condition(id: &str) -> Refusal {
    Refusal::new(
        Code::BadParameter,
        format!("condition_id: no ACD condition {id:?}"),
    )
}

impl Directory {
    /// An empty directory whose ids are drawn from `rng`'s first numbers.
    pub(in crate::sim) fn new(rng: &mut impl Rng) -> Self {
        Self {
            extensions: BTreeMap::new(),
            extension_at: HashMap::default(),
            conditions: BTreeMap::new(),
            condition_at: HashMap::default(),
            next: 0,
            ip: 0x0a00_0000 | rng.random_range(0..0x00ff_ffff),
            jvm: rng.random(),
            counter: 0,
        }
    }

    /// A new Hibernate-style id at `now`.
    fn new_id(&mut self, now: SimTime) -> Hex32 {
        let id = Hex32::hibernate(self.ip, self.jvm, now.epoch_ms(), self.counter);
        self.counter = self.counter.wrapping_add(1);
        id
    }

    /// The next creation number.
    fn take_next(&mut self) -> u64 {
        let at = self.next;
        self.next += 1;
        at
    }

    /// Adds a SIP extension that exists from the start (a scenario agent's).
    pub(in crate::sim) fn add_extension(&mut self, id: ExtensionId, user: Arc<str>) {
        self.insert_extension(
            id,
            ExtensionView {
                id: id.as_str().into(),
                kind: "1".into(),
                user: Some(user),
                password: None,
                ipaddr: None,
                telnum: None,
            },
        );
    }

    fn insert_extension(&mut self, id: ExtensionId, view: ExtensionView) {
        let at = self.take_next();
        self.extensions.insert(at, view);
        self.extension_at.insert(id, at);
    }

    /// Creates an extension at `now`: a new id, and the SIP user after the application's
    /// number.
    pub(in crate::sim) fn create_extension(
        &mut self,
        new: NewExtension,
        now: SimTime,
    ) -> ExtensionView {
        let id = ExtensionId(self.new_id(now));
        let view = ExtensionView {
            id: id.as_str().into(),
            kind: new.kind.to_string().into(),
            user: new.user.map(|u| format!("{APP_NUMBER}{u}").into()),
            password: new.password,
            ipaddr: new.ipaddr,
            telnum: new.telnum,
        };
        self.insert_extension(id, view.clone());
        view
    }

    /// The extension of id `id` (as the application spells it), if there is one.
    pub(in crate::sim) fn extension(&self, id: &str) -> Option<(ExtensionId, &ExtensionView)> {
        let id = ExtensionId(Hex32::parse(id)?);
        let at = self.extension_at.get(&id)?;
        Some((id, self.extensions.get(at)?))
    }

    /// Deletes extension `id`; false if there was none.
    pub(in crate::sim) fn delete_extension(&mut self, id: ExtensionId) -> bool {
        match self.extension_at.remove(&id) {
            Some(at) => self.extensions.remove(&at).is_some(),
            None => false,
        }
    }

    /// A page of the extensions, in creation order.
    pub(in crate::sim) fn extensions(&self, page: Page) -> Paged<ExtensionView> {
        page_of(
            self.extensions.values().cloned(),
            self.extensions.len(),
            page,
        )
    }

    /// Adds condition `spec` under `id` (the scenario's default, say).
    pub(in crate::sim) fn add_condition(
        &mut self,
        id: Arc<str>,
        spec: ConditionSpec,
    ) -> Result<(), Refusal> {
        let condition = Self::compile(id.clone(), spec)?;
        let at = self.take_next();
        self.conditions.insert(at, condition);
        self.condition_at.insert(id, at);
        Ok(())
    }

    fn compile(id: Arc<str>, spec: ConditionSpec) -> Result<Condition, Refusal> {
        let filter = parse("where", &spec.where_, Type::Boolean)?;
        let sort = spec
            .sort
            .as_deref()
            .map(|s| parse("sort", s, Type::Number))
            .transpose()?;
        Ok(Condition {
            view: ConditionView {
                id,
                where_: spec.where_,
                sort: spec.sort,
                priority: spec.priority,
                queue_timeout: spec.queue_timeout,
                fetch_timeout: spec.fetch_timeout,
                remark: spec.remark,
            },
            filter,
            sort,
        })
    }

    /// Creates condition `spec` at `now`; its new id.
    pub(in crate::sim) fn create_condition(
        &mut self,
        spec: ConditionSpec,
        now: SimTime,
    ) -> Result<Arc<str>, Refusal> {
        let id: Arc<str> = self.new_id(now).as_str().into();
        self.add_condition(id.clone(), spec)?;
        Ok(id)
    }

    /// Replaces condition `id`'s definition.
    pub(in crate::sim) fn update_condition(
        &mut self,
        id: &str,
        spec: ConditionSpec,
    ) -> Result<(), Refusal> {
        let at = *self
            .condition_at
            .get(id)
            .ok_or_else(|| no_such_condition(id))?;
        let condition = Self::compile(id.into(), spec)?;
        self.conditions.insert(at, condition);
        Ok(())
    }

    /// Deletes condition `id`.
    pub(in crate::sim) fn delete_condition(&mut self, id: &str) -> Result<(), Refusal> {
        let at = self
            .condition_at
            .remove(id)
            .ok_or_else(|| no_such_condition(id))?;
        self.conditions.remove(&at);
        Ok(())
    }

    /// Condition `id`, if there is one.
    pub(in crate::sim) fn condition(&self, id: &str) -> Option<&Condition> {
        self.conditions.get(self.condition_at.get(id)?)
    }

    /// Every condition, in creation order.
    pub(in crate::sim) fn conditions(&self) -> Vec<ConditionView> {
        self.conditions.values().map(|c| c.view.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn directory() -> Directory {
        Directory::new(&mut ChaCha8Rng::seed_from_u64(7))
    }

    fn page(number: u64, size: u64) -> Page {
        Page { number, size }
    }

    fn spec(where_: &str, sort: Option<&str>) -> ConditionSpec {
        ConditionSpec {
            where_: where_.into(),
            sort: sort.map(Into::into),
            priority: 0,
            queue_timeout: 60,
            fetch_timeout: 45,
            remark: None,
        }
    }

    #[test]
    fn pages_count_from_one_and_cover_every_item_once() {
        let p = page_of(1..=45, 45, page(3, 20));
        assert_eq!(
            (
                p.page_size,
                p.start_index,
                p.total_count,
                p.total_page_count,
                p.current_page_no
            ),
            (20, 41, 45, 3, 3)
        );
        assert_eq!(p.result, [41, 42, 43, 44, 45]);
        let empty = page_of(0..0, 0, page(1, 20));
        assert_eq!((empty.total_page_count, empty.start_index), (0, 1));
        assert!(empty.result.is_empty());
        assert!(page_of(1..=5, 5, page(2, 5)).result.is_empty());
    }

    #[test]
    fn an_extension_created_gets_a_new_32_hex_id_and_the_application_number_before_its_user() {
        let mut d = directory();
        let at = SimTime::from_millis(1_700_000_000_000);
        let new = NewExtension {
            kind: 1,
            user: Some("78541".into()),
            password: Some("123456".into()),
            ipaddr: None,
            telnum: None,
        };
        let a = d.create_extension(new.clone(), at);
        let b = d.create_extension(new, at);
        assert_eq!(a.id.len(), 32);
        assert!(Hex32::parse(&a.id).is_some());
        assert_ne!(a.id, b.id);
        assert_eq!(a.user.as_deref(), Some("1000178541"));
        assert_eq!(&*a.kind, "1");
        let (id, found) = d.extension(&a.id).expect("found");
        assert_eq!(found, &a);
        assert_eq!(d.extensions(page(1, 20)).result, [a.clone(), b.clone()]);
        assert!(d.delete_extension(id));
        assert!(!d.delete_extension(id));
        assert!(d.extension(&a.id).is_none());
        assert!(d.extension("not hex").is_none());
        assert_eq!(d.extensions(page(1, 20)).result, [b]);
    }

    #[test]
    fn conditions_are_created_updated_listed_and_deleted_by_id() {
        let mut d = directory();
        let at = SimTime::from_millis(1_700_000_000_000);
        let id = d
            .create_condition(spec("1==1;", None), at)
            .expect("created");
        assert!(Hex32::parse(&id).is_some());
        let other = d
            .create_condition(spec("get(\"a\") > 1;", Some("get(\"a\");")), at)
            .expect("created");
        assert_ne!(id, other);
        d.update_condition(&id, spec("has(\"b\");", None))
            .expect("updated");
        let listed = d.conditions();
        assert_eq!(listed.len(), 2);
        assert_eq!((&*listed[0].id, &*listed[0].where_), (&*id, "has(\"b\");"));
        assert_eq!(listed[1].sort.as_deref(), Some("get(\"a\");"));
        d.delete_condition(&id).expect("deleted");
        assert!(d.condition(&id).is_none());
        for refused in [
            d.delete_condition(&id),
            d.update_condition(&id, spec("1==1;", None)),
        ] {
            let r = refused.expect_err("unknown");
            assert_eq!(r.code, Code::BadParameter);
            assert!(r.detail.contains("condition_id"), "{r}");
        }
    }

    #[test]
    fn a_condition_whose_expression_does_not_parse_is_refused_naming_the_field() {
        let mut d = directory();
        let at = SimTime::from_millis(0);
        let r = d
            .create_condition(spec("get(\"a\" >", None), at)
            .expect_err("bad where");
        assert_eq!(r.code, Code::BadParameter);
        assert!(r.detail.starts_with("where"), "{r}");
        let r = d
            .create_condition(spec("1==1;", Some("get(")), at)
            .expect_err("bad sort");
        assert!(r.detail.starts_with("sort"), "{r}");
        let r = d
            .create_condition(spec("get(\"a\");", None), at)
            .expect_err("a number for a where");
        assert!(r.detail.starts_with("where"), "{r}");
        assert!(r.detail.contains("a number, not a boolean"), "{r}");
        let r = d
            .create_condition(spec("1==1;", Some("has(\"a\");")), at)
            .expect_err("a boolean for a sort");
        assert!(r.detail.starts_with("sort"), "{r}");
        assert!(d.conditions().is_empty());
    }
}
