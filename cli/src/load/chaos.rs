//! `--chaos`: while the sessions run, cut a random logged-in customer's socket (no close
//! frame, no push) every interval, through the simulator's fault injection — in process for
//! the embedded simulator, `POST /_sim/drop` for one given with `--sim`.

use std::sync::Arc;
use std::time::Duration;

use livechat_core::http::{HttpRequest, Method};
use livechat_sim::Control;
use serde_json::json;

use super::Shared;

pub enum Dropper {
    Embedded(Control),
    Remote(String),
}

impl Dropper {
    async fn drop_customer(&self, id: String) -> Result<(), String> {
        match self {
            Dropper::Embedded(control) => {
                control.drop_customer(Some(&id));
                Ok(())
            }
            Dropper::Remote(http) => {
                let mut req = HttpRequest::new(Method::Post, format!("{http}/_sim/drop"));
                req.headers.push(("content-type".into(), "application/json".into()));
                req.body = json!({ "customer_id": id }).to_string().into();
                let res =
                    tokio::task::spawn_blocking(move || livechat_http::execute(&req, Default::default()))
                        .await
                        .map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())?;
                if res.status == 200 { Ok(()) } else { Err(format!("/_sim/drop answered {}", res.status)) }
            }
        }
    }
}

/// Drops one random customer every `interval` until every session has ended; returns how
/// many drops were made.
pub async fn run(dropper: Dropper, interval: Duration, shared: Arc<Shared>) -> Result<usize, String> {
    let mut drops = 0;
    let mut rng = fastrand::Rng::new();
    while !shared.all_finished() {
        tokio::time::sleep(interval).await;
        let pick = {
            let ids = shared.customers();
            if ids.is_empty() { None } else { Some(ids[rng.usize(..ids.len())].clone()) }
        };
        if let Some(id) = pick {
            dropper.drop_customer(id).await?;
            drops += 1;
        }
    }
    Ok(drops)
}
