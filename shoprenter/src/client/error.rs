//! Typed REST errors (`shoprenter-protocol.md` §3 "Errors": 400 with inner codes 40001–40033,
//! 401/40101, 403, 404/40401, 409/40901, 429, 500/503/504).

use serde_json::Value;

/// Why an API call failed. Carries the platform's inner code and message when it sent them,
/// never the request body, the token or the query string.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: the token is missing, expired or revoked. Not retried: re-acquire the token once and
    /// repeat the call (design.md "Tokens").
    #[error("unauthorized (401){}", fmt_detail(*code, message))]
    Unauthorized {
        code: Option<u32>,
        message: Option<String>,
    },
    /// 403: probably a scope the app was not granted (§3, inference from JWT-BUNDLE).
    #[error("forbidden (403){}", fmt_detail(*code, message))]
    Forbidden {
        code: Option<u32>,
        message: Option<String>,
    },
    /// 404 (40401 resource not found, 40033 unknown sku).
    #[error("not found (404){}", fmt_detail(*code, message))]
    NotFound {
        code: Option<u32>,
        message: Option<String>,
    },
    /// 400 with an inner code such as 40008 (page out of range) or 40009 (bad datetime).
    #[error("bad request (400){}", fmt_detail(*code, message))]
    BadRequest {
        code: Option<u32>,
        message: Option<String>,
    },
    /// 409/40901: the resource exists.
    #[error("conflict (409){}", fmt_detail(*code, message))]
    Conflict {
        code: Option<u32>,
        message: Option<String>,
    },
    /// Any other non-success status that is not retried.
    #[error("unexpected status {status}{}", fmt_detail(*code, message))]
    Status {
        status: u16,
        code: Option<u32>,
        message: Option<String>,
    },
    /// Still 429 after every retry.
    #[error("rate limited (429) after {attempts} attempts")]
    RateLimited { attempts: u32 },
    /// A 5xx, after retries where the method allows them.
    #[error("server error {status} after {attempts} attempts")]
    Server { status: u16, attempts: u32 },
    /// The request timed out, after retries where the method allows them.
    #[error("request timed out after {attempts} attempts")]
    Timeout { attempts: u32 },
    /// Connection, TLS or protocol failure (the error carries no URL).
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// A success response whose body is not the expected JSON.
    #[error("could not decode {resource} response: {message}")]
    Decode { resource: String, message: String },
    /// The path would leave the shop's API base URL.
    #[error("invalid API path: {0}")]
    InvalidPath(String),
}

impl ApiError {
    /// The HTTP status behind the error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Unauthorized { .. } => Some(401),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::NotFound { .. } => Some(404),
            ApiError::BadRequest { .. } => Some(400),
            ApiError::Conflict { .. } => Some(409),
            ApiError::Status { status, .. } | ApiError::Server { status, .. } => Some(*status),
            ApiError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The platform's inner error code (e.g. 40008).
    pub fn inner_code(&self) -> Option<u32> {
        match self {
            ApiError::Unauthorized { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::BadRequest { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Status { code, .. } => *code,
            _ => None,
        }
    }

    /// Whether a later attempt might succeed (rate limit, 5xx, timeout, transport).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. }
                | ApiError::Server { .. }
                | ApiError::Timeout { .. }
                | ApiError::Transport(_)
        )
    }

    pub(crate) fn from_status(status: u16, body: &[u8]) -> Self {
        let (code, message) = parse_error_body(body);
        match status {
            400 => ApiError::BadRequest { code, message },
            401 => ApiError::Unauthorized { code, message },
            403 => ApiError::Forbidden { code, message },
            404 => ApiError::NotFound { code, message },
            409 => ApiError::Conflict { code, message },
            _ => ApiError::Status {
                status,
                code,
                message,
            },
        }
    }
}

fn fmt_detail(code: Option<u32>, message: &Option<String>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!(": {c} {m}"),
        (Some(c), None) => format!(": {c}"),
        (None, Some(m)) => format!(": {m}"),
        (None, None) => String::new(),
    }
}

/// Error bodies are not specified beyond the inner-code table (D-STAT); accept the shapes seen
/// on ShopRenter endpoints (`{"code":…, "message":…}`, `{"error":…, "error_description":…}`).
pub(crate) fn parse_error_body(body: &[u8]) -> (Option<u32>, Option<String>) {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let code = ["code", "innerCode", "errorCode", "error"]
        .iter()
        .find_map(|k| map.get(*k).and_then(number));
    let message = ["message", "error_description", "error"]
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str))
        .map(|m| m.chars().take(300).collect());
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_codes_are_parsed_from_the_error_body() {
        let e = ApiError::from_status(400, br#"{"code":40008,"message":"Page not found! This Resource minimum page is 0 and maximum page is 3"}"#);
        assert!(matches!(
            e,
            ApiError::BadRequest {
                code: Some(40008),
                ..
            }
        ));
        assert_eq!(e.inner_code(), Some(40008));
        assert!(e.to_string().contains("40008"));
        let e = ApiError::from_status(404, br#"{"error":"40401","message":"Resource not found!"}"#);
        assert_eq!((e.status(), e.inner_code()), (Some(404), Some(40401)));
        let e = ApiError::from_status(418, b"<html>teapot</html>");
        assert!(matches!(
            e,
            ApiError::Status {
                status: 418,
                code: None,
                message: None
            }
        ));
    }
}
