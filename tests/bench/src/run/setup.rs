//! Setup before anything connects: room names and each member's URL; in
//! Touchpoint mode, rooms and participant tokens made through its HTTP API.

use super::{Bench, Member, RoomPlan, writers_of};
use crate::client::Kind;
use crate::http;
use crate::measure::round;
use crate::report::Setup;
use crate::target::{percent_encode, room_url};
use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a participant join keeps retrying while Touchpoint says 429.
pub(super) const SETUP_PATIENCE: Duration = Duration::from_secs(45);

impl Bench {
    /// Room names and every member's URL; in Touchpoint mode, rooms and
    /// participant tokens come from the API.
    pub(super) async fn setup(&mut self) -> Result<()> {
        let n = self.args.clients as usize;
        let w = writers_of(&self.args);
        if let Some(api) = self.api.clone() {
            self.mark("setup");
            let t0 = Instant::now();
            let timeout = Duration::from_secs(self.args.connect_timeout);
            let admin = self.args.admin_token.clone().unwrap_or_default();
            let mut created = Vec::new();
            if let Some(code) = &self.args.touchpoint_room {
                let facilitator_key = self.args.facilitator_key.clone().unwrap_or_default();
                created.push(http::CreatedRoom { code: code.clone(), facilitator_key });
            } else {
                for _ in 0..self.args.rooms {
                    created.push(http::create_room(&api, &admin, timeout).await?);
                }
            }
            let jobs: Vec<String> = created.iter().flat_map(|c| std::iter::repeat_n(c.code.clone(), n - w)).collect();
            let api2 = api.clone();
            let tokens: Vec<Result<(String, u32)>> = futures_util::stream::iter(jobs)
                .map(|code| {
                    let api = api2.clone();
                    async move { http::add_participant(&api, &code, timeout, SETUP_PATIENCE).await }
                })
                .buffered(self.args.connect_concurrency as usize)
                .collect()
                .await;
            let mut tokens = tokens.into_iter();
            let mut rate_limited = 0u64;
            for c in &created {
                check_room_name(&c.code)?;
                let base = format!("ws://{}/sync/{}?token=", api.authority, percent_encode(&c.code));
                let mut urls = Vec::with_capacity(n);
                for idx in 0..n {
                    let token = if idx < w {
                        c.facilitator_key.clone()
                    } else {
                        let (token, retries) = tokens.next().context("missing participant token")??;
                        rate_limited += u64::from(retries);
                        token
                    };
                    urls.push(format!("{base}{}", percent_encode(&token)));
                }
                self.rooms.push(RoomPlan { name: c.code.clone(), urls });
            }
            self.report.setup = Some(Setup {
                mode: "touchpoint",
                rooms_created: if self.args.touchpoint_room.is_some() { 0 } else { created.len() },
                room_codes: created.iter().map(|c| c.code.clone()).collect(),
                participants: created.len() * (n - w),
                rate_limited_retries: rate_limited,
                wall_s: round(t0.elapsed().as_secs_f64(), 2),
            });
        } else {
            let names: Vec<String> = match &self.args.room_names {
                Some(list) => list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                None => {
                    let prefix = self.args.room_prefix.clone().unwrap_or_else(|| {
                        let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
                        format!("bench-{}", base36(ms))
                    });
                    (0..self.args.rooms).map(|i| format!("{prefix}-{i}")).collect()
                }
            };
            for name in names {
                check_room_name(&name)?;
                let url = room_url(&self.args.url, &name);
                self.rooms.push(RoomPlan { name, urls: vec![url; n] });
            }
        }
        for room in 0..self.rooms.len() {
            for idx in 0..n {
                // Writers first, like the Node tool; the last reader keeps a
                // full document so every room has one replica for convergence
                // (an idle run checks no convergence: its readers stay raw, so
                // a sync time is the server's answer, not this tool's decoding).
                let kind = if idx < w {
                    Kind::Writer
                } else if idx == n - 1 && !self.args.idle {
                    Kind::Replica
                } else {
                    Kind::Raw
                };
                let doc = kind.has_doc().then(|| self.new_doc());
                self.members.push(Member { room, idx, kind, doc, seen: Arc::new(AtomicU64::new(0)), timings: None });
            }
        }
        Ok(())
    }
}

/// Room names end up inside timing markers, which `~` delimits.
pub(super) fn check_room_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('~') {
        bail!("room name {name:?} is empty or contains '~' (the timing-marker delimiter)");
    }
    Ok(())
}

fn base36(mut n: u128) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base36_like_javascript() {
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
        assert_eq!(base36(1_700_000_000_000), "loyw3v28");
    }

    #[test]
    fn room_names_must_not_break_markers() {
        assert!(check_room_name("bench-1").is_ok());
        assert!(check_room_name("a~b").is_err());
        assert!(check_room_name("").is_err());
    }
}
