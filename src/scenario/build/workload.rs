//! `[workload]` as the engine's [`Workload`]: the arrival rates per type (a total rate split
//! by `mix`), the ramp stages, and the behaviour (distributions, probabilities, timeouts),
//! each defaulting to [`Behaviour::default`]. Called by `build` for the one file that has a
//! workload; the file's values were checked when it was read.

use crate::conversation::ConvType;
use crate::scenario::de::Located;
use crate::scenario::model::{DistSpec, TypeRates, TypeWeights, WorkloadFile};
use crate::sim::workload::{Behaviour, RateStage, Workload};
use crate::units::{Rate, Span};

/// `rate` split between the types of `mix` in proportion to their weights.
fn split(rate: Rate, mix: &TypeWeights) -> Vec<(ConvType, Rate)> {
    let weights = [
        (ConvType::Queue, mix.queue),
        (ConvType::CallOut, mix.call_out),
        (ConvType::CallAgent, mix.call_agent),
    ];
    let total: f64 = weights.iter().filter_map(|w| w.1).sum();
    weights
        .iter()
        .filter_map(|(t, w)| w.map(|w| (*t, Rate::from_per_second(rate.per_second() * w / total))))
        .collect()
}

/// The types that have a rate, with it.
fn per_type(rates: &TypeRates) -> Vec<(ConvType, Rate)> {
    [
        (ConvType::Queue, rates.queue),
        (ConvType::CallOut, rates.call_out),
        (ConvType::CallAgent, rates.call_agent),
    ]
    .into_iter()
    .filter_map(|(t, r)| r.map(|r| (t, r)))
    .collect()
}

/// The engine's workload for `w`.
pub(super) fn workload(w: &WorkloadFile) -> Workload {
    let mix = w.mix.as_ref().map(|m| &m.value);
    let total = |rate: &Located<Rate>| mix.map(|m| split(rate.value, m)).unwrap_or_default();
    let mut rates = match (&w.rates, &w.rate) {
        (Some(r), _) => per_type(&r.value),
        (None, Some(rate)) => total(rate),
        (None, None) => Vec::new(),
    };
    let ramp: Vec<RateStage> = w
        .ramp
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|s| RateStage {
            length: s.value.duration.value,
            rates: match (&s.value.rates, &s.value.rate) {
                (Some(r), _) => per_type(&r.value),
                (None, Some(rate)) => total(rate),
                (None, None) => Vec::new(),
            },
        })
        .collect();
    if w.rates.is_none()
        && w.rate.is_none()
        && let Some(last) = ramp.last()
    {
        rates = last.rates.clone(); // the last stage holds until the end
    }
    let ramp_length = ramp.iter().fold(Span::ZERO, |a, s| a + s.length);
    let d = Behaviour::default();
    let dist = |spec: &Option<Located<DistSpec>>, default| match spec.as_ref().map(|s| &s.value) {
        Some(DistSpec::Dist(d)) => d.clone(),
        _ => default,
    };
    let behaviour = Behaviour {
        handle_time: dist(&w.handle_time, d.handle_time),
        patience: match w.patience.as_ref().map(|p| &p.value) {
            Some(DistSpec::Never) => None,
            Some(DistSpec::Dist(x)) => Some(x.clone()),
            None => d.patience,
        },
        queue_timeout: w
            .queue_timeout
            .as_ref()
            .map_or(d.queue_timeout, |t| t.value.0),
        agent_ring: dist(&w.agent_ring, d.agent_ring),
        agent_answer: w.agent_answer.as_ref().map_or(d.agent_answer, |p| p.value),
        fetch_timeout: w
            .fetch_timeout
            .as_ref()
            .map_or(d.fetch_timeout, |p| p.value),
        callee_ring: dist(&w.callee_ring, d.callee_ring),
        callee_answer: w
            .callee_answer
            .as_ref()
            .map_or(d.callee_answer, |p| p.value),
        dial_timeout: w.dial_timeout.as_ref().map_or(d.dial_timeout, |p| p.value),
        customer_hangup: w
            .customer_hangup
            .as_ref()
            .map_or(d.customer_hangup, |p| p.value),
        wrap_up: dist(&w.wrap_up, d.wrap_up),
        user_data: w.user_data.as_ref().map_or(d.user_data, |p| p.value),
    };
    Workload {
        duration: w.duration.as_ref().map_or(ramp_length, |d| d.value),
        rates,
        ramp,
        behaviour,
    }
}
