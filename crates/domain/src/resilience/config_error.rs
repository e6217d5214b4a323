//! Why a resilience configuration was refused at construction.

/// A configuration that makes no sense, named precisely. Every policy's `try_new` returns it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{field} must be greater than zero")]
    Zero { field: &'static str },
    #[error("{field} is {value}, but it must be {expected}")]
    OutOfRange {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("{lower} ({lower_value:?}) must not exceed {upper} ({upper_value:?})")]
    Inverted {
        lower: &'static str,
        lower_value: std::time::Duration,
        upper: &'static str,
        upper_value: std::time::Duration,
    },
    #[error("a circuit breaker needs at least one way to trip")]
    NoTrip,
}

pub(crate) fn nonzero_duration(
    field: &'static str,
    value: std::time::Duration,
) -> Result<(), ConfigError> {
    if value.is_zero() {
        Err(ConfigError::Zero { field })
    } else {
        Ok(())
    }
}

pub(crate) fn nonzero(field: &'static str, value: u64) -> Result<(), ConfigError> {
    if value == 0 {
        Err(ConfigError::Zero { field })
    } else {
        Ok(())
    }
}

pub(crate) fn ordered(
    lower: &'static str,
    lower_value: std::time::Duration,
    upper: &'static str,
    upper_value: std::time::Duration,
) -> Result<(), ConfigError> {
    if lower_value > upper_value {
        Err(ConfigError::Inverted {
            lower,
            lower_value,
            upper,
            upper_value,
        })
    } else {
        Ok(())
    }
}

/// `value` must be finite and within `range`.
pub(crate) fn fraction_in(
    field: &'static str,
    value: f64,
    range: std::ops::RangeInclusive<f64>,
    expected: &'static str,
) -> Result<(), ConfigError> {
    if value.is_finite() && range.contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value,
            expected,
        })
    }
}
