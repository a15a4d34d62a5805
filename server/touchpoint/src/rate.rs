//! Token buckets: a sustained rate with a bounded burst.

use std::time::Instant;

/// Allows `rate` units a second on average and up to `burst` at once.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        TokenBucket { rate, burst, tokens: burst, updated: now }
    }

    /// Takes `cost` units if they are available now.
    pub fn try_take(&mut self, cost: f64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.updated = now;
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn allows_a_burst_then_the_sustained_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10.0, 5.0, start);
        assert!((0..5).all(|_| bucket.try_take(1.0, start)));
        assert!(!bucket.try_take(1.0, start));
        assert!(bucket.try_take(1.0, start + Duration::from_millis(100)));
        assert!(!bucket.try_take(1.0, start + Duration::from_millis(100)));
        // A long pause refills only up to the burst.
        let later = start + Duration::from_secs(60);
        assert!((0..5).all(|_| bucket.try_take(1.0, later)));
        assert!(!bucket.try_take(1.0, later));
    }
}
