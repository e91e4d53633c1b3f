//! The `webHooks` resource: registering where order events are delivered.
//!
//! Reference: `shoprenter-protocol.md` §5 "Registration" (`POST webHooks {label, event,
//! status:"1", webHookParameters:[{type:"json", url}]}`; the fixture returns
//! `webHookParameters`/`webHookDelay` as single objects, the worked example as arrays) and test
//! vector (c) 7.

use serde::Serialize;

use super::lenient::parse_flag;
use super::resource;
use crate::webhooks::WebhookEvent;

resource! {
    /// A registered webhook as `GET/POST webHooks` returns it.
    pub struct WebHook {
        text {
            href = "href",
            /// e.g. `d2ViSG9vay1ub3RpZmljYXRpb25faWQ9Njg=` (`webHook-notification_id=68`).
            id = "id",
            label = "label",
            /// Event name as sent; see [`WebHook::event`].
            event = "event",
            /// `1` enabled, `0` disabled.
            status = "status",
        }
        link {}
        object {}
        list {
            web_hook_parameters: WebHookParameter = "webHookParameters",
            web_hook_delay: WebHookDelay = "webHookDelay",
        }
    }
}

impl WebHook {
    /// The event, typed.
    pub fn event(&self) -> Option<WebhookEvent> {
        self.event.as_deref().map(WebhookEvent::from_name)
    }

    /// `status == 1`.
    pub fn is_enabled(&self) -> bool {
        parse_flag(self.status.as_deref()) == Some(true)
    }

    /// Delivery URLs of this webhook.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        self.web_hook_parameters
            .iter()
            .filter_map(|p| p.url.as_deref())
    }
}

resource! {
    /// Where and how a webhook delivers (`type` `json` or `xml`, optional `fields` selector).
    pub struct WebHookParameter {
        text {
            /// `type` in JSON: `json` or `xml`.
            kind = "type",
            url = "url",
        }
        link {
            web_hook = "webHook",
        }
        object {}
        list {
            fields: String = "fields",
        }
    }
}

resource! {
    /// Optional delivery delay (`delayUnit` `day` or `hour`).
    pub struct WebHookDelay {
        text {
            delay = "delay",
            delay_unit = "delayUnit",
        }
        link {
            web_hook = "webHook",
        }
        object {}
        list {}
    }
}

/// Body of `POST webHooks` (§5; test vector (c) 7).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewWebHook {
    /// Internal name, not sent in deliveries.
    pub label: String,
    /// The event to subscribe to.
    pub event: WebhookEvent,
    /// `"1"` enabled.
    pub status: String,
    /// Exactly one entry in practice.
    #[serde(rename = "webHookParameters")]
    pub web_hook_parameters: Vec<NewWebHookParameter>,
}

/// One `webHookParameters` entry of a new webhook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewWebHookParameter {
    /// `json` (multipart field `data` holds JSON) or `xml`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Delivery URL; carry an unguessable per-store secret in it, deliveries are unsigned.
    pub url: String,
    /// Field selector (e.g. `order_innerId`); omitted means all fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

impl NewWebHook {
    /// An enabled JSON webhook for `event` delivering to `url`.
    pub fn json(label: impl Into<String>, event: WebhookEvent, url: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            event,
            status: "1".into(),
            web_hook_parameters: vec![NewWebHookParameter {
                kind: "json".into(),
                url: url.into(),
                fields: None,
            }],
        }
    }
}
